"""Bad input is refused with a clear code and changes nothing (issue 4, "Bad input")."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from claimkit import Kit, build
from sqlalchemy import Engine, func, select

from helpers import at
from huzhu.domain.errors import HuzhuError
from huzhu.domain.jury import Vote
from huzhu.services.claims import decisions
from huzhu.services.claims import investigation as inv
from huzhu.services.claims import jury as jury_svc
from huzhu.services.claims import objections as obj_svc
from huzhu.services.claims.evidence import upload
from huzhu.storage.evidence import LocalEvidenceStore
from huzhu.storage.tables import claims, memberships
from huzhu.storage.tables_claims import (
    claim_events,
    claim_evidence,
    claim_objections,
    claim_workflow,
    inbox_messages,
    juries,
    jurors,
)

WATCHED = (claims, memberships, claim_events, claim_evidence, claim_objections, claim_workflow,
           inbox_messages, juries, jurors)  # fmt: skip


def snapshot(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        counts = [conn.scalar(select(func.count()).select_from(t)) for t in WATCHED]
        states = list(conn.execute(select(claims.c.id, claims.c.state).order_by(claims.c.id)))
        seats = list(conn.execute(select(jurors.c.person_id, jurors.c.status, jurors.c.vote)))
    return [counts, states, seats]


def refused(kit: Kit, code: str, fn: Callable[..., Any], *args: Any, **kw: Any) -> None:
    before = snapshot(kit.engine)
    with pytest.raises(HuzhuError) as info:
        kit.run(fn, *args, **kw)
    assert info.value.code == code, info.value
    assert snapshot(kit.engine) == before


@pytest.fixture
def kit(engine: Engine) -> Kit:
    return build(engine)


def test_refusals_around_announcement_and_evidence(kit: Kit, tmp_path: Path) -> None:
    store = LocalEvidenceStore(tmp_path / "evidence")
    claim = kit.submit()
    day5, day6 = at("2026-01-05"), at("2026-01-06")
    refused(kit, "missing-field", decisions.reject, claim, "r", "no-evidence", " ", day5)
    # Not announced yet: no objections; not rejected: no appeal.
    refused(kit, "objection-window-closed", obj_svc.object_to, claim, kit.crowd[0], "x", day5)
    refused(kit, "claim-state", jury_svc.appeal, claim, "please", "claimant", day5)
    kit.run(decisions.approve, claim, "r", day5, announce=True)
    refused(kit, "claim-state", decisions.approve, claim, "r", day6)
    refused(kit, "claim-state", decisions.reject, claim, "r", "x", "y", day6)
    refused(kit, "own-claim", obj_svc.object_to, claim, kit.claimant_person, "x", day6)
    refused(kit, "missing-field", obj_svc.object_to, claim, kit.crowd[0], "  ", day6)
    closed = at("2026-01-08", 10)  # the window closes at 10:00 on the 8th
    refused(kit, "objection-window-closed", obj_svc.object_to, claim, kit.crowd[0], "x", closed)
    # An announced claim takes no new evidence.
    pdf = b"%PDF-1"
    refused(kit, "claim-state", upload, store, claim, pdf, "application/pdf", None, "c", day6)
    assert not (tmp_path / "evidence").exists()


def test_refusals_around_appeals_and_juries(kit: Kit) -> None:
    claim = kit.submit()
    kit.run(decisions.reject, claim, "r", "no-evidence", "no report", at("2026-01-05"))
    refused(kit, "appeal-deadline-passed", jury_svc.appeal, claim, "late", "c", at("2026-02-05"))
    kit.run(jury_svc.appeal, claim, "in time", "claimant", at("2026-01-06"))
    # Nobody has passed the juror test yet: no jury can be drawn.
    refused(
        kit, "not-enough-jurors", jury_svc.draw_jury, claim, "op", at("2026-01-06"), "seed-0001"
    )
    kit.pass_tests(kit.crowd, at("2026-01-06"))
    jury = kit.run(jury_svc.draw_jury, claim, "op", at("2026-01-06"), "seed-0001")
    refused(kit, "jury-open", jury_svc.draw_jury, claim, "op", at("2026-01-06"), "seed-0002")
    seated = kit.read(lambda uow: [s.person_id for s in uow.juries.seats(jury.id)])
    outsider = next(p for p in kit.crowd if p not in seated)
    when = at("2026-01-07")
    refused(kit, "not-a-juror", jury_svc.vote, jury.id, outsider, Vote.UPHOLD, when)
    refused(kit, "not-a-juror", jury_svc.vote, jury.id, kit.claimant_person, Vote.OVERTURN, when)
    kit.run(jury_svc.vote, jury.id, seated[0], Vote.OVERTURN, when)
    refused(kit, "already-voted", jury_svc.vote, jury.id, seated[0], Vote.UPHOLD, when)
    refused(kit, "already-voted", jury_svc.decline, jury.id, seated[0], when)
    refused(kit, "jury-still-voting", jury_svc.close_jury, jury.id, "op", when)
    late = at("2026-01-13", 12)  # the jury sat for 7 days from the 6th at 10:00
    refused(kit, "vote-deadline-passed", jury_svc.vote, jury.id, seated[1], Vote.UPHOLD, late)
    closed = kit.run(jury_svc.close_jury, jury.id, "op", late)
    assert closed.result is not None and closed.result.value == "no-quorum"
    assert kit.state(claim) == "jury"  # a new jury may be drawn
    refused(kit, "jury-closed", jury_svc.vote, jury.id, seated[1], Vote.UPHOLD, when)
    again = kit.run(jury_svc.draw_jury, claim, "op", late, "seed-0002")
    assert again.id != jury.id


def test_documents_after_the_deadline_are_refused(kit: Kit, tmp_path: Path) -> None:
    store = LocalEvidenceStore(tmp_path)
    claim = kit.submit()
    day5 = at("2026-01-05")
    refused(kit, "invalid-input", inv.request_documents, claim, "x", "r", day5, days=0)
    refused(kit, "missing-field", inv.request_documents, claim, " ", "r", day5)
    kit.run(inv.request_documents, claim, "the report", "r", day5, days=2)
    refused(kit, "claim-state", inv.request_documents, claim, "more", "r", day5)
    late = at("2026-01-07", 11)
    pdf = b"%PDF-1"
    refused(kit, "documents-deadline-passed", upload, store, claim, pdf, "application/pdf", None,
            "claimant", late)  # fmt: skip
