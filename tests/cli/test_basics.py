"""The `huzhu` command line end to end, and how it refuses: every refusal exits non-zero,
names the rule (its code) on stderr and writes nothing."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from clikit import (
    ALICE,
    HEALTHY,
    JAN2,
    JAN7,
    claim_args,
    cli,
    init,
    join_args,
    membership_of,
    ok,
    refused,
    statement,
)
from sqlalchemy import Engine

from helpers import at, join_many
from huzhu.plans.loader import TEMPLATE_IDS


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
