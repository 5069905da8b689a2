"""Joining many people at once, for imports and simulations.

The same rules as a single join (document check, eligibility, one live membership per plan) are
applied row by row in Python, and the rows that pass are written with a few set-based statements
per batch, so that 100,000 members take seconds rather than minutes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from huzhu.domain import lifecycle
from huzhu.domain.eligibility import Applicant, check_eligibility
from huzhu.domain.errors import HuzhuError
from huzhu.domain.identity import parse_document
from huzhu.domain.members import Person, exit_date
from huzhu.domain.plan_fields import local_date
from huzhu.domain.plans import Plan
from huzhu.services.members.deposit import await_deposits
from huzhu.services.members.service import PersonDetails
from huzhu.services.plans import activation
from huzhu.services.plans.shutdown import closing_of
from huzhu.storage.uow import UnitOfWork


@dataclass(frozen=True)
class Candidate:
    line: int
    person: PersonDetails
    health_answers: Mapping[str, bool] = field(default_factory=dict)
    guardian_id_number: str | None = None


@dataclass(frozen=True)
class RowResult:
    line: int
    ok: bool
    code: str | None = None
    field: str | None = None
    message: str | None = None


def enrol_batch(
    uow: UnitOfWork, plan_id: str, batch: Sequence[Candidate], now: datetime
) -> list[RowResult]:
    plan = uow.plans.get(plan_id, local_date(now))
    lifecycle.check_join(plan.id, closing_of(uow, plan.id), local_date(now))
    results: dict[int, RowResult] = {}
    ready: list[tuple[Candidate, Person]] = []
    seen: set[tuple[str, str]] = set()
    guardians = _guardians(uow, batch)
    for c in batch:
        try:
            doc = parse_document(
                c.person.id_type,
                c.person.id_number,
                birth_date=c.person.birth_date,
                sex=c.person.sex,
                today=local_date(now),
            )
        except HuzhuError as e:
            results[c.line] = RowResult(c.line, False, e.code, e.field, e.message)
            continue
        if (doc.type.value, doc.number) in seen:
            results[c.line] = RowResult(
                c.line, False, "duplicate-row", "id_number", "this person appears twice in the file"
            )
            continue
        seen.add((doc.type.value, doc.number))
        guardian_id = guardians.get(c.guardian_id_number or "")
        if c.guardian_id_number and guardian_id is None:
            results[c.line] = RowResult(
                c.line, False, "unknown-guardian", "guardian", "the guardian is not registered"
            )
            continue
        applicant = Applicant(
            birth_date=doc.birth_date,
            credit_score=c.person.credit_score,
            health_answers=c.health_answers,
            has_guardian=guardian_id is not None,
        )
        report = check_eligibility(plan, applicant, local_date(now))
        if not report.ok:
            v = report.violations
            text = "; ".join(x.message for x in v)
            results[c.line] = RowResult(c.line, False, v[0].code, v[0].field, text)
            continue
        person = Person(
            id=None,
            id_type=doc.type.value,
            id_number=doc.number,
            name=c.person.name.strip(),
            birth_date=doc.birth_date,
            sex=doc.sex,
            province_code=c.person.province_code or doc.province_code,
            city_tier=c.person.city_tier,
            rural=c.person.rural,
            phone=c.person.phone,
            email=c.person.email,
            credit_score=c.person.credit_score,
            labels=c.person.labels,
            guardian_id=guardian_id,
        )
        ready.append((c, person))
    results.update(_write(uow, plan, ready, now))
    return [results[c.line] for c in batch]


def _guardians(uow: UnitOfWork, batch: Sequence[Candidate]) -> dict[str, int]:
    numbers = [c.guardian_id_number for c in batch if c.guardian_id_number]
    return uow.people.existing_numbers("resident-id", numbers) if numbers else {}


def _write(
    uow: UnitOfWork, plan: Plan, ready: list[tuple[Candidate, Person]], now: datetime
) -> dict[int, RowResult]:
    by_type: dict[str, list[str]] = {}
    for _, p in ready:
        by_type.setdefault(p.id_type, []).append(p.id_number)

    def known_ids() -> dict[tuple[str, str], int]:
        return {
            (id_type, number): pid
            for id_type, numbers in by_type.items()
            for number, pid in uow.people.existing_numbers(id_type, numbers).items()
        }

    before = known_ids()
    uow.people.add_many([p for _, p in ready if (p.id_type, p.id_number) not in before], now)
    known = known_ids()
    live = uow.memberships.live_person_ids(plan.id, list(known.values()))
    paid_out = uow.memberships.paid_out(plan.id, list(known.values()))
    results: dict[int, RowResult] = {}
    joining: list[tuple[int, date | None]] = []
    for c, p in ready:
        pid = known[(p.id_type, p.id_number)]
        if pid in live:
            results[c.line] = RowResult(
                c.line, False, "already-member", "plan", f"already a member of {plan.id}"
            )
            continue
        if pid in paid_out:  # a payout ends cover in the plan for good (services.members.join)
            results[c.line] = RowResult(
                c.line, False, "already-paid-out", "plan", f"{plan.id} has paid this person out"
            )
            continue
        joining.append((pid, exit_date(plan, p.birth_date)))
        results[c.line] = RowResult(c.line, True)
    uow.memberships.add_many(plan.id, plan.version, joining, now)
    await_deposits(uow, plan, [pid for pid, _ in joining], now)
    activation.latch(uow, plan, now)
    return results
