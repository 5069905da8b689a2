"""`huzhu join` and `huzhu leave`: every refusal names its rule and writes nothing."""

from __future__ import annotations

from datetime import date

import pytest
from clikit import ALICE, HEALTHY, cli, init, join_args, membership_of, ok, refused, statement, text
from sqlalchemy import Engine

from helpers import at, id_number


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
        codes=("plan-not-prepaid",),
        now=later,
    )

    # Having left, the person may join again as a new membership.
    again = membership_of(ok(database_url, *join_args(ALICE, *HEALTHY), now=later))
    assert again != m


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
