"""The reviewers' and operators' commands of the claims workflow, on SQLite and PostgreSQL: every
refusal exits non-zero, names its code and writes nothing."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from claimkit import PLAN, Kit, build, count
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from helpers import at
from huzhu.cli.app import app
from huzhu.cli.context import STATE
from huzhu.domain.access import Role
from huzhu.storage.tables import people
from huzhu.storage.tables_claims import claim_evidence, claim_objections, jurors
from huzhu.storage.uow import UnitOfWork

runner = CliRunner()
ANSI = re.compile(r"\x1b\[[0-9;]*m")
PDF = b"%PDF-1.4\n%%EOF\n"


def cli(engine: Engine, now: str, *args: str, hour: int = 10) -> Any:
    url = engine.url.render_as_string(hide_password=False)
    result = runner.invoke(app, ["--database", url, "--now", at(now, hour).isoformat(), *args])
    if STATE._engine is not None:
        STATE._engine.dispose()
        STATE._engine = None
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def ok(engine: Engine, now: str, *args: str, hour: int = 10) -> str:
    result = cli(engine, now, *args, hour=hour)
    assert result.exit_code == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return " ".join(ANSI.sub("", result.stdout).split())


def refused(engine: Engine, now: str, table: Any, code: str, *args: str) -> None:
    before = count(engine, table)
    result = cli(engine, now, *args)
    assert result.exit_code == 2 and code in result.stderr, (result.stdout, result.stderr)
    assert "Traceback" not in result.output
    assert count(engine, table) == before


def id_numbers(kit: Kit) -> dict[int, str]:
    with kit.engine.connect() as conn:
        rows = conn.execute(select(people.c.id, people.c.id_number))
        return {int(r.id): str(r.id_number) for r in rows}


@pytest.fixture
def kit(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Kit:
    monkeypatch.setenv("HUZHU_EVIDENCE_DIR", str(tmp_path / "evidence"))
    return build(engine)


def test_the_workflow_from_the_command_line(kit: Kit, tmp_path: Path) -> None:
    e, numbers = kit.engine, id_numbers(kit)
    claim = str(kit.submit())
    with UnitOfWork(e) as uow:
        ivan = uow.accounts.add(now=at("2026-01-01"), roles=frozenset({Role.MEMBER}), username="i")
        uow.commit()
    assert "under_investigation" in ok(e, "2026-01-04", "claims", "assign", claim,
                                       "--account", str(ivan), "--by", "op")  # fmt: skip
    asked = ok(e, "2026-01-04", "claims", "request-documents", claim, "--what", "病理报告",
               "--days", "5", "--by", "ivan")  # fmt: skip
    assert "documents_requested" in asked and "documents due by 2026-01-09" in asked
    bad = tmp_path / "report.txt"
    bad.write_text("not a pdf")
    refused(e, "2026-01-05", claim_evidence, "unsupported-evidence-type",
            "claims", "attach", claim, str(bad), "--by", "claimant")  # fmt: skip
    good = tmp_path / "report.pdf"
    good.write_bytes(PDF)
    assert "attached" in ok(e, "2026-01-05", "claims", "attach", claim, str(good), "--by", "c")
    assert (tmp_path / "evidence").is_dir()
    announced = ok(e, "2026-01-05", "claims", "approve", claim, "--by", "r", "--announce")
    assert "announced" in announced and "objections until 2026-01-08" in announced

    objector = numbers[kit.crowd[0]]
    ok(e, "2026-01-06", "claims", "object", claim, "--id-number", objector, "--reason", "早于入会")
    refused(e, "2026-01-06", claim_objections, "already-objected",
            "claims", "object", claim, "--id-number", objector, "--reason", "again")  # fmt: skip
    late = ("--id-number", numbers[kit.crowd[1]], "--reason", "late")
    refused(e, "2026-01-08", claim_objections, "objection-window-closed",
            "claims", "object", claim, *late)  # fmt: skip
    upheld = ok(e, "2026-01-08", "claims", "review-objection", "1", "--outcome", "uphold",
                "--explanation", "the record predates joining", "--by", "r2")  # fmt: skip
    assert "upheld" in upheld
    ok(e, "2026-01-09", "claims", "appeal", claim, "--statement", "见附件", "--by", "claimant")

    answers = [f"--answer={q}" for q in ("not-insurance=no", "secret=no")]
    assert "not passed" in ok(e, "2026-01-09", "claims", "juror-test", *answers,
                              "--id-number", numbers[kit.crowd[0]])  # fmt: skip
    kit.pass_tests(kit.crowd, at("2026-01-09"))
    drawn = ok(e, "2026-01-09", "claims", "draw-jury", claim, "--seed", "seed-2026-01-09",
               "--by", "op")  # fmt: skip
    assert "5 jurors drawn from 12 eligible" in drawn
    with e.connect() as conn:
        seated = list(conn.scalars(select(jurors.c.person_id).order_by(jurors.c.seq)))
    outsider = next(p for p in kit.crowd if p not in seated)
    refused(e, "2026-01-10", jurors, "not-a-juror", "claims", "vote", "1", "--vote", "overturn",
            "--id-number", numbers[outsider])  # fmt: skip
    for person in seated[:3]:
        ok(e, "2026-01-10", "claims", "vote", "1", "--vote", "overturn",
           "--id-number", numbers[person])  # fmt: skip
    second = cli(e, "2026-01-10", "claims", "vote", "1", "--vote", "uphold",
                 "--id-number", numbers[seated[0]])  # fmt: skip
    assert second.exit_code == 2 and "already-voted" in second.stderr
    refused(e, "2026-01-10", jurors, "jury-still-voting", "claims", "close-jury", "1", "--by", "op")
    closed = ok(e, "2026-01-17", "claims", "close-jury", "1", "--by", "op")
    assert "overturned (3 to overturn, 0 to uphold, quorum 3)" in closed
    assert f"claim {claim} is announced" in closed
    assert "0 made final" in ok(e, "2026-01-18", "claims", "finalize", "--plan", PLAN)
    assert "1 made final" in ok(e, "2026-01-20", "claims", "finalize", "--plan", PLAN)
    history = ok(e, "2026-01-20", "claims", "history", claim)
    steps = ("assigned", "documents-requested", "documents-received", "announced", "objection",
             "rejected", "appealed", "jury-drawn", "jury-overturned", "approved")  # fmt: skip
    for step in steps:
        assert step in history, step
    assert "no flags" in ok(e, "2026-01-20", "claims", "flags", claim)
