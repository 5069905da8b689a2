"""Lookups that every portal page makes are indexed, on both databases."""

from __future__ import annotations

from sqlalchemy import Engine, inspect


def test_dependants_are_found_through_an_index(engine: Engine) -> None:
    """A guardian's dependants are read on every member page (ownership includes dependants);
    without this index each read scanned the whole `people` table."""
    indexed = [i["column_names"] for i in inspect(engine).get_indexes("people")]
    assert ["guardian_id"] in indexed


def test_fraud_signals_count_claims_through_indexes(engine: Engine) -> None:
    """The claim queue counts a plan's claims by hospital and diagnosis date for every claim on
    the page (migration 0017)."""
    indexed = [i["column_names"] for i in inspect(engine).get_indexes("claims")]
    assert ["plan_id", "hospital", "diagnosis_date"] in indexed
    assert ["plan_id", "diagnosis_date"] in indexed


def test_leaves_per_day_are_counted_through_an_index(engine: Engine) -> None:
    """The dashboard counts the leaves of the last 90 days (migration 0017, partial)."""
    indexed = [i["column_names"] for i in inspect(engine).get_indexes("memberships")]
    assert ["left_at"] in indexed


def test_a_rounds_payouts_are_paged_through_an_index(engine: Engine) -> None:
    """The console's round money page reads payouts by (round, id) a page at a time."""
    indexed = [i["column_names"] for i in inspect(engine).get_indexes("payouts")]
    assert ["round_id", "id"] in indexed
