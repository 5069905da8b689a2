"""A form that joins or moves money, sent twice with the same hidden key, does its work once.

The key is claimed in the transaction that does the work (the API's `Idempotency-Key` table,
under a `web-` scope so the two never meet). A second send of the same form (a double click, a
reload, a racing twin that waited for the first to commit) is sent where the first one went. A
refused form claims nothing, so it can be corrected and sent again with the same key.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable

from sqlalchemy.exc import IntegrityError

from huzhu.domain.errors import Conflict
from huzhu.web.deps import Visit

KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def new_key() -> str:
    return secrets.token_urlsafe(16)


def form_key(sent: str) -> str:
    """The form's key; a form without a well-formed one gets a fresh key (it then runs once)."""
    return sent if KEY.match(sent) else new_key()


def once(visit: Visit, scope: str, key: str, work: Callable[[], str]) -> str:
    """Run `work` (which returns where to send the member) once per account, scope and key."""
    account_id = visit.member.account_id
    stored_key = f"web-{scope}:{key}"
    wanted = hashlib.sha256(scope.encode()).hexdigest()

    def earlier() -> str | None:
        found = visit.uow.idempotency.find(account_id, stored_key)
        if found is None:
            return None
        if found.request_hash != wanted:
            raise Conflict("this form was already sent for something else", code="form-reused")
        return str(found.response["location"])

    done = earlier()
    if done is not None:
        return done
    try:
        # Claimed before the work: a twin sent at the same moment waits here for our commit.
        with visit.uow.conn.begin_nested():
            visit.uow.idempotency.save(account_id, stored_key, wanted, 0, {}, visit.now)
    except IntegrityError:
        visit.uow.restart()
        done = earlier()
        if done is None:  # the twin was refused and claimed nothing: try again
            raise Conflict("this form is being sent already", code="conflict") from None
        return done
    location = work()
    visit.uow.idempotency.finish(account_id, stored_key, 303, {"location": location})
    return location
