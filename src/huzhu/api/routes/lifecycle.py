"""A plan's lifecycle (operators): closing it, and marking rounds as paid by the operator."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header
from fastapi.responses import JSONResponse

from huzhu import gateways
from huzhu.api.deps import Now, Uow, role
from huzhu.api.idempotency import run_once
from huzhu.api.params import PlanId
from huzhu.api.problems import ERROR_RESPONSES
from huzhu.api.schemas import money
from huzhu.api.schemas_lifecycle import (
    CloseIn,
    ClosingOut,
    OperatorPaidIn,
    OperatorPaidOut,
    RefundsOut,
)
from huzhu.domain import lifecycle
from huzhu.domain.access import Principal, Role
from huzhu.services.events import record
from huzhu.services.plans import promotions, shutdown

router = APIRouter(prefix="/v1", tags=["plans"], responses=ERROR_RESPONSES)
Operator = Annotated[Principal, Depends(role(Role.OPERATOR))]
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


@router.post("/plans/{plan_id}/close", status_code=201, response_model=ClosingOut)
def close_plan(
    plan_id: PlanId,
    body: CloseIn,
    principal: Operator,
    uow: Uow,
    now: Now,
    idempotency_key: IdemKey = None,
) -> JSONResponse:
    """Close a plan (operators): no joins and no sharing from the notice date, claims for 180
    days after the end date, prepaid balances refunded. A plan closes once (409 `plan-closed`)."""

    def work() -> tuple[int, object]:
        gateway = gateways.factory()(uow.conn)
        done = shutdown.close_plan(
            uow, gateway, plan_id, body.notice_date, body.end_date, now,
            refund_past_shares=body.refund_past_shares,
        )  # fmt: skip
        dates = lifecycle.ClosingDates(body.notice_date, body.end_date)
        r = done.refunds
        out = ClosingOut(
            plan_id=plan_id,
            notice_date=body.notice_date.isoformat(),
            end_date=body.end_date.isoformat(),
            last_claim_day=dates.last_claim_day.isoformat(),
            refund_due=dates.refund_due.isoformat(),
            refund_past_shares=body.refund_past_shares,
            refunds=None
            if r is None
            else RefundsOut(
                members=r.members, balances=money(r.balances), past_shares=money(r.past_shares)
            ),
        )
        details = out.model_dump(mode="json", exclude={"refunds"})
        record(uow, principal.account_id, "plan.closed", f"plan:{plan_id}", details, now)
        return 201, out.model_dump(mode="json")

    return run_once(uow, principal, idempotency_key, f"close:{plan_id}", body, now, work)


@router.post("/plans/{plan_id}/operator-paid", status_code=201, response_model=OperatorPaidOut)
def mark_rounds_operator_paid(
    plan_id: PlanId,
    body: OperatorPaidIn,
    principal: Operator,
    uow: Uow,
    now: Now,
    idempotency_key: IdemKey = None,
) -> JSONResponse:
    """Mark the rounds announced in a period as paid by the operator (a promotion)."""

    def work() -> tuple[int, object]:
        p = promotions.mark_operator_paid(
            uow, plan_id, body.first_date, body.last_date, now, note=body.note
        )
        out = OperatorPaidOut(
            id=p.id,
            plan_id=plan_id,
            first_date=p.first_date.isoformat(),
            last_date=p.last_date.isoformat() if p.last_date else None,
            reason=p.reason,
        )
        details = out.model_dump(mode="json")
        record(uow, principal.account_id, "plan.operator-paid", f"plan:{plan_id}", details, now)
        return 201, details

    return run_once(uow, principal, idempotency_key, f"operator-paid:{plan_id}", body, now, work)
