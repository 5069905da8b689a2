"""Payouts, prepaid balances, the log of gateway callbacks and reconciliation issues."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, exists, func, insert, literal, select, update

from huzhu.domain.members import Lifecycle
from huzhu.domain.money import Fen
from huzhu.storage.repositories.members.family import account_balances, positions
from huzhu.storage.tables import (
    claims,
    member_charges,
    membership_events,
    memberships,
    rounds,
)
from huzhu.storage.tables_access import accounts, host_apps, webhook_events
from huzhu.storage.tables_money import collection_batches as batches
from huzhu.storage.tables_money import gateway_events, payouts, reconciliation_issues

# Callback outcomes after which the same event id is a duplicate (a refused one may come again).
ACCEPTED = ("applied", "already-settled", "stale")


def _clean(value: Any) -> Any:
    """Text as a database stores it, whatever a caller sent: no NUL characters, and no lone
    surrogates (JSON can escape "\\ud800"; UTF-8 cannot hold it)."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


class PaymentRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- payouts ------------------------------------------------------------------------------

    def claims_to_pay(self, round_id: int) -> list[Row[Any]]:
        paying = exists().where(payouts.c.claim_id == claims.c.id)
        q = select(claims).where(claims.c.round_id == round_id, claims.c.state == "shared")
        return list(self.conn.execute(q.where(~paying).order_by(claims.c.id)))

    def add_payout(self, claim: Row[Any], ref: str, now: datetime) -> int:
        result = self.conn.execute(
            insert(payouts).values(
                claim_id=claim.id, round_id=claim.round_id, plan_id=claim.plan_id,
                membership_id=claim.membership_id, amount=claim.payout, status="submitted",
                gateway_ref=ref, submitted_at=now, attempts=1,
            )
        )  # fmt: skip
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def payouts(self, round_id: int, status: str | None = None) -> list[Row[Any]]:
        q = select(payouts).where(payouts.c.round_id == round_id)
        if status is not None:
            q = q.where(payouts.c.status == status)
        return list(self.conn.execute(q.order_by(payouts.c.id)))

    def payout_by(self, *, ref: str | None = None, claim_id: int | None = None) -> Row[Any] | None:
        cond = payouts.c.gateway_ref == ref if ref is not None else payouts.c.claim_id == claim_id
        return self.conn.execute(select(payouts).where(cond)).first()

    def update_payout(self, payout_id: int, expect: str, **values: Any) -> bool:
        q = update(payouts).where(payouts.c.id == payout_id, payouts.c.status == expect)
        return self.conn.execute(q.values(**values)).rowcount == 1

    def mark_claim_paid(self, claim_id: int) -> None:
        q = update(claims).where(claims.c.id == claim_id, claims.c.state == "shared")
        self.conn.execute(q.values(state="paid"))

    # -- prepaid balances --------------------------------------------------------------------

    def _low(self, round_id: int, below: Fen, lifecycle: str | None = None) -> Any:
        """Members charged in a round whose prepaid account does not hold `below` for each
        member up to them in family order (docs/books.md, "Family debit order")."""
        plan_id = str(self.conn.scalar(select(rounds.c.plan_id).where(rounds.c.id == round_id)))
        pos, accounts = positions(plan_id), account_balances(plan_id)
        m = memberships.alias("m")
        balance = func.coalesce(accounts.c.held, 0)
        this_round = exists().where(
            member_charges.c.round_id == round_id, member_charges.c.membership_id == m.c.id
        )
        q = (
            select(m.c.id, m.c.person_id, balance.label("balance"))
            .select_from(
                m.join(pos, pos.c.id == m.c.id).outerjoin(accounts, accounts.c.payer == pos.c.payer)
            )
            .where(this_round, balance < pos.c.place * below)
        )
        if lifecycle is not None:
            q = q.where(m.c.lifecycle == lifecycle)
        return q.subquery()

    def low_members(self, round_id: int, below: Fen) -> list[int]:
        """The memberships charged in the round whose account is below `below` (as reminded)."""
        low = self._low(round_id, below)
        return [int(i) for i in self.conn.scalars(select(low.c.id).order_by(low.c.id))]

    def remind_low(self, round_id: int, below: Fen, now: datetime) -> int:
        """A `balance.low` webhook to each low member's host app; returns how many are low."""
        low = self._low(round_id, below)
        build = (
            func.json_build_object if self.conn.dialect.name == "postgresql" else func.json_object
        )
        payload = build(
            literal("round_id"), literal(round_id), literal("membership_id"), low.c.id,
            literal("balance_fen"), low.c.balance, literal("reminder_below_fen"), literal(below),
            literal("currency"), literal("CNY"),
            literal("external_user_id"), accounts.c.external_id,
        )  # fmt: skip
        stamp = literal(now, webhook_events.c.created_at.type)
        self.conn.execute(
            insert(webhook_events).from_select(
                ["host_app_id", "type", "payload", "created_at", "attempts", "next_attempt_at"],
                select(accounts.c.host_app_id, literal("balance.low"), payload, stamp, literal(0),
                       stamp)
                .select_from(low)
                .join(accounts, accounts.c.person_id == low.c.person_id)
                .join(host_apps, host_apps.c.id == accounts.c.host_app_id)
                .where(host_apps.c.webhook_url.is_not(None)),
            )
        )  # fmt: skip
        return int(self.conn.scalar(select(func.count()).select_from(low)) or 0)

    def suspend_low(self, round_id: int, below: Fen, now: datetime) -> int:
        """Suspend the cover of active members charged in the round whose balance is too low."""
        active = Lifecycle.ACTIVE.value
        ids = select(self._low(round_id, below, active).c.id)
        self.conn.execute(
            insert(membership_events).from_select(
                ["membership_id", "at", "from_state", "to_state", "reason"],
                select(ids.subquery().c.id, literal(now, membership_events.c.at.type),
                       literal(active), literal(Lifecycle.SUSPENDED.value), literal("low-balance")),
            )
        )  # fmt: skip
        result = self.conn.execute(
            update(memberships)
            .where(memberships.c.id.in_(ids))
            .values(lifecycle=Lifecycle.SUSPENDED.value, suspended_at=now)
        )
        return int(result.rowcount)

    def reactivate(self, membership_id: int) -> None:
        self.conn.execute(
            update(memberships)
            # Only a suspended membership: one that left meanwhile stays left.
            .where(
                memberships.c.id == membership_id,
                memberships.c.lifecycle == Lifecycle.SUSPENDED.value,
            )
            .values(lifecycle=Lifecycle.ACTIVE.value, suspended_at=None)
        )

    # -- the callback log and reconciliation issues -------------------------------------------

    def event_seen(self, gateway: str, event_id: str) -> bool:
        q = select(gateway_events.c.id).where(
            gateway_events.c.gateway == gateway,
            gateway_events.c.event_id == event_id,
            gateway_events.c.outcome.in_(ACCEPTED),
        )
        return self.conn.scalar(q.limit(1)) is not None

    def log_event(
        self, gateway: str, event: dict[str, Any], outcome: str, detail: str, at: datetime
    ) -> None:
        event = _clean(event)

        def text(key: str, size: int) -> str | None:
            value = event.get(key)
            return str(value)[:size] if value is not None else None

        self.conn.execute(
            insert(gateway_events).values(
                gateway=_clean(gateway[:40]), event_id=text("event_id", 100),
                type=text("type", 40), ref=text("ref", 100), payload=event, received_at=at,
                outcome=outcome, detail=_clean(detail[:2000]),
            )
        )  # fmt: skip

    def events(self) -> list[Row[Any]]:
        return list(self.conn.execute(select(gateway_events).order_by(gateway_events.c.id)))

    def add_issue(self, values: dict[str, Any]) -> bool:
        """Record a reconciliation issue once per (gateway, day, ref, kind)."""
        t = reconciliation_issues
        values = _clean(values)
        same = select(t.c.id).where(
            t.c.gateway == values["gateway"], t.c.statement_date == values["statement_date"],
            t.c.ref == values["ref"], t.c.kind == values["kind"],
        )  # fmt: skip
        if self.conn.scalar(same.limit(1)) is not None:
            return False
        self.conn.execute(insert(t).values(**values))
        return True

    def issues(self) -> list[Row[Any]]:
        t = reconciliation_issues
        return list(self.conn.execute(select(t).order_by(t.c.id)))

    def moved_between(self, start: datetime, end: datetime) -> list[tuple[str, str, int]]:
        """What the books say moved for instructions sent in [start, end): (ref, kind, amount)."""
        b, p = batches, payouts
        debits = select(b.c.gateway_ref, literal("debit"), b.c.collected).where(
            b.c.submitted_at >= start, b.c.submitted_at < end,
            b.c.status == "settled", b.c.collected > 0,
        )  # fmt: skip
        paid = select(p.c.gateway_ref, literal("payout"), p.c.amount).where(
            p.c.submitted_at >= start, p.c.submitted_at < end, p.c.status == "paid"
        )
        refunds = select(b.c.gateway_ref, literal("payout"), b.c.amount).where(
            b.c.submitted_at >= start, b.c.submitted_at < end,
            b.c.kind == "refund", b.c.status == "settled",
        )  # fmt: skip
        rows = self.conn.execute(debits.union_all(paid, refunds))
        return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]
