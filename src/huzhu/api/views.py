"""Turning domain objects into response bodies, masking what the public must not see."""

from __future__ import annotations

from datetime import date
from typing import Any

from huzhu.api.schemas import money
from huzhu.api.schemas_accounts import PersonOut
from huzhu.api.schemas_claims import ClaimOut
from huzhu.api.schemas_memberships import MembershipOut, SuccessorOfferOut
from huzhu.api.schemas_plans import PlanSummary
from huzhu.api.schemas_rounds import CaseCard, RoundOut
from huzhu.domain.claims import Claim
from huzhu.domain.identity import mask_name, province_name
from huzhu.domain.members import LeaveReason, Membership, Person
from huzhu.domain.plan_fields import local_date
from huzhu.domain.plan_rules import Category
from huzhu.domain.plans import NOT_INSURANCE_EN, NOT_INSURANCE_ZH, Plan
from huzhu.plans.loader import load_catalogue
from huzhu.services.members import successor
from huzhu.services.members.statement import balance_of
from huzhu.services.plans import activation
from huzhu.storage.repositories.rounds.repository import RoundRecord
from huzhu.storage.uow import UnitOfWork

NOTICE = f"{NOT_INSURANCE_EN} {NOT_INSURANCE_ZH}"


def plan_summary(uow: UnitOfWork, plan: Plan) -> PlanSummary:
    members = uow.memberships.count_live(plan.id)
    return PlanSummary(
        id=plan.id,
        name_zh=plan.names.zh,
        name_en=plan.names.en,
        version=plan.version,
        effective_from=plan.effective_from,
        max_payout=money(plan.payout.maximum),
        management_fee_bp=plan.management_fee_bp,
        members=members,
        # Activation latches (services.activation): members leaving later do not undo it.
        in_preparation=activation.in_preparation(uow, plan),
        notice=NOTICE,
    )


def membership_out(uow: UnitOfWork, m: Membership, today: date) -> MembershipOut:
    assert m.id is not None
    out = membership_view(m, uow.plans.get(m.plan_id, today), today, balance_of(uow, m.id))
    offer = successor.offer_of(uow, m.id) if m.leave_reason is LeaveReason.AGE_OUT else None
    if offer is None:
        return out
    shown = SuccessorOfferOut(
        plan_id=offer.successor_plan,
        offered_at=offer.offered_at,
        state=offer.state.value,
        membership_id=offer.joined_membership_id,
    )
    return out.model_copy(update={"successor_offer": shown})


def membership_view(m: Membership, plan: Plan, today: date, balance: int) -> MembershipOut:
    assert m.id is not None
    return MembershipOut(
        id=m.id,
        plan_id=m.plan_id,
        person_id=m.person_id,
        plan_version=m.plan_version,
        status=m.status(plan, today).value,
        joined_at=m.joined_at,
        illness_cover_from=m.cover_starts(plan, Category.CRITICAL_ILLNESS),
        accident_cover_from=m.cover_starts(plan, Category.ACCIDENT),
        left_at=m.left_at,
        leave_reason=m.leave_reason.value if m.leave_reason else None,
        balance=money(balance),
    )


def person_out(p: Person) -> PersonOut:
    assert p.id is not None
    return PersonOut(
        id=p.id,
        id_type=p.id_type,
        id_number=p.id_number,
        name=p.name,
        birth_date=p.birth_date,
        sex=p.sex.value,
        province_code=p.province_code,
        phone=p.phone,
        email=p.email,
        guardian_id=p.guardian_id,
    )


def claim_out(c: Claim) -> ClaimOut:
    assert c.id is not None
    return ClaimOut(
        id=c.id,
        plan_id=c.plan_id,
        membership_id=c.membership_id,
        condition_code=c.condition_code,
        diagnosis_date=c.diagnosis_date,
        hospital=c.hospital,
        age_at_diagnosis=c.age_at_diagnosis,
        payout=money(c.payout) if c.payout is not None else None,
        state=c.state.value,
        reason_code=c.reason_code,
        reason_text=c.reason_text,
        submitted_at=c.submitted_at,
        decided_at=c.decided_at,
        round_id=c.round_id,
    )


def round_out(r: RoundRecord) -> RoundOut:
    f = r.figures
    return RoundOut(
        id=r.id,
        plan_id=r.plan_id,
        announce_date=r.announce_date,
        lock_at=r.lock_at,
        collect_date=r.collect_date,
        plan_version=r.plan_version,
        members=f.members,
        cases=f.cases,
        payouts=money(f.payouts),
        fee=money(f.fee),
        carry_in=money(f.carry_in),
        share=money(f.share),
        collected=money(f.collected),
        backstop=money(f.backstop),
        surplus=money(f.surplus),
    )


def case_cards(uow: UnitOfWork, round_id: int) -> list[CaseCard]:
    """Public cards: masked name, condition, age, sex, province, payout, days since joining."""
    catalogue = load_catalogue()
    cards = []
    for row in uow.rounds.public_cases(round_id):
        row_: Any = row
        cards.append(
            CaseCard(
                claim_id=row_.id,
                name=mask_name(row_.name),
                condition_code=row_.condition_code,
                condition=catalogue.get(row_.condition_code).zh,
                age=row_.age_at_diagnosis,
                sex=row_.sex,
                province=province_name(row_.province_code) if row_.province_code else None,
                payout=money(row_.payout or 0),
                days_since_joining=(row_.diagnosis_date - local_date(row_.joined_at)).days,
            )
        )
    return cards
