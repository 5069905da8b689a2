"""Idempotency-Key for POSTs that create a membership or move money.

The first successful result is stored with the key, in the same transaction as the work, so a
retried request gets exactly the first answer and never charges or joins twice. The same key with a
different body is refused with 409. Failed attempts store nothing: nothing happened.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError

from huzhu.domain.access import Principal
from huzhu.domain.errors import Conflict, InvalidInput
from huzhu.storage.uow import UnitOfWork

KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
REPLAY_HEADER = "Idempotent-Replayed"


def request_hash(scope: str, body: BaseModel | None) -> str:
    payload = body.model_dump(mode="json") if body is not None else None
    text = json.dumps([scope, payload], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def run_once(
    uow: UnitOfWork,
    principal: Principal,
    key: str | None,
    scope: str,
    body: BaseModel | None,
    now: datetime,
    work: Callable[[], tuple[int, Any]],
) -> JSONResponse:
    if key is None:
        raise InvalidInput(
            "this request needs an Idempotency-Key header",
            code="idempotency-key-required",
            field="Idempotency-Key",
        )
    if not KEY.match(key):
        raise InvalidInput(
            "Idempotency-Key is 1 to 200 visible ASCII characters", field="Idempotency-Key"
        )
    wanted = request_hash(scope, body)

    def replay() -> JSONResponse | None:
        stored = uow.idempotency.find(principal.account_id, key)
        if stored is None:
            return None
        if stored.request_hash != wanted:
            raise Conflict(
                "this Idempotency-Key was used with a different request",
                code="idempotency-key-reused",
                field="Idempotency-Key",
            )
        return JSONResponse(
            stored.response, status_code=stored.status_code, headers={REPLAY_HEADER: "true"}
        )

    earlier = replay()
    if earlier is not None:
        return earlier
    try:
        # Claim the key before the work: a concurrent twin waits here until we commit, then
        # finds our result instead of doing the work again.
        with uow.conn.begin_nested():
            uow.idempotency.save(principal.account_id, key, wanted, 0, {}, now)
    except IntegrityError:
        uow.restart()
        again = replay()
        if again is not None:
            return again
        raise
    status, payload = work()
    uow.idempotency.finish(principal.account_id, key, status, payload)
    uow.commit()
    return JSONResponse(payload, status_code=status)
