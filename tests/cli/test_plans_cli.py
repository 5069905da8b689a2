"""`huzhu plans ...`: showing, validating and publishing plan files."""

from __future__ import annotations

from pathlib import Path

import pytest
from clikit import init, my_plan, ok, plan_file, refused, text
from sqlalchemy import Engine


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
