"""Appeals in the console: a rejected claim's appeal shows its deadline, staff draw the jury and
close it (the services the API calls), and the jury's count decides the appeal."""

from __future__ import annotations

from datetime import timedelta

from apikit import DRAWN_JURY, claim_rules
from consolekit import Browser, World, browser

from huzhu.domain.jury import QUESTIONS

ANSWERS = {"answers": {q.id: q.answer for q in QUESTIONS}}


def test_staff_draw_a_jury_and_its_count_decides_the_appeal(
    world: World, operator: Browser, reviewer: Browser
) -> None:
    api = world.api
    claim_rules(api, DRAWN_JURY)  # Xiang Hu Bao votes in public; this is the drawn jury
    more = [api.member(f"juror{k}", name=f"陪审{k}") for k in range(5)]
    people = [world.a, world.reviewer, *more]
    api.clock.now += timedelta(days=31)
    for user in people:
        assert api.post("/v1/juror-test", user, json=ANSWERS).status_code == 200
    rejection = {"reason_code": "no-evidence", "explanation": "no hospital report"}
    assert reviewer.post(f"/console/claims/{world.claim_b}/reject", rejection).status_code == 303
    page = operator.get(f"/console/claims/{world.claim_b}")
    assert "Appeal until" in page.text and "Draw the jury" not in page.text  # no appeal yet
    r = api.post(f"/v1/claims/{world.claim_b}/appeal", world.b, json={"statement": "见附件"})
    assert r.status_code == 200, r.text
    page = operator.get(f"/console/claims/{world.claim_b}")
    assert "Draw the jury" in page.text
    drawn = operator.post(f"/console/claims/{world.claim_b}/jury", {"seed": "beacon-2026-0001"})
    assert drawn.status_code == 303, drawn.text
    jury_id = int(api.rows("select id from juries where claim_id = :c", c=world.claim_b)[0][0])
    page = operator.get(f"/console/claims/{world.claim_b}")
    assert "beacon-2026-0001" in page.text and f"/juries/{jury_id}/close" in page.text
    close = f"/console/claims/{world.claim_b}/juries/{jury_id}/close"
    early = operator.post(close)
    assert early.status_code == 409 and 'role="alert"' in early.text  # jurors may still vote
    url = f"/v1/juries/{jury_id}"
    for user, choice in zip(people[:5], ("overturn",) * 4 + ("uphold",), strict=True):
        assert api.post(f"{url}/vote", user, json={"vote": choice}).status_code == 204
    api.clock.now += timedelta(days=8)
    # Nobody closes a jury on their own claim's appeal; a member never does.
    assert browser(api, world.b).post(close).status_code == 403
    assert operator.post(close).status_code == 303
    assert api.rows("select state from claims where id = :i", i=world.claim_b) == [("announced",)]
    page = operator.get(f"/console/claims/{world.claim_b}")
    assert "overturned (4 to overturn, 1 to uphold)" in page.text
    assert api.count("audit_log", "action in ('claim.jury_drawn', 'claim.jury_closed')") == 2
