"""`POST /v1/memberships/{id}/successor-offer`: the member who aged out (or their guardian)
accepts the senior plan offered, with an Idempotency-Key as for a join; nobody else can."""

from __future__ import annotations

from datetime import timedelta

from apikit import PLAN, Api, User, problem

from helpers import healthy
from huzhu.domain.plan_fields import local_date
from huzhu.services.members import successor
from huzhu.storage.uow import UnitOfWork

SENIOR = "xiang-hu-bao-senior"


def ages_out(api: Api, username: str) -> tuple[User, int]:
    today = local_date(api.clock())
    old = api.member(username, birth=today.replace(year=today.year - 60) + timedelta(days=1))
    return old, old.memberships[PLAN]


def run_age_out(api: Api) -> None:
    api.clock.now += timedelta(days=1)
    with UnitOfWork(api.engine) as uow:
        successor.age_out(uow, PLAN, local_date(api.clock()), api.clock())
        uow.commit()


def accept(api: Api, user: User, membership: int, key: str | None) -> object:
    body = {"health_answers": healthy(api.engine, SENIOR)}
    return api.post(f"/v1/memberships/{membership}/successor-offer", user, json=body, key=key)


def test_the_member_accepts_their_offer_once_and_no_one_else_can(api: Api) -> None:
    alice, hers = ages_out(api, "alice")
    bob, his = ages_out(api, "bob")
    run_age_out(api)
    # Bob cannot accept Alice's offer: her membership answers like one that does not exist.
    problem(accept(api, bob, hers, "bob-1"), 404, "unknown-membership")
    assert api.get(f"/v1/memberships/{hers}", alice).json()["successor_offer"]["state"] == "offered"
    problem(accept(api, alice, hers, None), 400, "idempotency-key-required")

    first = accept(api, alice, hers, "alice-1")
    assert first.status_code == 201, first.text
    joined = first.json()["membership"]
    assert (joined["plan_id"], joined["person_id"]) == (SENIOR, alice.person_id)
    again = accept(api, alice, hers, "alice-1")  # a retried request: the first answer, no join
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    problem(accept(api, alice, hers, "alice-2"), 409, "successor-offer-accepted")
    offer = api.get(f"/v1/memberships/{hers}", alice).json()["successor_offer"]
    assert (offer["state"], offer["membership_id"]) == ("accepted", joined["id"])
    # Bob's own offer is still his to take.
    assert accept(api, bob, his, "bob-2").status_code == 201
    problem(accept(api, alice, his, "alice-3"), 404, "unknown-membership")


def test_a_guardian_accepts_for_their_dependant(api: Api) -> None:
    today = local_date(api.clock())
    son = api.member("son")
    mother = api.dependant(
        son, birth=today.replace(year=today.year - 60) + timedelta(days=1), name="王秀英"
    )
    hers = api.joined(son, PLAN, dependant_id=mother)
    stranger = api.member("stranger")
    run_age_out(api)
    problem(accept(api, stranger, hers, "s-1"), 404, "unknown-membership")
    done = accept(api, son, hers, "son-1")
    assert done.status_code == 201, done.text
    assert done.json()["membership"]["person_id"] == mother
