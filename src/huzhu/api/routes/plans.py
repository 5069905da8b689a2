"""Plans are public: their rules, every version, covered conditions, headcount and rounds."""

from __future__ import annotations

from fastapi import APIRouter

from huzhu.api.deps import Now, Uow
from huzhu.api.pagination import Cursor, Limit, Page, decode, page
from huzhu.api.params import PathVersion, PlanId
from huzhu.api.problems import ERROR_RESPONSES
from huzhu.api.schemas_plans import ConditionOut, PlanDetail, PlanSummary, PlanVersionOut
from huzhu.api.schemas_rounds import RoundOut
from huzhu.api.views import plan_summary, round_out
from huzhu.domain.plan_fields import local_date
from huzhu.domain.plan_rules import Category
from huzhu.domain.plans import Plan
from huzhu.plans.loader import load_catalogue
from huzhu.storage.uow import UnitOfWork

router = APIRouter(prefix="/v1/plans", tags=["plans"], responses=ERROR_RESPONSES)


def _detail(uow: UnitOfWork, plan: Plan) -> PlanDetail:
    versions = [
        PlanVersionOut(
            version=v.version,
            effective_from=v.effective_from,
            published_at=v.created_at,
            sha256=v.sha256,
            changes=v.changes,
        )
        for v in uow.plans.history(plan.id)
    ]
    return PlanDetail(
        **plan_summary(uow, plan).model_dump(),
        rules=plan.model_dump(mode="json", context={"money": "fen"}),
        versions=versions,
    )


@router.get("")
def list_plans(uow: Uow, now: Now, cursor: Cursor = None, limit: Limit = 50) -> Page[PlanSummary]:
    """Every plan with its current version and headcount. Cursor counts plans in id order."""
    start = decode(cursor)
    ids = uow.plans.ids()[start : start + limit]
    items = [plan_summary(uow, uow.plans.get(i, local_date(now))) for i in ids]
    return page(items, limit, start + len(ids))


@router.get("/{plan_id}")
def one_plan(plan_id: PlanId, uow: Uow, now: Now) -> PlanDetail:
    """The rules in force today and the history of rule changes, each with its effective date."""
    return _detail(uow, uow.plans.get(plan_id, local_date(now)))


@router.get("/{plan_id}/versions/{version}")
def plan_version(plan_id: PlanId, version: PathVersion, uow: Uow) -> PlanDetail:
    return _detail(uow, uow.plans.get_version(plan_id, version))


@router.get("/{plan_id}/conditions")
def covered_conditions(plan_id: PlanId, uow: Uow, now: Now) -> list[ConditionOut]:
    plan = uow.plans.get(plan_id, local_date(now))
    return [
        ConditionOut(
            code=c.code,
            zh=c.zh,
            en=c.en,
            category=c.category.value,
            severity=c.severity.value if c.severity else None,
            source=c.source,
            claimable_under_age=(
                plan.cover.childhood_max_age_years
                if c.category is Category.CHILDHOOD_ILLNESS
                else None
            ),
        )
        for c in load_catalogue().conditions.values()
        if plan.cover.covers(c)
    ]


@router.get("/{plan_id}/rounds")
def plan_rounds(
    plan_id: PlanId, uow: Uow, cursor: Cursor = None, limit: Limit = 24
) -> Page[RoundOut]:
    """Published rounds in the order they ran: headcount, cases, payouts, fee, share."""
    uow.plans.get(plan_id)
    found = uow.rounds.page(plan_id, after_id=decode(cursor), limit=limit)
    return page([round_out(r) for r in found], limit, found[-1].id if found else None)
