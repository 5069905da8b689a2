"""`huzhu members import`: join people from a CSV file, reporting on every row.

Columns (header names, any order): id_number and name are required; id_type, birth_date, sex,
province_code, city_tier, rural, phone, email, credit_score, labels (separated by ';'),
guardian_id_number are optional. The health declaration is either one column per question id of
the plan (yes/no) or a column `declared_healthy` = yes: the person confirmed every statement.
Each batch is its own transaction: a bad row is reported and never aborts the good ones.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine

from huzhu.domain.errors import InvalidInput
from huzhu.domain.plan_fields import local_date
from huzhu.services.members.enrol import Candidate, RowResult, enrol_batch
from huzhu.services.members.service import PersonDetails
from huzhu.services.progress import Progress, silent
from huzhu.storage.engine import refresh_statistics
from huzhu.storage.uow import UnitOfWork

BATCH = 5_000
# An import this large changes the tables enough that the planner needs fresh statistics.
BULK = 50_000
TRUE = {"yes", "y", "true", "1", "是"}
FALSE = {"no", "n", "false", "0", "否"}


@dataclass
class ImportReport:
    rows: list[RowResult] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return sum(r.ok for r in self.rows)

    @property
    def rejected(self) -> int:
        return sum(not r.ok for r in self.rows)

    def reason_counts(self) -> dict[str, int]:
        return dict(Counter(r.code or "unknown" for r in self.rows if not r.ok))


class RowError(Exception):
    def __init__(self, code: str, field: str, message: str) -> None:
        super().__init__(message)
        self.code, self.field, self.message = code, field, message


def _flag(value: str, name: str) -> bool | None:
    v = value.strip().lower()
    if not v:
        return None
    if v in TRUE:
        return True
    if v in FALSE:
        return False
    raise RowError("invalid-input", name, f"{name} must be yes or no, got {value!r}")


def _int(value: str, name: str) -> int | None:
    v = value.strip()
    if not v:
        return None
    if not v.isdigit() or len(v) > 6:
        raise RowError("invalid-input", name, f"{name} must be a whole number, got {value!r}")
    return int(v)


def _candidate(line: int, row: dict[str, str], questions: list[tuple[str, bool]]) -> Candidate:
    def get(key: str) -> str:
        return (row.get(key) or "").strip()

    if not get("id_number"):
        raise RowError("missing-field", "id_number", "id_number is required")
    if not get("name"):
        raise RowError("missing-field", "name", "name is required")
    born = None
    if get("birth_date"):
        try:
            born = date.fromisoformat(get("birth_date"))
        except ValueError:
            raise RowError("invalid-input", "birth_date", "birth_date must be YYYY-MM-DD") from None
    answers: dict[str, bool] = {}
    if _flag(get("declared_healthy"), "declared_healthy"):
        answers.update(dict(questions))
    for qid, _ in questions:
        given = _flag(get(qid), qid)
        if given is not None:
            answers[qid] = given
    return Candidate(
        line=line,
        person=PersonDetails(
            id_number=get("id_number"),
            name=get("name"),
            id_type=get("id_type") or "resident-id",
            birth_date=born,
            sex=get("sex") or None,
            province_code=get("province_code") or None,
            city_tier=_int(get("city_tier"), "city_tier"),
            rural=_flag(get("rural"), "rural"),
            phone=get("phone") or None,
            email=get("email") or None,
            credit_score=_int(get("credit_score"), "credit_score"),
            labels=tuple(x for x in get("labels").split(";") if x),
        ),
        health_answers=answers,
        guardian_id_number=get("guardian_id_number") or None,
    )


def _batches(reader: csv.DictReader[str], size: int) -> Iterator[list[tuple[int, dict[str, str]]]]:
    batch: list[tuple[int, dict[str, str]]] = []
    for row in reader:
        # line_num counts physical lines, so blank lines and quoted line breaks keep it right.
        batch.append((reader.line_num, row))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _encoding(path: Path) -> str:
    """UTF-8 (with or without BOM), else GB18030, the superset of the GBK that Excel writes."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            with path.open(encoding=encoding, newline="") as handle:
                reader = csv.reader(handle)
                for _ in reader:
                    pass
            return encoding
        except UnicodeDecodeError:
            continue
        except csv.Error as e:
            raise InvalidInput(
                f"{path.name} line {reader.line_num}: {e}", code="csv-malformed", field="file"
            ) from None
        except OSError as e:
            raise InvalidInput(f"cannot read {path}: {e.strerror}", field="file") from e
    raise InvalidInput(
        f"{path.name} is neither UTF-8 nor GB18030 text", code="csv-encoding", field="file"
    )


def _data_lines(path: Path) -> int:
    """Lines after the header, counted in bytes without decoding (cheap, for progress only)."""
    with path.open("rb") as handle:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    return max(lines - 1, 0)


def import_csv(
    engine: Engine,
    path: Path,
    plan_id: str,
    now: datetime,
    *,
    progress: Progress = silent,
) -> ImportReport:
    """Import every row; the file is checked whole first, so a broken file imports nothing.

    Reports the rows handled so far to `progress` ("rows imported"; the total is the file's line
    count, an upper bound when a quoted field spans lines)."""
    encoding = _encoding(path)
    total = _data_lines(path)
    with UnitOfWork(engine) as uow:
        plan = uow.plans.get(plan_id, local_date(now))
    questions = [(q.id, q.required_answer) for q in plan.eligibility.health_declaration]
    report = ImportReport()
    with path.open(newline="", encoding=encoding) as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"id_number", "name"} <= set(reader.fieldnames):
            raise InvalidInput(
                "the CSV header must name at least id_number and name",
                code="csv-header",
                field="file",
            )
        for batch in _batches(reader, BATCH):
            results: dict[int, RowResult] = {}
            candidates = []
            for line, row in batch:
                try:
                    candidates.append(_candidate(line, row, questions))
                except RowError as e:
                    results[line] = RowResult(line, False, e.code, e.field, e.message)
            with UnitOfWork(engine) as uow:
                for r in enrol_batch(uow, plan_id, candidates, now):
                    results[r.line] = r
                uow.commit()
            report.rows.extend(results[line] for line, _ in batch)
            progress("rows imported", len(report.rows), max(total, len(report.rows)))
    if report.imported >= BULK:
        refresh_statistics(engine, "people", "memberships", "membership_events")
    return report
