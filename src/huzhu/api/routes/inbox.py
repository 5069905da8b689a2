"""The caller's in-app inbox: every step of their claims (and their dependants'), jury duties."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from huzhu.api.deps import Caller, Now, Uow
from huzhu.api.pagination import Cursor, Limit, Page, decode, page
from huzhu.api.params import ItemId
from huzhu.api.problems import ERROR_RESPONSES
from huzhu.api.schemas_claims import InboxMessageOut, LanguageIn
from huzhu.domain.errors import NotFound
from huzhu.messages import locale_or_default, render
from huzhu.services.accounts import ownership
from huzhu.services.claims.access import hidden
from huzhu.storage.repositories.messaging.inbox import Message

Lang = Literal["zh", "en"]

router = APIRouter(prefix="/v1/me/inbox", tags=["me"], responses=ERROR_RESPONSES)


def message_out(m: Message, locale: str) -> InboxMessageOut:
    worded = render(m.kind, m.params, locale)
    return InboxMessageOut(
        id=m.id,
        person_id=m.person_id,
        claim_id=m.claim_id,
        kind=m.kind,
        params=m.params,
        locale=locale,
        title=worded.title,
        body=worded.body,
        created_at=m.created_at,
        read_at=m.read_at,
    )


@router.get("")
def inbox(
    principal: Caller,
    uow: Uow,
    unread: bool = False,
    cursor: Cursor = None,
    limit: Limit = 50,
    lang: Annotated[Lang | None, Query(description="Worded in (default: yours, else zh)")] = None,
) -> Page[InboxMessageOut]:
    """Your messages and your dependants', oldest first, worded in your language."""
    people = ownership.own_person_ids(uow, principal)
    found = uow.inbox.page(people, after_id=decode(cursor), limit=limit, unread=unread)
    mine = uow.people.locale(principal.person_id) if principal.person_id is not None else None
    locale = locale_or_default(lang or mine)
    return page([message_out(m, locale) for m in found], limit, found[-1].id if found else None)


@router.put("/language", status_code=204)
def set_language(body: LanguageIn, principal: Caller, uow: Uow) -> None:
    """The language your messages are worded in, in this inbox, by e-mail and by SMS (your
    dependants' too, when they have no contact of their own)."""
    if principal.person_id is None:
        raise NotFound("give your own identity first: PUT /v1/me/person", code="no-person")
    uow.people.set_locale(principal.person_id, body.locale)
    uow.commit()


@router.post("/{message_id}/read", status_code=204)
def mark_read(message_id: ItemId, principal: Caller, uow: Uow, now: Now) -> None:
    if not uow.inbox.mark_read(message_id, ownership.own_person_ids(uow, principal), now):
        raise hidden("message", message_id)
    uow.commit()
