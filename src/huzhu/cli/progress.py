"""Rich progress bars for the services' progress callbacks (`huzhu.services.progress`).

    with progress_bars() as progress:
        collect(..., progress=progress)

Each stage a service reports gets its own bar, on stderr so that stdout (tables, --json) stays
clean; the bars are drawn only on a terminal and vanish when the work is done.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from huzhu.cli import context
from huzhu.services.progress import Progress as Report


@contextmanager
def progress_bars() -> Iterator[Report]:
    bars = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=context.err,
        transient=True,
    )
    tasks: dict[str, TaskID] = {}

    def report(stage: str, done: int, total: int | None) -> None:
        task = tasks.get(stage)
        if task is None:
            task = tasks[stage] = bars.add_task(stage, total=total)
        bars.update(task, completed=done, total=total)

    with bars:
        yield report
