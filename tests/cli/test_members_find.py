"""`huzhu members find | show`: an operator finds a member without opening the database, and every
lookup is in the audit log with who asked (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json

import pytest
from clikit import ALICE, BOB, HEALTHY, cli, init, join_args, membership_of, ok, text
from sqlalchemy import Engine, select

from huzhu.storage.tables_access import accounts, audit_log


@pytest.fixture
def ops(engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch) -> int:
    init(database_url)
    monkeypatch.setenv("HUZHU_NEW_PASSWORD", "correct horse battery")
    ok(database_url, "accounts", "add", "--username", "ops", "--role", "operator")
    ok(database_url, "accounts", "add", "--username", "wuxiaoman", "--role", "member")
    with engine.connect() as conn:
        return int(conn.scalar(select(accounts.c.id).where(accounts.c.username == "ops")) or 0)


def logged(engine: Engine) -> list[tuple[int | None, str, str, dict]]:
    with engine.connect() as conn:
        rows = conn.execute(select(audit_log).order_by(audit_log.c.id))
        return [(r.actor_account_id, r.action, r.subject, r.details) for r in rows]


def test_find_by_id_number_name_or_membership_and_show(
    engine: Engine, database_url: str, ops: int
) -> None:
    alice = membership_of(ok(database_url, *join_args(ALICE, *HEALTHY)))
    ok(database_url, *join_args(BOB, *HEALTHY, name="吴小漫"))  # a namesake
    by_id = json.loads(
        ok(database_url, "members", "find", "--id-number", ALICE, "--by", "ops", "--json").stdout
    )
    assert [m["membership_id"] for m in by_id] == [alice]
    assert by_id[0]["name"] == "吴小漫" and by_id[0]["id_number"] == ALICE
    by_name = text(ok(database_url, "members", "find", "--name", "吴小漫", "--by", "ops").stdout)
    assert "2 membership(s) found" in by_name and ALICE in by_name and BOB in by_name
    by_membership = ok(database_url, "members", "find", "--membership", str(alice), "--by", "ops")
    assert "1 membership(s) found" in text(by_membership.stdout)
    shown = text(ok(database_url, "members", "show", str(alice), "--by", "ops").stdout)
    assert f"membership {alice} of xiang-hu-bao" in shown and ALICE in shown

    assert logged(engine) == [
        (ops, "members.find", "members:id_number",
         {"by": "id_number", "query": ALICE[:4] + "*" * 10 + ALICE[-4:], "plan": None,
          "memberships": [alice]}),
        (ops, "members.find", "members:name",
         {"by": "name", "query": "吴*漫", "plan": None, "memberships": [alice, alice + 1]}),
        (ops, "members.find", "members:membership",
         {"by": "membership", "query": str(alice), "plan": None, "memberships": [alice]}),
        (ops, "members.show", f"membership:{alice}", {}),
    ]  # fmt: skip


def test_a_lookup_needs_a_staff_account_and_one_criterion(
    engine: Engine, database_url: str, ops: int
) -> None:
    ok(database_url, *join_args(ALICE, *HEALTHY))
    cases = [
        (("find", "--id-number", ALICE, "--by", "wuxiaoman"), "role-required"),
        (("find", "--id-number", ALICE, "--by", "nobody"), "unknown-account"),
        (("find", "--by", "ops"), "lookup-criterion"),
        (("find", "--id-number", ALICE, "--name", "吴小漫", "--by", "ops"), "lookup-criterion"),
        (("find", "--id-number", "not-a-number", "--by", "ops"), "id-number-malformed"),
        (("show", "999", "--by", "ops"), "unknown-membership"),
    ]
    for args, code in cases:
        result = cli(database_url, "members", *args)
        assert result.exit_code == 2 and code in result.stderr, (args, result.stderr)
    assert logged(engine) == []  # a refused lookup saw nothing
