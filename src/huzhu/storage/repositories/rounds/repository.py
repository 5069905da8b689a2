"""Rounds and the per-member charges they post, written set-based in the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    and_,
    insert,
    select,
    update,
)
from sqlalchemy.exc import OperationalError

from huzhu.domain.apportionment import RoundFigures
from huzhu.domain.money import Fen
from huzhu.storage.repositories.claims.repository import public_card_select
from huzhu.storage.tables import claims, member_charges, memberships, people, plans, rounds


@dataclass(frozen=True)
class RoundRecord:
    id: int
    plan_id: str
    announce_date: date
    lock_at: datetime
    collect_date: date
    plan_version: int
    figures: RoundFigures
    transaction_id: int | None
    created_at: datetime
    charge_rows: int = 0
    year_max: int | None = None
    year_totals: bool = False


@dataclass(frozen=True)
class StatementLine:
    round_id: int
    plan_id: str
    announce_date: date
    amount: Fen
    cases: int


def _record(row: Row[Any]) -> RoundRecord:
    return RoundRecord(
        id=row.id,
        plan_id=row.plan_id,
        announce_date=row.announce_date,
        lock_at=row.lock_at,
        collect_date=row.collect_date,
        plan_version=row.plan_version,
        figures=RoundFigures(
            members=row.members,
            cases=row.cases,
            payouts=row.payouts,
            fee=row.fee,
            carry_in=row.carry_in,
            share=row.share,
            member_cap=row.member_cap,
            collected=row.collected,
            backstop=row.backstop,
            surplus=row.surplus,
        ),
        transaction_id=row.transaction_id,
        created_at=row.created_at,
        charge_rows=row.charge_rows,
        year_max=row.year_max,
        year_totals=bool(row.year_totals),
    )


def charges_of_members() -> Any:
    """memberships -> their plan's rounds since joining -> the charge, by (round, member) key.

    Driving from the rounds keeps every step a key lookup: charges are keyed by round first, so a
    member's history is one probe per round however many members each round has.
    """
    return memberships.join(
        rounds,
        and_(rounds.c.plan_id == memberships.c.plan_id, rounds.c.lock_at > memberships.c.joined_at),
    ).join(
        member_charges,
        and_(
            member_charges.c.round_id == rounds.c.id,
            member_charges.c.membership_id == memberships.c.id,
        ),
    )


class RoundRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, round_id: int) -> RoundRecord | None:
        row = self.conn.execute(select(rounds).where(rounds.c.id == round_id)).first()
        return _record(row) if row else None

    def hold_plan(self, plan_id: str) -> None:
        """Hold the plan's row until the transaction ends, so that rounds of one plan run one at
        a time (FOR NO KEY UPDATE: members may still join meanwhile)."""
        self.conn.execute(
            select(plans.c.id).where(plans.c.id == plan_id).with_for_update(key_share=True)
        )

    def try_hold_plan(self, plan_id: str) -> bool:
        """Hold the plan's row as `hold_plan` does, or answer False at once if another
        transaction holds it (a round of the plan is running). On False the transaction is spoilt
        (PostgreSQL aborts it): roll back. SQLite has no row locks; its writers queue instead."""
        try:
            self.conn.execute(
                select(plans.c.id)
                .where(plans.c.id == plan_id)
                .with_for_update(key_share=True, nowait=True)
            )
        except OperationalError as e:
            if getattr(e.orig, "sqlstate", None) == "55P03":  # lock_not_available
                return False
            raise
        return True

    def hold(self, round_id: int) -> None:
        """Hold the round's row until the transaction ends, so that runs of one round's money
        work (collection batches) take turns and each sees what the one before it wrote."""
        self.conn.execute(
            select(rounds.c.id).where(rounds.c.id == round_id).with_for_update(key_share=True)
        )

    def for_period(self, plan_id: str, announce_date: date) -> RoundRecord | None:
        row = self.conn.execute(
            select(rounds).where(
                rounds.c.plan_id == plan_id, rounds.c.announce_date == announce_date
            )
        ).first()
        return _record(row) if row else None

    def previous(self, plan_id: str, announce_date: date) -> RoundRecord | None:
        row = self.conn.execute(
            select(rounds)
            .where(rounds.c.plan_id == plan_id, rounds.c.announce_date < announce_date)
            .order_by(rounds.c.announce_date.desc())
            .limit(1)
        ).first()
        return _record(row) if row else None

    def recent(
        self, plan_id: str, *, limit: int = 100, before: date | None = None
    ) -> list[RoundRecord]:
        q = select(rounds).where(rounds.c.plan_id == plan_id)
        if before is not None:
            q = q.where(rounds.c.announce_date < before)
        rows = self.conn.execute(q.order_by(rounds.c.announce_date.desc()).limit(limit))
        return [_record(r) for r in rows]

    def page(self, plan_id: str, *, after_id: int, limit: int) -> list[RoundRecord]:
        """Rounds in id order (the order they ran), for cursor pagination."""
        rows = self.conn.execute(
            select(rounds)
            .where(rounds.c.plan_id == plan_id, rounds.c.id > after_id)
            .order_by(rounds.c.id)
            .limit(limit)
        )
        return [_record(r) for r in rows]

    def open(
        self,
        plan_id: str,
        announce_date: date,
        lock_at: datetime,
        collect_date: date,
        plan_version: int,
        now: datetime,
    ) -> int:
        zero = RoundFigures(0, 0, 0, 0, 0, 0, None, 0, 0, 0)
        result = self.conn.execute(
            insert(rounds).values(
                plan_id=plan_id,
                announce_date=announce_date,
                lock_at=lock_at,
                collect_date=collect_date,
                plan_version=plan_version,
                created_at=now,
                **zero.as_dict(),
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def finish(
        self,
        round_id: int,
        figures: RoundFigures,
        transaction_id: int | None,
        charge_rows: int,
        *,
        year_max: int | None,
        year_totals: bool,
    ) -> None:
        self.conn.execute(
            update(rounds)
            .where(rounds.c.id == round_id)
            .values(
                transaction_id=transaction_id,
                charge_rows=charge_rows,
                year_max=year_max,
                year_totals=year_totals,
                **figures.as_dict(),
            )
        )

    def reference_for_year(self, plan_id: str, before: date) -> RoundRecord | None:
        """The latest round of this plan earlier in the same calendar year that wrote charges."""
        row = self.conn.execute(
            select(rounds)
            .where(
                rounds.c.plan_id == plan_id,
                rounds.c.announce_date < before,
                rounds.c.announce_date >= date(before.year, 1, 1),
                rounds.c.charge_rows > 0,
            )
            .order_by(rounds.c.announce_date.desc())
            .limit(1)
        ).first()
        return _record(row) if row else None

    def statement(self, membership_ids: list[int]) -> list[StatementLine]:
        rows = self.conn.execute(
            select(
                rounds.c.id,
                rounds.c.plan_id,
                rounds.c.announce_date,
                member_charges.c.amount,
                rounds.c.cases,
            )
            .select_from(charges_of_members())
            .where(memberships.c.id.in_(membership_ids))
            .order_by(rounds.c.announce_date, rounds.c.id)
        )
        return [StatementLine(r[0], r[1], r[2], int(r[3]), int(r[4])) for r in rows]

    def case_cards(self, round_id: int) -> list[Row[Any]]:
        return list(
            self.conn.execute(
                select(claims).where(claims.c.round_id == round_id).order_by(claims.c.id)
            )
        )

    def public_cases(self, round_id: int) -> list[Row[Any]]:
        """The round's cases with what a public card shows (masking happens in the view)."""
        return list(
            self.conn.execute(
                public_card_select().where(claims.c.round_id == round_id).order_by(claims.c.id)
            )
        )

    def claimants(self, round_id: int) -> dict[int, tuple[str, str | None]]:
        """membership id -> (name, province code) of the round's claimants, for public cards."""
        rows = self.conn.execute(
            select(memberships.c.id, people.c.name, people.c.province_code)
            .join(people, people.c.id == memberships.c.person_id)
            .join(claims, claims.c.membership_id == memberships.c.id)
            .where(claims.c.round_id == round_id)
        )
        return {r.id: (r.name, r.province_code) for r in rows}
