"""Joining, leaving, top-ups and statements."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse

from huzhu import gateways
from huzhu.api import join as joining
from huzhu.api.deps import Caller, Config, Now, Uow
from huzhu.api.idempotency import run_once
from huzhu.api.pagination import Cursor, Limit, Page, decode, encode, page
from huzhu.api.params import PathId, PlanFilter
from huzhu.api.problems import ERROR_RESPONSES
from huzhu.api.schemas import (
    BalanceMoveOut,
    OperatorPaidRoundOut,
    StatementLineOut,
    StatementOut,
    money,
)
from huzhu.api.schemas_memberships import (
    EligibilityOut,
    JoinIn,
    JoinOut,
    MembershipOut,
    SuccessorOfferIn,
    TopUpIn,
    TopUpOut,
)
from huzhu.api.schemas_record import ChargeProofOut, proof_out
from huzhu.api.views import membership_out
from huzhu.domain.money import format_yuan
from huzhu.domain.plan_fields import CHINA_TZ, local_date
from huzhu.services.accounts import ownership
from huzhu.services.members import joining as enrolment
from huzhu.services.members import successor
from huzhu.services.members.joining import SandboxCredit
from huzhu.services.members.statement import balance_of, statement
from huzhu.services.record import merkle_proofs

router = APIRouter(prefix="/v1/memberships", tags=["memberships"], responses=ERROR_RESPONSES)
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


@router.post("", status_code=201, response_model=JoinOut, responses={200: {"model": JoinOut}})
async def join(body: JoinIn, request: Request, idempotency_key: IdemKey = None) -> JSONResponse:
    """Join a plan, for yourself or a dependant. A refusal lists every rule that failed.

    Needs a signed-in caller (bearer token or session cookie) and an Idempotency-Key.
    """
    return await joining.join(request, body, idempotency_key)


@router.get("")
def my_memberships(
    principal: Caller,
    uow: Uow,
    now: Now,
    plan_id: PlanFilter = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[MembershipOut]:
    """Your memberships and your dependants'; operators and auditors see everyone's."""
    person_ids = None if principal.sees_everything else ownership.own_person_ids(uow, principal)
    found = uow.memberships.page(
        person_ids=person_ids, plan_id=plan_id, after_id=decode(cursor), limit=limit
    )
    items = [membership_out(uow, m, local_date(now)) for m in found]
    return page(items, limit, found[-1].id if found else None)


@router.get("/{membership_id}")
def one_membership(membership_id: PathId, principal: Caller, uow: Uow, now: Now) -> MembershipOut:
    return membership_out(uow, ownership.membership(uow, principal, membership_id), local_date(now))


@router.post("/{membership_id}/leave")
def leave(membership_id: PathId, principal: Caller, uow: Uow, now: Now) -> MembershipOut:
    """Leave the plan in one step. Charges of rounds already locked stay due."""
    left = enrolment.leave_as(uow, principal, membership_id, now)
    out = membership_out(uow, left, local_date(now))
    uow.commit()
    return out


@router.post("/{membership_id}/top-ups", status_code=201, response_model=TopUpOut)
def add_top_up(
    membership_id: PathId,
    body: TopUpIn,
    principal: Caller,
    uow: Uow,
    now: Now,
    idempotency_key: IdemKey = None,
) -> JSONResponse:
    """Add money to a prepaid balance through the (sandbox) payment gateway."""
    m = ownership.membership(uow, principal, membership_id, write=True)
    assert m.id is not None
    membership_id_ = m.id

    def work() -> tuple[int, object]:
        key = f"api:{principal.account_id}:{idempotency_key}"
        txn = enrolment.top_up_as(uow, principal, membership_id_, body.amount_fen, key, now)
        out = TopUpOut(
            membership_id=membership_id_,
            transaction_id=txn,
            amount=money(body.amount_fen),
            balance=money(balance_of(uow, membership_id_)),
        )
        return 201, out.model_dump(mode="json")

    return run_once(uow, principal, idempotency_key, f"top-up:{membership_id_}", body, now, work)


@router.post("/{membership_id}/successor-offer", status_code=201, response_model=JoinOut)
def accept_successor_offer(
    membership_id: PathId,
    body: SuccessorOfferIn,
    principal: Caller,
    uow: Uow,
    now: Now,
    settings: Config,
    idempotency_key: IdemKey = None,
) -> JSONResponse:
    """Accept the plan offered when this membership reached the exit age (yours or a
    dependant's): a join of the successor plan under its own rules and health declaration.

    Needs an Idempotency-Key, like a join. 404 for a membership that is not yours; 409
    `successor-offer-accepted` once accepted; 422 `no-successor-offer`, or every rule that failed.
    """
    scope = f"successor-offer:{membership_id}"

    def work() -> tuple[int, object]:
        m = successor.accept_as(
            uow, principal, membership_id, body.health_answers, now,
            gateway=gateways.factory()(uow.conn),
            deposit_key=f"api:{principal.account_id}:{idempotency_key}",
            credit=SandboxCredit(settings.sandbox_credit_score),
        )  # fmt: skip
        out = JoinOut(
            membership=membership_out(uow, m, local_date(now)),
            eligibility=EligibilityOut(eligible=True, failed_rules=[]),
        )
        return 201, out.model_dump(mode="json")

    return run_once(uow, principal, idempotency_key, scope, body, now, work)


MovesLimit = Annotated[int, Query(ge=1, le=200, description="balance moves per page")]


@router.get("/{membership_id}/statement", response_model=StatementOut)
def my_statement(
    membership_id: PathId,
    principal: Caller,
    uow: Uow,
    now: Now,
    moves_cursor: Cursor = None,
    moves_limit: MovesLimit = 50,
) -> JSONResponse:
    """Every charge, the total paid and how many people the member helped; for a prepaid
    plan, the money into and out of the balance, newest first, paged by `moves_cursor`."""
    m = ownership.membership(uow, principal, membership_id)
    assert m.id is not None
    s = statement(uow, m.id, now, decode(moves_cursor), moves_limit)
    out = StatementOut(
        membership_id=m.id,
        plan_id=m.plan_id,
        status=s.status.value,
        plan_version=s.plan_version,
        balance=money(s.balance),
        total_paid=money(s.total_paid),
        people_helped=s.people_helped,
        charges=[
            StatementLineOut(
                round_id=line.round_id,
                plan_id=line.plan_id,
                announce_date=line.announce_date,
                charged=money(line.amount),
                cases=line.cases,
            )
            for line in s.lines
        ],
        summary=(
            f"paid {format_yuan(s.total_paid)} yuan in total, helped {s.people_helped:,} people"
        ),
        operator_paid=[
            OperatorPaidRoundOut(
                round_id=p.round_id,
                announce_date=p.announce_date,
                cases=p.cases,
                share=money(p.share),
                reason=p.reason,
            )
            for p in s.operator_paid
        ],
    )
    if s.moves is not None:
        out.balance_moves = [
            BalanceMoveOut(
                id=move.id,
                membership_id=move.membership_id,
                at=move.at.astimezone(CHINA_TZ),
                kind=move.kind,
                amount=money(move.amount),
                reference=move.ref,
            )
            for move in s.moves
        ]
        out.balance_moves_next_cursor = None if s.moves_next is None else encode(s.moves_next)
    # A post-paid statement has no balance moves: the fields are left out, not null.
    prepaid_only = None if s.moves is not None else {"balance_moves", "balance_moves_next_cursor"}
    return JSONResponse(out.model_dump(mode="json", exclude=prepaid_only))


@router.get("/{membership_id}/rounds/{round_id}/proof")
def charge_proof(
    membership_id: PathId, round_id: PathId, principal: Caller, uow: Uow
) -> ChargeProofOut:
    """An inclusion proof of this member's charge in a round's published Merkle root.

    Check it offline with `huzhu verify --proof FILE.json`: it needs nothing but the proof and
    the root printed in the round's public report.
    """
    m = ownership.membership(uow, principal, membership_id)
    assert m.id is not None
    return proof_out(merkle_proofs.prove(uow, round_id, m.id))
