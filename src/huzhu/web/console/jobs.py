"""Long console work (sending a round's debit batches) run beside the request, with its progress
kept where the page can poll it.

The work is the service the CLI runs (`services.collection.collect`), given a `Progress` callback
(`services.progress`) that writes here. A job lives in the process that runs it; the progress
endpoint also answers from the books (what is sent, waived, unsettled), so any server process can
say how far a round's collection has come.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from huzhu.domain.errors import HuzhuError
from huzhu.services.progress import Progress

log = logging.getLogger(__name__)
KEEP = 50  # finished jobs remembered per process


@dataclass
class Job:
    id: str
    round_id: int | None  # a round's run learns its round when it ends
    stage: str = "starting"
    done: int = 0
    total: int | None = None
    finished: bool = False
    error: str | None = None
    summary: str = ""
    key: str = ""  # what a job without a round works on ("run:plan:date")
    stages: list[str] = field(default_factory=list)  # the stages reported, in order

    def view(self) -> dict[str, Any]:
        return asdict(self)


class Jobs:
    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def for_round(self, round_id: int) -> Job | None:
        """The latest money job of the round (its run, keyed, is shown on its own page)."""
        with self._lock:
            running = [j for j in self._jobs.values() if j.round_id == round_id and not j.key]
        return running[-1] if running else None

    def for_key(self, key: str) -> Job | None:
        with self._lock:
            running = [j for j in self._jobs.values() if j.key == key]
        return running[-1] if running else None

    def start(self, round_id: int | None, work: Callable[[Progress], str], *, key: str = "") -> Job:
        job = Job(secrets.token_urlsafe(12), round_id, key=key)
        with self._lock:
            finished = [k for k, j in self._jobs.items() if j.finished]
            for k in finished[: max(0, len(finished) - KEEP)]:
                del self._jobs[k]
            self._jobs[job.id] = job

        def report(stage: str, done: int, total: int | None) -> None:
            with self._lock:
                job.stage, job.done, job.total = stage, done, total
                if not job.stages or job.stages[-1] != stage:
                    job.stages.append(stage)

        def run() -> None:
            try:
                job.summary = work(report)
            except HuzhuError as e:
                job.error = f"{e.code}: {e}"
            except Exception:  # the page must learn it stopped; the log says why
                log.exception("console job %s failed", job.id)
                job.error = "failed (see the server log)"
            finally:
                job.finished = True

        threading.Thread(target=run, daemon=True, name=f"console-job-{job.id}").start()
        return job
