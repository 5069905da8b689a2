"""Progress of long work, reported through a callback so that each adapter shows it its own way
(the CLI draws Rich bars, a test keeps a list, a job may log).

A service that does long work takes `progress: Progress = silent` and calls
`progress(stage, done, total)` as it goes: `stage` names the work in a few words ("charges
hashed"), `done` how many units are finished so far (cumulative, never decreasing) and `total` how
many there will be (None when unknown). A stage is finished when `done == total`. Reporting is
best effort: a callback must not raise, and the work never depends on it.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, "int | None"], None]


def silent(stage: str, done: int, total: int | None) -> None:
    """The default: report nothing."""
