"""Long work reports its progress through a callback, and the CLI draws it on stderr only."""

from __future__ import annotations

import io
from datetime import date

import pytest
from rich.console import Console
from sqlalchemy import Engine

from helpers import at
from huzhu.cli import context
from huzhu.cli.progress import progress_bars
from huzhu.services.money import collection
from huzhu.services.record import merkle_proofs
from huzhu.storage.uow import UnitOfWork
from money.moneykit import Sandbox, build, run


def recorder() -> tuple[list[tuple[str, int, int | None]], object]:
    seen: list[tuple[str, int, int | None]] = []
    return seen, lambda stage, done, total: seen.append((stage, done, total))


def test_collection_and_merkle_publication_report_progress(engine: Engine) -> None:
    build(engine, "meituan-huzhu", "pp", 40)
    record = run(engine, "pp", "2026-01-11").round
    seen, report = recorder()
    collection.collect(engine, Sandbox(engine), "pp", date(2026, 1, 11), at("2026-01-15"),
                       batch_size=15, progress=report)  # type: ignore[arg-type]  # fmt: skip
    assert seen == [
        ("members debited", 15, 40),
        ("members debited", 30, 40),
        ("members debited", 40, 40),
    ]
    seen.clear()
    with UnitOfWork(engine) as uow:
        published = merkle_proofs.publish_round_proofs(
            uow,
            record.id,
            at("2026-01-15"),
            progress=report,  # type: ignore[arg-type]
        )
        uow.commit()
    assert seen and seen[-1] == ("charges hashed", published.leaves, published.leaves)
    assert [d for _, d, _ in seen] == sorted(d for _, d, _ in seen)


def test_the_cli_draws_bars_on_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = io.StringIO()
    monkeypatch.setattr(context, "err", Console(file=screen, force_terminal=True, width=100))
    with progress_bars() as progress:
        progress("rows imported", 5, 10)
        progress("rows imported", 10, 10)
    assert "rows imported" in screen.getvalue()
