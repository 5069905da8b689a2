"""Rounds: the public summary with masked case cards, a member's own charge, and running one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header
from fastapi.responses import JSONResponse

from huzhu.api.deps import Caller, Now, Uow, role
from huzhu.api.idempotency import run_once
from huzhu.api.params import PathId, PlanId
from huzhu.api.problems import ERROR_RESPONSES
from huzhu.api.schemas import money
from huzhu.api.schemas_rounds import ChainHead, MyChargeOut, RoundDetail, RoundOut, RoundRunIn
from huzhu.api.views import case_cards, round_out
from huzhu.domain.access import Principal, Role
from huzhu.domain.errors import NotFound
from huzhu.services.accounts import ownership
from huzhu.services.events import record
from huzhu.services.record import public_record
from huzhu.services.rounds.service import run_round

router = APIRouter(prefix="/v1", tags=["rounds"], responses=ERROR_RESPONSES)
Operator = Annotated[Principal, Depends(role(Role.OPERATOR))]


@router.get("/rounds/{round_id}")
def one_round(round_id: PathId, uow: Uow) -> RoundDetail:
    """A published round: headcount, cases (names masked), payouts, fee and per-head share."""
    record_ = uow.rounds.get(round_id)
    if record_ is None:
        raise NotFound(f"no round {round_id}", code="unknown-round", field="round")
    seq, digest = public_record.chain_head(uow)
    merkle = uow.merkle_trees.merkle(round_id)
    return RoundDetail(
        **round_out(record_).model_dump(),
        case_cards=case_cards(uow, round_id),
        chain_head=ChainHead(seq=seq, digest=digest),
        merkle_root=merkle.root if merkle else None,
    )


@router.get("/rounds/{round_id}/my-charges")
def my_charges(round_id: PathId, principal: Caller, uow: Uow) -> list[MyChargeOut]:
    """What the caller (and their dependants) were charged in this round."""
    if uow.rounds.get(round_id) is None:
        raise NotFound(f"no round {round_id}", code="unknown-round", field="round")
    out = []
    for membership_id in uow.memberships.ids_of_people(ownership.own_person_ids(uow, principal)):
        charged = uow.archive.charge_of(round_id, membership_id)
        if charged is not None:
            out.append(
                MyChargeOut(round_id=round_id, membership_id=membership_id, charged=money(charged))
            )
    return out


@router.post(
    "/plans/{plan_id}/rounds",
    status_code=201,
    response_model=RoundOut,
    responses={200: {"model": RoundOut, "description": "The period had already run: that round"}},
)
def run(
    plan_id: PlanId,
    body: RoundRunIn,
    principal: Operator,
    uow: Uow,
    now: Now,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> JSONResponse:
    """Lock the headcount and charge every member (operators). A period runs once."""

    def work() -> tuple[int, object]:
        outcome = run_round(uow, plan_id, body.announce_date, now)
        r = outcome.round
        if outcome.created:
            details = {
                "plan_id": plan_id,
                "announce_date": r.announce_date.isoformat(),
                "round_id": r.id,
            }
            record(uow, principal.account_id, "round.run", f"round:{r.id}", details, now)
        return (201 if outcome.created else 200), round_out(r).model_dump(mode="json")

    return run_once(uow, principal, idempotency_key, f"round:{plan_id}", body, now, work)
