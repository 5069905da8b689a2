"""Fire N calls at the same moment and look at who won.

Each call runs in its own thread, with its own transaction (a TestClient request or a unit of
work); a barrier releases them together so that every one reads before any commits. Whatever a
call returns or raises is kept: the tests count winners and refusals, never timings.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from huzhu.domain.errors import HuzhuError

TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Outcome:
    value: Any = None
    error: BaseException | None = None

    @property
    def label(self) -> str:
        """`ok`, a refusal's code, an HTTP `status code`, or the unexpected error's type."""
        if isinstance(self.value, httpx.Response):
            r = self.value
            if r.status_code < 300:
                return "ok"
            body = r.json() if r.headers.get("content-type", "").endswith("json") else {}
            return f"{r.status_code} {body.get('code', '')}".strip()
        if self.error is None:
            return "ok"
        if isinstance(self.error, HuzhuError):
            return f"{self.error.status} {self.error.code}"
        return type(self.error).__name__


def race(calls: Sequence[Callable[[], Any]], stagger_s: Sequence[float] = ()) -> list[Outcome]:
    """Run every call at once (after a barrier); their outcomes, in the calls' order.

    `stagger_s` holds call i back that long after the barrier, to land it inside the others'
    transactions rather than before them (the outcome must not depend on it)."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[Outcome | None] = [None] * len(calls)

    def runner(i: int, call: Callable[[], Any]) -> None:
        barrier.wait(timeout=TIMEOUT_S)
        if i < len(stagger_s):
            time.sleep(stagger_s[i])
        try:
            outcomes[i] = Outcome(value=call())
        except BaseException as exc:  # kept and counted: the test says what was expected
            outcomes[i] = Outcome(error=exc)

    threads = [threading.Thread(target=runner, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT_S)
    assert all(o is not None for o in outcomes), "a racing call did not finish"
    return [o for o in outcomes if o is not None]


def tally(outcomes: Sequence[Outcome]) -> Counter[str]:
    return Counter(o.label for o in outcomes)


def one_winner(outcomes: Sequence[Outcome], *refusals: str) -> Outcome:
    """Exactly one call won and every other one was refused with one of `refusals`."""
    counts = tally(outcomes)
    assert counts["ok"] == 1, counts
    assert set(counts) - {"ok"} <= set(refusals), counts
    return next(o for o in outcomes if o.label == "ok")
