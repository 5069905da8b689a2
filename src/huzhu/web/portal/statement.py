"""My statement: charges by round, total paid, people helped, and each charge's proof."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from huzhu.domain.errors import NotFound
from huzhu.domain.money import format_yuan
from huzhu.services.members.statement import statement
from huzhu.services.record import merkle_proofs
from huzhu.web.deps import PageVisit
from huzhu.web.errors import HtmlRoute
from huzhu.web.portal.memberships import MAX_ID, mine, view

router = APIRouter(prefix="/me", route_class=HtmlRoute, include_in_schema=False)


@router.get("/plans/{membership_id}/statement", response_class=HTMLResponse)
def my_statement(
    membership_id: int, visit: PageVisit, before: Annotated[int, Query(ge=0, lt=MAX_ID)] = 0
) -> HTMLResponse:
    """`before`: the keyset of a page of older balance moves (prepaid plans)."""
    m = mine(visit, membership_id)
    assert m.id is not None
    s = statement(visit.uow, m.id, visit.now, moves_before=before)
    recent = s.lines[-24:]
    series = {
        "labels": [line.announce_date.isoformat() for line in recent],
        "values": [format_yuan(line.amount, grouping=False) for line in recent],
    }
    return visit.page(
        "portal/me/statement.html", item=view(visit, m, s.balance), s=s,
        lines=list(reversed(s.lines)), series=series,
    )  # fmt: skip


@router.get("/plans/{membership_id}/rounds/{round_id}/proof")
def charge_proof(membership_id: int, round_id: int, visit: PageVisit) -> Response:
    """The inclusion proof of this charge, as a file: `huzhu verify --proof FILE` checks it."""
    m = mine(visit, membership_id)
    assert m.id is not None
    if not 0 < round_id < MAX_ID:
        raise NotFound(f"no round {round_id}", code="unknown-round", field="round")
    proof = merkle_proofs.prove(visit.uow, round_id, m.id).to_dict()
    return Response(
        json.dumps(proof, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="charge-proof-round-{round_id}.json"'
        },
    )
