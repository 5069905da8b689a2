"""Checking a gateway callback before anything is applied: a body that is not a well-formed event
is refused (400) with what was wrong, and a refusal carries the status to answer the gateway."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from huzhu.gateways.base import EVENT_TYPES


@dataclass(frozen=True)
class CallbackResult:
    status: int
    outcome: str
    detail: str = ""


class Refused(Exception):
    """A callback not applied; `issue` also records a reconciliation issue."""

    def __init__(
        self,
        status: int,
        outcome: str,
        detail: str,
        *,
        issue: bool = False,
        expected: int | None = None,
        actual: int | None = None,
    ) -> None:
        super().__init__(detail)
        self.result = CallbackResult(status, outcome, detail)
        self.issue = issue
        self.amounts = (expected, actual)


def _fen(event: dict[str, Any], key: str) -> int:
    value = event.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10**15:
        raise Refused(400, "malformed", f"'{key}' must be a whole number of fen")
    return value


def _storable(event: dict[str, Any]) -> bool:
    """JSON may escape a lone surrogate ("\\ud800") that no UTF-8 column can hold."""
    return json.dumps(event, ensure_ascii=False).encode("utf-8", "replace").decode() == (
        json.dumps(event, ensure_ascii=False)
    )


def _loggable(event: dict[str, Any], body: bytes) -> dict[str, Any]:
    """The event as the log can keep it, else the raw body as text."""
    return event if event and _storable(event) else {"raw": body[:2000].decode("utf-8", "replace")}


def _parse(body: bytes) -> dict[str, Any]:
    try:
        event = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise Refused(400, "malformed", "the body is not JSON") from None
    if isinstance(event, dict) and not _storable(event):
        raise Refused(400, "malformed", "the body holds text that is not valid Unicode")
    if not isinstance(event, dict):
        raise Refused(400, "malformed", "the body is not a JSON object")
    for key in ("event_id", "ref"):
        value = event.get(key)
        if not isinstance(value, str) or not 0 < len(value) <= 100 or not value.isprintable():
            raise Refused(400, "malformed", f"'{key}' must be 1 to 100 printable characters")
    if event.get("type") not in EVENT_TYPES:
        raise Refused(400, "malformed", f"unknown event type {str(event.get('type'))[:40]!r}")
    return event


def _failed(event: dict[str, Any]) -> list[tuple[int, int, str]]:
    items = event.get("failed", [])
    if not isinstance(items, list):
        raise Refused(400, "malformed", "'failed' must be a list")
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise Refused(400, "malformed", "each failure is an object")
        out.append((_fen(item, "membership_id"), _fen(item, "amount"), str(item.get("reason"))))
    if len({m for m, _, _ in out}) != len(out):
        raise Refused(409, "amount-mismatch", "a member is listed twice as failed", issue=True)
    return out
