"""The `huzhu` command line end to end, on SQLite and PostgreSQL.

Every refusal must exit non-zero, name the rule (its code) on stderr and write nothing; every
happy path prints what a member or an operator needs to read.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, table
from typer.testing import CliRunner

from helpers import at, id_number, join_many
from huzhu.cli.app import app
from huzhu.cli.context import STATE
from huzhu.plans.loader import TEMPLATE_IDS, template_text

runner = CliRunner()

JAN2 = at("2026-01-02").isoformat()
BIRTH = date(1990, 5, 17)
ALICE = id_number(1, BIRTH)
BOB = id_number(2, BIRTH)
# Tables that a refused command must leave untouched.
WRITTEN = ("people", "memberships", "claims", "ledger_transactions", "plan_versions")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def text(s: str) -> str:
    """Output with colour codes removed and Rich's line wrapping undone."""
    return " ".join(ANSI.sub("", s).split())


def cli(database_url: str, *args: str, now: str = JAN2):
    result = runner.invoke(app, ["--database", database_url, "--now", now, *args])
    # Each invocation builds its own engine: close its pool so PostgreSQL connections do not pile
    # up over the run.
    if STATE._engine is not None:
        STATE._engine.dispose()
        STATE._engine = None
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"unexpected exception {result.exception!r}\nstdout: {result.stdout}\n"
        f"stderr: {result.stderr}"
    )
    return result


def ok(database_url: str, *args: str, now: str = JAN2):
    result = cli(database_url, *args, now=now)
    assert result.exit_code == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: conn.scalar(select(func.count()).select_from(table(name))) or 0
            for name in WRITTEN
        }


def refused(engine: Engine, database_url: str, *args: str, codes: tuple[str, ...], now: str = JAN2):
    """Run a command that must be refused: non-zero exit, every code on stderr, nothing written."""
    before = counts(engine)
    result = cli(database_url, *args, now=now)
    err = text(result.stderr)
    assert result.exit_code != 0, f"{args} succeeded: {result.stdout}"
    for code in codes:
        assert code in err, f"{code!r} not in stderr: {err!r} (stdout {result.stdout!r})"
    assert "Traceback" not in result.output
    assert counts(engine) == before, f"{args} wrote something"
    return result


def init(database_url: str, now: str = JAN2) -> None:
    result = ok(database_url, "init", now=now)
    assert "plan templates installed" in result.stdout


def join_args(number: str, *extra: str, plan: str = "xiang-hu-bao", name: str = "吴小漫"):
    return ("join", "--plan", plan, "--id-number", number, "--name", name, *extra)


HEALTHY = ("--declare-healthy", "--credit-score", "700")
JAN7 = ("--plan", "xiang-hu-bao", "--date", "2026-01-07")


def claim_args(number: str, *, plan: str = "xiang-hu-bao", diagnosed: str = "2026-01-03"):
    """An accident claim, covered from the day of joining."""
    return (
        "claims", "submit", "--plan", plan, "--id-number", number, "--condition", "AC-01",
        "--diagnosed", diagnosed, "--hospital", "北京协和医院", "--evidence", "report.pdf",
    )  # fmt: skip


def membership_of(result) -> int:
    found = re.search(r"membership (\d+)", result.stdout)
    assert found, result.stdout
    return int(found[1])


def statement(database_url: str, membership: int, now: str = JAN2) -> dict:
    result = ok(database_url, "statement", "--membership", str(membership), "--json", now=now)
    return json.loads(result.stdout)


def plan_file(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(body, "utf-8")
    return path


def my_plan(replace: tuple[str, str] | None = None) -> str:
    body = template_text("xiang-hu-bao").replace('id = "xiang-hu-bao"', 'id = "my-plan"')
    if replace:
        assert replace[0] in body
        body = body.replace(*replace)
    return body


# ---------------------------------------------------------------------------------------------
# The happy path


def test_happy_path_from_init_to_audit(engine: Engine, database_url: str) -> None:
    init(database_url)

    listed = ok(database_url, "plans", "list").stdout
    for plan_id in TEMPLATE_IDS:
        assert plan_id in listed

    joined = ok(database_url, *join_args(ALICE, *HEALTHY))
    alice = membership_of(joined)
    assert "waiting" in joined.stdout
    assert "2026-04-02" in joined.stdout  # illness cover starts after 90 days
    assert join_many(engine, "xiang-hu-bao", 30, at("2026-01-02")) == 30

    s = statement(database_url, alice)
    assert s["membership"] == alice and s["plan"] == "xiang-hu-bao"
    assert s["status"] == "waiting" and s["balance"] == 0 and s["charges"] == []

    # An accident is covered from day one.
    submitted = ok(database_url, *claim_args(ALICE), now=at("2026-01-04").isoformat())
    assert "submitted" in submitted.stdout and "300,000.00" in submitted.stdout
    claim = re.search(r"claim (\d+)", submitted.stdout)
    assert claim
    approved = ok(
        database_url, "claims", "approve", claim[1], "--by", "reviewer",
        now=at("2026-01-05").isoformat(),
    )  # fmt: skip
    assert "approved" in approved.stdout

    round_now = at("2026-01-07", 12).isoformat()
    ok(database_url, "rounds", "run", *JAN7, now=round_now)
    shown = ok(database_url, "rounds", "show", *JAN7, "--json", now=round_now)
    figures = json.loads(shown.stdout)
    assert figures["plan"] == "xiang-hu-bao" and figures["announce_date"] == "2026-01-07"
    assert figures["cases"] == 1 and figures["payouts"] == 30_000_000
    assert figures["fee"] == 2_400_000
    # The claimant's cover ended with the payout: the 30 others share, at most 0.10 yuan each.
    assert figures["members"] == 30 and figures["collected"] == 30 * 10
    assert figures["backstop"] == figures["payouts"] + figures["fee"] - figures["collected"]

    audited = ok(database_url, "audit", now=round_now)
    assert "audit passed" in audited.stdout


def test_round_quote_needs_no_database(tmp_path: Path, database_url: str) -> None:
    expected = {
        "members": 1000,
        "payouts": 100000,
        "fee": 8000,
        "carry_in": 0,
        "share": 108,
        "collected": 108000,
        "surplus": 0,
        "backstop": 0,
    }
    args = ("round", "quote", "--plan", "meituan-huzhu", "--members", "1000", "--payouts", "1000")
    assert json.loads(ok(database_url, *args, "--json").stdout) == expected

    nowhere = tmp_path / "absent" / "never.db"
    result = ok(f"sqlite:///{nowhere}", *args, "--json")
    assert json.loads(result.stdout) == expected
    assert not nowhere.exists()
    assert not nowhere.parent.exists()

    plain = ok(f"sqlite:///{nowhere}", *args)
    assert "1.08 yuan" in plain.stdout
    assert not nowhere.exists()


def test_plans_show_says_not_insurance(database_url: str) -> None:
    init(database_url)
    shown = text(ok(database_url, "plans", "show", "xiang-hu-bao").stdout)
    assert "not insurance" in shown
    assert "300,000.00" in shown and "0.10" in shown and "188.00" in shown


def test_plans_validate_and_publish_a_good_file(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    init(database_url)
    good = plan_file(tmp_path, "my-plan.toml", my_plan())
    validated = ok(database_url, "plans", "validate", str(good))
    assert "valid plan my-plan version 1" in text(validated.stdout)
    published = ok(database_url, "plans", "publish", str(good))
    assert "published my-plan version 1" in text(published.stdout)
    assert "my-plan" in ok(database_url, "plans", "list").stdout


# ---------------------------------------------------------------------------------------------
# Joining: every refusal names its rule and writes nothing


def test_join_an_unknown_plan(engine: Engine, database_url: str) -> None:
    init(database_url)
    refused(
        engine,
        database_url,
        *join_args(ALICE, *HEALTHY, plan="no-such-plan"),
        codes=("unknown-plan",),
    )


@pytest.mark.parametrize(
    ("number", "code"),
    [
        (ALICE[:-1] + ("0" if ALICE[-1] != "0" else "1"), "id-number-check-digit"),
        (ALICE[:-2], "id-number-malformed"),
        ("11010519901317123X", "id-number-birth-date"),
        ("not-a-number", "id-number-malformed"),
    ],
)
def test_join_with_a_bad_id_number(engine: Engine, database_url: str, number: str, code: str):
    init(database_url)
    result = refused(engine, database_url, *join_args(number, *HEALTHY), codes=(code,))
    assert "id_number" in result.stderr


def test_join_too_old(engine: Engine, database_url: str) -> None:
    init(database_url)
    old = id_number(3, date(1950, 1, 1))
    result = refused(engine, database_url, *join_args(old, *HEALTHY), codes=("age-out-of-range",))
    assert "birth_date" in result.stderr


def test_join_too_young(engine: Engine, database_url: str) -> None:
    init(database_url)
    baby = id_number(4, date(2025, 12, 20))  # 13 days old; the plan starts at 30 days
    refused(
        engine,
        database_url,
        *join_args(baby, *HEALTHY),
        codes=("age-out-of-range", "guardian-required"),
    )


def test_join_twice(engine: Engine, database_url: str) -> None:
    init(database_url)
    ok(database_url, *join_args(ALICE, *HEALTHY))
    refused(engine, database_url, *join_args(ALICE, *HEALTHY), codes=("already-member",))


def test_join_with_a_low_credit_score(engine: Engine, database_url: str) -> None:
    init(database_url)
    result = refused(
        engine,
        database_url,
        *join_args(ALICE, "--declare-healthy", "--credit-score", "599"),
        codes=("credit-score-too-low",),
    )
    assert "credit_score" in result.stderr and "599" in result.stderr
    refused(
        engine,
        database_url,
        *join_args(ALICE, "--declare-healthy"),
        codes=("credit-score-missing",),
    )


def test_join_that_fails_several_rules_lists_every_one(engine: Engine, database_url: str) -> None:
    init(database_url)
    old = id_number(5, date(1950, 1, 1))
    result = refused(
        engine,
        database_url,
        *join_args(old, "--credit-score", "500", "--answer", "no-pending-tests=yes"),
        codes=(
            "age-out-of-range",
            "credit-score-too-low",
            "health-declaration-incomplete",
            "health-declaration-failed",
            "no-current-critical-illness",
            "no-pending-tests",
        ),
    )
    assert "4 rule(s) not met" in text(result.stderr)


def test_join_with_a_malformed_answer(engine: Engine, database_url: str) -> None:
    init(database_url)
    refused(
        engine,
        database_url,
        *join_args(ALICE, "--credit-score", "700", "--answer", "maybe"),
        codes=("invalid-input", "answer"),
    )


def test_a_command_before_init_says_to_run_init(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    result = cli(f"sqlite:///{empty}", "plans", "list")
    assert result.exit_code != 0
    assert "huzhu init" in result.stderr
    assert "no-database" in result.stderr
    assert "Traceback" not in result.output
    result = cli(f"sqlite:///{empty}", *join_args(ALICE, *HEALTHY))
    assert result.exit_code != 0 and "huzhu init" in result.stderr


def test_a_bad_now_is_refused(engine: Engine, database_url: str) -> None:
    init(database_url)
    refused(
        engine,
        database_url,
        *join_args(ALICE, *HEALTHY),
        now="yesterday",
        codes=("invalid-input", "now"),
    )


# ---------------------------------------------------------------------------------------------
# Claims


def test_a_claim_by_a_non_member_is_refused(engine: Engine, database_url: str) -> None:
    init(database_url)
    ok(database_url, *join_args(ALICE, *HEALTHY))
    later = at("2026-01-04").isoformat()
    refused(engine, database_url, *claim_args(BOB), codes=("not-a-member",), now=later)
    # A member of another plan is not a member of this one either.
    refused(engine, database_url, *claim_args(ALICE, plan="meituan-huzhu"),
            codes=("not-a-member",), now=later)  # fmt: skip
    refused(engine, database_url, *claim_args(ALICE, diagnosed="3 Jan"),
            codes=("invalid-input", "diagnosed"), now=later)  # fmt: skip
    refused(engine, database_url, *claim_args(ALICE, diagnosed="2026-02-01"),
            codes=("diagnosis_date",), now=later)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Top-ups


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("-5", "amount-negative"),
        ("abc", "amount-malformed"),
        ("0", "amount-not-positive"),
        ("0.00", "amount-not-positive"),
        ("1.005", "amount-precision"),
        ("", "amount-malformed"),
    ],
)
def test_a_bad_top_up_is_refused(engine: Engine, database_url: str, amount: str, code: str):
    init(database_url)
    m = membership_of(ok(database_url, *join_args(ALICE, *HEALTHY)))
    result = refused(
        engine,
        database_url,
        "topup",
        "--membership",
        str(m),
        f"--amount={amount}",
        "--key",
        "k1",
        codes=(code,),
    )
    assert "amount" in result.stderr
    assert statement(database_url, m)["balance"] == 0


def test_a_top_up_is_idempotent(engine: Engine, database_url: str) -> None:
    init(database_url)
    m = membership_of(ok(database_url, *join_args(ALICE, *HEALTHY)))
    args = ("topup", "--membership", str(m), "--key", "k1")
    first = ok(database_url, *args, "--amount", "10")
    assert "credited 10.00 yuan" in first.stdout
    after_first = counts(engine)
    ok(database_url, *args, "--amount", "10")
    assert counts(engine) == after_first
    assert statement(database_url, m)["balance"] == 1000

    refused(engine, database_url, *args, "--amount", "11", codes=("idempotency-key-reused",))
    assert statement(database_url, m)["balance"] == 1000

    ok(database_url, "topup", "--membership", str(m), "--key", "k2", "--amount", "0.50")
    assert statement(database_url, m)["balance"] == 1050
    assert "audit passed" in ok(database_url, "audit").stdout


def test_a_top_up_for_an_unknown_membership_is_refused(engine: Engine, database_url: str) -> None:
    init(database_url)
    result = refused(
        engine,
        database_url,
        "topup",
        "--membership",
        "999",
        "--amount",
        "10",
        "--key",
        "k",
        codes=("unknown-membership", "membership"),
    )
    assert result.stderr.startswith("error:")


# ---------------------------------------------------------------------------------------------
# Leaving


def test_leave_in_one_step(engine: Engine, database_url: str) -> None:
    init(database_url)
    m = membership_of(ok(database_url, *join_args(ALICE, *HEALTHY)))
    later = at("2026-02-01").isoformat()
    left = ok(database_url, "leave", "--plan", "xiang-hu-bao", "--id-number", ALICE, now=later)
    assert f"membership {m} of xiang-hu-bao ended" in left.stdout
    assert statement(database_url, m, now=later)["status"] == "left"

    refused(
        engine,
        database_url,
        "leave",
        "--plan",
        "xiang-hu-bao",
        "--id-number",
        ALICE,
        codes=("not-a-member",),
        now=later,
    )
    refused(
        engine,
        database_url,
        "leave",
        "--membership",
        str(m),
        codes=("membership-already-left",),
        now=later,
    )
    refused(engine, database_url, "leave", codes=("membership",), now=later)
    refused(
        engine,
        database_url,
        "topup",
        "--membership",
        str(m),
        "--amount",
        "10",
        "--key",
        "late",
        codes=("membership-left",),
        now=later,
    )

    # Having left, the person may join again as a new membership.
    again = membership_of(ok(database_url, *join_args(ALICE, *HEALTHY), now=later))
    assert again != m


# ---------------------------------------------------------------------------------------------
# Round arithmetic and rounds


@pytest.mark.parametrize(
    ("payouts", "code"),
    [("-5", "amount-negative"), ("abc", "amount-malformed"), ("1.001", "amount-precision")],
)
def test_round_quote_refuses_a_bad_amount(tmp_path: Path, payouts: str, code: str) -> None:
    nowhere = tmp_path / "never.db"
    result = cli(
        f"sqlite:///{nowhere}",
        "round",
        "quote",
        "--plan",
        "meituan-huzhu",
        "--members",
        "1000",
        f"--payouts={payouts}",
    )
    assert result.exit_code != 0
    assert code in result.stderr and "payouts" in result.stderr
    assert result.stdout == ""
    assert not nowhere.exists()


def test_round_quote_refuses_an_unknown_plan_and_negative_members(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'never.db'}"
    result = cli(url, "round", "quote", "--plan", "nope", "--members", "10", "--payouts", "1")
    assert result.exit_code != 0 and "unknown-plan" in result.stderr
    result = cli(url, "round", "quote", "--plan", "meituan-huzhu", "--members=-1", "--payouts", "1")
    assert result.exit_code != 0 and "--members" in result.stderr


def test_rounds_run_refuses_bad_dates(engine: Engine, database_url: str) -> None:
    init(database_url)
    ok(database_url, *join_args(ALICE, *HEALTHY))
    now = at("2026-01-10").isoformat()
    args = ("rounds", "run", "--plan", "xiang-hu-bao", "--date")
    refused(engine, database_url, *args, "2026-01-08", codes=("not-a-round-date",), now=now)
    refused(engine, database_url, *args, "2026-02-07", codes=("round-not-due",), now=now)
    refused(engine, database_url, *args, "Jan 7", codes=("date",), now=now)
    refused(
        engine,
        database_url,
        "rounds",
        "show",
        "--plan",
        "xiang-hu-bao",
        "--date",
        "2026-01-21",
        codes=("unknown-round",),
        now=now,
    )


def test_running_a_round_twice_changes_nothing(engine: Engine, database_url: str) -> None:
    init(database_url)
    ok(database_url, *join_args(ALICE, *HEALTHY))
    assert join_many(engine, "xiang-hu-bao", 10, at("2026-01-02")) == 10
    submitted = ok(database_url, *claim_args(ALICE), now=at("2026-01-03").isoformat())
    claim = re.search(r"claim (\d+)", submitted.stdout)
    assert claim
    ok(database_url, "claims", "approve", claim[1], "--by", "r", now=at("2026-01-04").isoformat())
    now = at("2026-01-07", 12).isoformat()
    args = ("rounds", "run", "--plan", "xiang-hu-bao", "--date", "2026-01-07")
    first = ok(database_url, *args, now=now)
    assert "already run" not in first.stdout
    before = counts(engine)
    again = ok(database_url, *args, now=at("2026-01-08").isoformat())
    assert "already run" in text(again.stdout)
    assert counts(engine) == before
    # Without --date, every due round not yet run: the 7th is not run again.
    later = ok(
        database_url,
        "rounds",
        "run",
        "--plan",
        "xiang-hu-bao",
        now=at("2026-01-21", 12).isoformat(),
    )
    assert "2026-01-21" in later.stdout
    assert counts(engine)["ledger_transactions"] == before["ledger_transactions"]  # no payouts
    assert "audit passed" in ok(database_url, "audit").stdout


# ---------------------------------------------------------------------------------------------
# Plan files


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("id = 'broken\n[names\n", None),
        (my_plan(('maximum = "300000"', "maximum = 300000.5")), "payout.maximum"),
        (my_plan(('amount = "300000"', "amount = 300000.0")), "payout.bands[0].amount"),
        (
            my_plan(('per_case_per_member = "0.10"', 'per_case_per_member = "0.105"')),
            "caps.per_case_per_member",
        ),
        (my_plan(("management_fee_bp = 800", 'management_fee_bp = "eight"')), "management_fee_bp"),
        (my_plan(("max_age = { years = 59 }", "")), "eligibility.max_age"),
    ],
    ids=["bad-toml", "float-maximum", "float-band", "sub-fen-cap", "text-fee", "missing-max-age"],
)
def test_a_malformed_plan_file_is_refused(
    engine: Engine, database_url: str, tmp_path: Path, body: str, field: str | None
) -> None:
    init(database_url)
    path = plan_file(tmp_path, "bad.toml", body)
    codes = ("plan-file-invalid",) + ((field,) if field else ("not valid TOML",))
    refused(engine, database_url, "plans", "validate", str(path), codes=codes)
    refused(engine, database_url, "plans", "publish", str(path), codes=codes)
    assert "my-plan" not in ok(database_url, "plans", "list").stdout


def test_a_missing_plan_file_is_refused(engine: Engine, database_url: str, tmp_path: Path) -> None:
    init(database_url)
    missing = tmp_path / "missing.toml"
    refused(engine, database_url, "plans", "validate", str(missing), codes=("plan-file",))
    refused(engine, database_url, "plans", "publish", str(missing), codes=("plan-file",))


# ---------------------------------------------------------------------------------------------
# The installed console script


def test_the_console_script_refuses_without_a_traceback(database_url: str) -> None:
    init(database_url)
    script = Path(sys.executable).parent / "huzhu"
    assert script.exists(), script
    bad = ALICE[:-1] + ("0" if ALICE[-1] != "0" else "1")
    proc = subprocess.run(
        [str(script), "--database", database_url, "--now", JAN2, *join_args(bad, *HEALTHY)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode != 0
    assert "id-number-check-digit" in proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    assert proc.stdout == ""


@pytest.mark.parametrize(
    ("url", "code", "exit_code"),
    [
        ("mysql://user@localhost/huzhu", "database-unsupported", 2),
        ("not a url", "database", 2),
        ("postgresql://postgres@127.0.0.1:1/huzhu", "database-unavailable", 3),
    ],
)
def test_a_bad_database_url_is_refused(url: str, code: str, exit_code: int) -> None:
    for args in (("init",), ("plans", "list")):
        result = cli(url, *args)
        assert result.exit_code == exit_code, result.output
        assert code in result.stderr
        assert "Traceback" not in result.output


# ---------------------------------------------------------------------------------------------
# Bugs found by these tests, now fixed


def test_join_uses_the_credit_score_given_for_a_registered_person(
    engine: Engine, database_url: str
) -> None:
    init(database_url)
    prepaid = join_args(ALICE, "--declare-healthy", plan="qingsong-huzhu")
    ok(database_url, *prepaid, "--deposit-key", "alice-deposit")
    joined = cli(database_url, *join_args(ALICE, *HEALTHY))
    assert joined.exit_code == 0, joined.stderr


def test_joining_a_prepaid_plan_needs_a_deposit_key(engine: Engine, database_url: str) -> None:
    """Issue 9: the deposit is asked of the gateway; without a key nothing is written."""
    init(database_url)
    result = cli(database_url, *join_args(ALICE, "--declare-healthy", plan="qingsong-huzhu"))
    assert result.exit_code != 0
    assert "deposit-required [deposit_key]" in result.stderr


def test_balances_names_the_at_option(engine: Engine, database_url: str) -> None:
    init(database_url)
    result = refused(
        engine,
        database_url,
        "balances",
        "--plan",
        "xiang-hu-bao",
        "--at",
        "garbage",
        codes=("invalid-input",),
    )
    assert "--at" in result.stderr and "--now" not in result.stderr


def test_statement_status_follows_the_beijing_day(engine: Engine, database_url: str) -> None:
    init(database_url)
    m = membership_of(ok(database_url, *join_args(ALICE, *HEALTHY)))  # cover from 2026-04-02
    assert statement(database_url, m, now="2026-04-02T07:00:00+08:00")["status"] == "covered"
    # The same instant written in UTC, as the system clock gives it.
    assert statement(database_url, m, now="2026-04-01T23:00:00+00:00")["status"] == "covered"


def test_join_age_follows_the_beijing_day(engine: Engine, database_url: str) -> None:
    init(database_url)
    sixty_today = id_number(6, date(1966, 1, 3))
    refused(
        engine,
        database_url,
        *join_args(sixty_today, *HEALTHY),
        now="2026-01-03T07:00:00+08:00",
        codes=("age-out-of-range",),
    )
    refused(
        engine,
        database_url,
        *join_args(sixty_today, *HEALTHY),
        now="2026-01-02T23:00:00+00:00",
        codes=("age-out-of-range",),
    )
