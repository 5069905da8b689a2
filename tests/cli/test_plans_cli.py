"""`huzhu plans ...`: showing, validating and publishing plan files."""

from __future__ import annotations

from pathlib import Path

import pytest
from clikit import cli, init, my_plan, ok, plan_file, refused, text
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


def test_plans_list_says_not_insurance_and_show_says_it_once(database_url: str) -> None:
    init(database_url)
    assert "is not insurance" in text(ok(database_url, "plans", "list").stdout)
    shown = text(ok(database_url, "plans", "show", "xiang-hu-bao").stdout)
    assert shown.count("not insurance") == 1  # before: the summary said it again


def test_plans_list_on_a_missing_database_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nothing-here.db"
    result = cli(f"sqlite:///{missing}", "plans", "list")
    assert result.exit_code == 2 and "huzhu init" in result.stderr
    assert not missing.exists()  # before: an empty file was left behind


def test_overlapping_age_bands_are_refused_naming_the_band(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    init(database_url)
    body = my_plan(("min_age_years = 40", "min_age_years = 30"))  # 0–39 and now 30–59
    path = plan_file(tmp_path, "overlap.toml", body)
    for command in ("validate", "publish"):
        result = refused(engine, database_url, "plans", command, str(path),
                         codes=("plan-file-invalid", "[payout.bands[1]]"))  # fmt: skip
        assert "overlaps payout.bands[0]" in text(result.stderr)


def next_version(fee_bp: int, changes: str | None) -> str:
    body = my_plan(("\nversion = 1\n", "\nversion = 2\n"))
    body = body.replace("effective_from = 2018-10-16", "effective_from = 2026-03-01")
    if changes is not None:
        body = body.replace(
            "effective_from = 2026-03-01", f"effective_from = 2026-03-01\nchanges = {changes!r}"
        )
    return body.replace("management_fee_bp = 800", f"management_fee_bp = {fee_bp}")


def test_a_new_version_needs_a_changes_note_and_a_fee_rise_needs_consent(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    init(database_url)
    ok(database_url, "plans", "publish", str(plan_file(tmp_path, "v1.toml", my_plan())))
    silent = plan_file(tmp_path, "v2-silent.toml", next_version(1500, None))
    refused(engine, database_url, "plans", "publish", str(silent),
            codes=("plan-changes-missing", "[changes]"))  # fmt: skip
    dearer = plan_file(tmp_path, "v2.toml", next_version(1500, "Fee raised to 15%."))
    result = refused(engine, database_url, "plans", "publish", str(dearer),
                     codes=("plan-fee-rise", "[management_fee_bp]"))  # fmt: skip
    assert "from 8% to 15%" in text(result.stderr)
    published = ok(database_url, "plans", "publish", str(dearer), "--accept-fee-rise")
    assert "published my-plan version 2" in text(published.stdout)
