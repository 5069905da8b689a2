"""`huzhu verify`: every published jury result follows from its own tally and rule.

A jury-result entry carries the counts (overturn, uphold), the quorum, the threshold (none: a
strict majority) and, for a drawn jury, the seed that drew it. Anyone can recompute the result
from those; the check also compares them with the live `juries` row.
"""

from __future__ import annotations

from typing import Any

from huzhu.domain.errors import NotFound
from huzhu.domain.jury import JuryMode, JuryResult, decide
from huzhu.domain.msgid import N_
from huzhu.services.record.verify_merkle import entry_name
from huzhu.storage.repositories.record.public_record import LogEntry
from huzhu.storage.uow import UnitOfWork

JURIES_CHECK = N_("every jury result follows from its published tally")


def _count(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _entry_problems(entry: LogEntry) -> list[str]:
    p, name = entry.payload, entry_name(entry)
    overturn, uphold, quorum = (_count(p.get(k)) for k in ("overturn", "uphold", "quorum"))
    threshold = p.get("threshold_percent")
    if overturn is None or uphold is None or quorum is None:
        return [f"{name}: the tally (overturn, uphold, quorum) is missing or not a count"]
    if threshold is not None and (_count(threshold) is None or not 1 <= threshold <= 100):
        return [f"{name}: threshold_percent {threshold!r} is not a percentage"]
    problems = []
    if p.get("votes_cast") != overturn + uphold:
        problems.append(
            f"{name}: votes_cast {p.get('votes_cast')} is not {overturn} + {uphold} (the tally)"
        )
    expected = decide(overturn, uphold, quorum, threshold)
    if p.get("result") != expected.value:
        problems.append(
            f"{name}: the log says {p.get('result')}, but {overturn} to overturn and {uphold} to "
            f"uphold with quorum {quorum} make it {expected.value}"
        )
    if p.get("mode", JuryMode.DRAWN.value) == JuryMode.DRAWN.value and not p.get("seed"):
        problems.append(f"{name}: a drawn jury's result names no seed")
    return problems


def _live_problems(uow: UnitOfWork, entry: LogEntry) -> list[str]:
    jury_id = _count(entry.payload.get("jury_id"))
    if jury_id is None:
        return []  # a result logged before juries had ids in the payload
    try:
        live = uow.juries.get(jury_id)
    except NotFound:
        return [f"{entry_name(entry)}: jury {jury_id} is gone from the juries table"]
    p = entry.payload
    logged = (p.get("result"), p.get("overturn"), p.get("uphold"), p.get("seed") or "")
    result = live.result.value if isinstance(live.result, JuryResult) else None
    actual = (result, live.overturn, live.uphold, live.seed)
    if logged != actual:
        return [f"{entry_name(entry)}: the log says {logged}, the juries table {actual}"]
    return []


def jury_problems(uow: UnitOfWork, entries: list[LogEntry]) -> list[str]:
    problems: list[str] = []
    for entry in entries:
        problems += _entry_problems(entry) or _live_problems(uow, entry)
    return problems
