"""`huzhu members import`: bulk joins from CSV, on SQLite and PostgreSQL.

Bad rows are reported one by one with their line number (the header is line 1) and never stop the
good rows; a file that cannot be read as a member list is refused as a whole.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, table
from sqlalchemy import text as text_sql
from typer.testing import CliRunner

from helpers import at, id_number
from huzhu.cli.app import app
from huzhu.cli.context import STATE
from huzhu.plans.loader import load_template

runner = CliRunner()

NOW = at("2026-01-02").isoformat()
ADULT = date(1985, 6, 1)
HEADER = ["id_number", "name", "id_type", "birth_date", "sex", "credit_score", "declared_healthy"]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def text(s: str) -> str:
    return " ".join(ANSI.sub("", s).split())


def cli(database_url: str, *args: str, now: str = NOW):
    result = runner.invoke(app, ["--database", database_url, "--now", now, *args])
    if STATE._engine is not None:
        STATE._engine.dispose()
        STATE._engine = None
    return result


def ok(database_url: str, *args: str, now: str = NOW):
    result = cli(database_url, *args, now=now)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result


def init(database_url: str) -> None:
    ok(database_url, "init")


def count(engine: Engine, name: str) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(table(name))) or 0


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="raise")
        writer.writeheader()
        writer.writerows(rows)
    return path


def good(n: int, birth: date = ADULT, **over: str) -> dict[str, str]:
    row = {
        "id_number": id_number(n, birth),
        "name": f"成员{n}",
        "credit_score": "700",
        "declared_healthy": "yes",
    }
    row.update(over)
    return row


def import_json(database_url: str, path: Path, plan: str = "xiang-hu-bao", now: str = NOW):
    result = cli(database_url, "members", "import", str(path), "--plan", plan, "--json", now=now)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result, (json.loads(result.stdout) if result.stdout.strip() else None)


def test_a_mixed_file_imports_the_good_rows_and_explains_every_bad_one(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    init(database_url)
    member = id_number(999, ADULT)
    ok(
        database_url,
        "join",
        "--plan",
        "xiang-hu-bao",
        "--id-number",
        member,
        "--name",
        "先来",
        "--declare-healthy",
        "--credit-score",
        "700",
    )
    people_before = count(engine, "people")

    rows: list[dict[str, str]] = []
    expected: dict[int, tuple[str, str]] = {}  # line -> (code, field)

    def bad(row: dict[str, str], code: str, field: str) -> None:
        rows.append(row)
        expected[len(rows) + 1] = (code, field)

    n = 0
    bad_rows = [
        (good(500, id_number="11010519850601"), "id-number-malformed", "id_number"),
        (good(501, id_number=id_number(501, ADULT)[:-1] + "Z"), "id-number-malformed", "id_number"),
        (
            good(502, id_number=_wrong_check_digit(id_number(502, ADULT))),
            "id-number-check-digit",
            "id_number",
        ),
        (good(503, birth=date(1950, 3, 1)), "age-out-of-range", "birth_date"),
        (good(504, birth=date(2020, 3, 1)), "guardian-required", "guardian"),
        (good(505, credit_score="550"), "credit-score-too-low", "credit_score"),
        (good(506, credit_score=""), "credit-score-missing", "credit_score"),
        (good(507, name=""), "missing-field", "name"),
        (good(508, name="   "), "missing-field", "name"),
        (good(0, id_number=member), "already-member", "plan"),
        (good(509, credit_score="seven hundred"), "invalid-input", "credit_score"),
        (
            good(510, declared_healthy=""),
            "health-declaration-incomplete",
            "no-current-critical-illness",
        ),
        (good(511, declared_healthy="maybe"), "invalid-input", "declared_healthy"),
        (
            good(512, id_type="passport", id_number="E51200001", birth_date="1985-13-01", sex="F"),
            "invalid-input",
            "birth_date",
        ),
        (
            good(513, id_type="passport", id_number="E51300001", sex="F"),
            "missing-field",
            "birth_date",
        ),
    ]
    first_good_line = None
    for i in range(40):
        if i % 2 == 1 and bad_rows:
            row, code, field = bad_rows.pop(0)
            bad(row, code, field)
        else:
            n += 1
            rows.append(good(n))
            first_good_line = first_good_line or len(rows) + 1
    assert not bad_rows
    # The same person twice in one file: the first row joins, the second is refused.
    bad(dict(rows[first_good_line - 2]), "duplicate-row", "id_number")
    # A good passport row.
    rows.append(
        good(0, id_type="passport", id_number="e77700001", birth_date="1988-02-29", sex="M")
    )
    good_count = n + 1

    path = write_csv(tmp_path / "members.csv", HEADER, rows)
    result, report = import_json(database_url, path)
    assert result.exit_code == 0, result.stderr
    assert report["imported"] == good_count == 26
    assert report["rejected"] == len(expected) == 16
    assert sorted(report["rows"], key=lambda r: r["line"]) == report["rows"]
    got = {r["line"]: (r["code"], r["field"]) for r in report["rows"]}
    assert got == expected
    assert all(not r["ok"] and r["message"] for r in report["rows"])
    reasons: dict[str, int] = {}
    for code, _ in expected.values():
        reasons[code] = reasons.get(code, 0) + 1
    assert report["reasons"] == reasons

    # The good rows are in the database although bad rows surrounded them.
    assert count(engine, "memberships") == 1 + good_count
    assert count(engine, "people") == people_before + good_count
    with engine.connect() as conn:
        passport = conn.execute(
            text_sql("SELECT id_number, birth_date FROM people WHERE id_type = 'passport'")
        ).one()
    assert passport.id_number == "E77700001"
    assert str(passport.birth_date).startswith("1988-02-29")

    # The plain report says the same for a person.
    again = write_csv(tmp_path / "again.csv", HEADER, [good(800), good(501, name="")])
    plain = ok(database_url, "members", "import", str(again), "--plan", "xiang-hu-bao")
    shown = text(plain.stdout)
    assert "imported 1, rejected 1" in shown
    assert re.search(r"\b3\b\W+rejected\W+missing-field", shown), shown

    audit = ok(database_url, "audit")
    assert "audit passed" in audit.stdout


def _wrong_check_digit(number: str) -> str:
    return number[:-1] + ("0" if number[-1] != "0" else "1")


def test_importing_the_same_file_twice_imports_nobody_twice(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    init(database_url)
    path = write_csv(tmp_path / "m.csv", HEADER, [good(i) for i in range(1, 6)])
    _, first = import_json(database_url, path)
    assert (first["imported"], first["rejected"]) == (5, 0)
    result, second = import_json(database_url, path)
    assert result.exit_code != 0  # nobody was imported
    assert (second["imported"], second["rejected"]) == (0, 5)
    assert second["reasons"] == {"already-member": 5}
    assert "no row was imported" in result.stderr
    assert count(engine, "memberships") == 5


def test_a_file_where_every_row_is_bad_exits_non_zero(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    init(database_url)
    rows = [
        good(1, credit_score="100"),
        good(2, name=""),
        good(3, id_number="110105"),
        good(4, birth=date(1940, 1, 1)),
    ]
    path = write_csv(tmp_path / "bad.csv", HEADER, rows)
    result, report = import_json(database_url, path)
    assert result.exit_code != 0
    assert (report["imported"], report["rejected"]) == (0, 4)
    assert [r["line"] for r in report["rows"]] == [2, 3, 4, 5]
    assert "no row was imported" in result.stderr
    assert count(engine, "memberships") == 0 and count(engine, "people") == 0

    plain = cli(database_url, "members", "import", str(path), "--plan", "xiang-hu-bao")
    assert plain.exit_code != 0 and "no row was imported" in plain.stderr


def test_a_file_with_only_a_header_imports_nothing_and_says_so(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    init(database_url)
    path = write_csv(tmp_path / "empty.csv", HEADER, [])
    result, report = import_json(database_url, path)
    # Before: exit 0, as if the import had worked. A script must see that nobody joined.
    assert result.exit_code == 1 and "no row was imported" in result.stderr
    assert report == {"imported": 0, "rejected": 0, "reasons": {}, "rows": []}


def test_json_output_is_only_json(engine: Engine, database_url: str, tmp_path: Path) -> None:
    init(database_url)
    path = write_csv(tmp_path / "one.csv", HEADER, [good(1)])
    result = cli(database_url, "members", "import", str(path), "--plan", "xiang-hu-bao", "--json")
    assert result.exit_code == 0, result.stderr
    # Before: the progress bar left a blank line on stdout ahead of the JSON.
    assert result.stdout.startswith("{"), repr(result.stdout[:20])
    assert json.loads(result.stdout)["imported"] == 1


@pytest.mark.parametrize(
    "content",
    [
        "id,full_name,credit_score\n110105198506010012,张三,700\n",
        "id_number;name;credit_score\n110105198506010012;张三;700\n",
        "",
        "\n\n",
    ],
    ids=["wrong-names", "semicolons", "empty-file", "blank-lines"],
)
def test_a_wrong_header_is_refused(
    engine: Engine, database_url: str, tmp_path: Path, content: str
) -> None:
    init(database_url)
    path = tmp_path / "wrong.csv"
    path.write_text(content, "utf-8")
    result = cli(database_url, "members", "import", str(path), "--plan", "xiang-hu-bao", "--json")
    assert result.exit_code != 0
    assert "csv-header" in result.stderr
    assert result.stdout.strip() == ""
    assert count(engine, "people") == 0


def test_an_unreadable_file_or_unknown_plan_is_refused(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    init(database_url)
    missing = cli(
        database_url, "members", "import", str(tmp_path / "nope.csv"), "--plan", "xiang-hu-bao"
    )
    assert missing.exit_code != 0 and "nope.csv" in text(missing.stderr)
    path = write_csv(tmp_path / "m.csv", HEADER, [good(1)])
    unknown = cli(database_url, "members", "import", str(path), "--plan", "no-such-plan")
    assert unknown.exit_code != 0 and "unknown-plan" in unknown.stderr
    assert count(engine, "people") == 0


def test_one_column_per_health_question(engine: Engine, database_url: str, tmp_path: Path) -> None:
    init(database_url)
    questions = [q.id for q in load_template("xiang-hu-bao").eligibility.health_declaration]
    assert questions == ["no-current-critical-illness", "no-pending-tests"]
    first, second = questions
    header = ["id_number", "name", "credit_score", *questions]

    def row(n: int, a: str, b: str) -> dict[str, str]:
        return {
            "id_number": id_number(n, ADULT),
            "name": f"成员{n}",
            "credit_score": "700",
            first: a,
            second: b,
        }

    rows = [
        row(1, "no", "no"),
        row(2, "否", "N"),
        row(3, "yes", "no"),  # has a listed illness
        row(4, "no", ""),  # did not answer the second question
        row(5, "no", "perhaps"),
        row(6, "FALSE", "0"),
    ]
    path = write_csv(tmp_path / "answers.csv", header, rows)
    result, report = import_json(database_url, path)
    assert result.exit_code == 0, result.stderr
    assert (report["imported"], report["rejected"]) == (3, 3)
    got = {r["line"]: (r["code"], r["field"]) for r in report["rows"]}
    assert got == {
        4: ("health-declaration-failed", first),
        5: ("health-declaration-incomplete", second),
        6: ("invalid-input", second),
    }
    assert count(engine, "memberships") == 3

    # A column answer overrides the blanket declaration: declared healthy but "yes" to a question.
    mixed = write_csv(
        tmp_path / "mixed.csv",
        [*header, "declared_healthy"],
        [
            {**row(7, "yes", ""), "declared_healthy": "yes"},
            {**row(8, "", ""), "declared_healthy": "yes"},
        ],
    )
    _, report = import_json(database_url, mixed)
    assert (report["imported"], report["rejected"]) == (1, 1)
    assert report["rows"][0]["line"] == 2
    assert report["rows"][0]["code"] == "health-declaration-failed"


def test_more_rows_than_one_batch(engine: Engine, database_url: str, tmp_path: Path) -> None:
    init(database_url)
    total = 12_000
    path = tmp_path / "big.csv"
    birth = date(1980, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("id_number,name,credit_score,declared_healthy\n")
        for i in range(total):
            number = id_number(i, birth, region=f"{110101 + i // 1000:06d}")
            handle.write(f"{number},成员{i},700,yes\n")
        # The first person again, in the third batch: refused, never a second membership.
        handle.write(f"{id_number(0, birth, region='110101')},成员0,700,yes\n")
    result, report = import_json(database_url, path)
    assert result.exit_code == 0, result.stderr
    assert report["imported"] == total
    assert report["rejected"] == 1
    assert report["rows"][0]["line"] == total + 2
    assert report["rows"][0]["code"] in {"duplicate-row", "already-member"}
    assert count(engine, "memberships") == total
    assert count(engine, "people") == total
    listed = ok(database_url, "plans", "list").stdout
    assert "12,000" in listed


# ---------------------------------------------------------------------------------------------
# Bugs found by these tests, now fixed


def test_line_numbers_count_blank_lines(engine: Engine, database_url: str, tmp_path: Path) -> None:
    init(database_url)
    path = tmp_path / "blank.csv"
    good_row = f"{id_number(1, ADULT)},成员1,700,yes"
    bad_row = f"{id_number(2, ADULT)},,700,yes"  # missing name, physically on line 4
    path.write_text(f"id_number,name,credit_score,declared_healthy\n{good_row}\n\n{bad_row}\n")
    _, report = import_json(database_url, path)
    assert (report["imported"], report["rejected"]) == (1, 1)
    assert report["rows"][0]["line"] == 4


def test_a_gbk_file_from_excel_is_read_as_gb18030(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    init(database_url)
    path = tmp_path / "gbk.csv"
    body = f"id_number,name,credit_score,declared_healthy\n{id_number(1, ADULT)},吴小漫,700,yes\n"
    path.write_bytes(body.encode("gbk"))
    _, report = import_json(database_url, path)
    assert (report["imported"], report["rejected"]) == (1, 0)
    with engine.connect() as conn:
        assert conn.execute(text_sql("SELECT name FROM people")).scalar_one() == "吴小漫"


@pytest.mark.parametrize("kind", ["not-text", "huge-field"])
def test_an_unreadable_file_is_refused_whole_without_a_traceback(
    engine: Engine, database_url: str, tmp_path: Path, kind: str
) -> None:
    init(database_url)
    path = tmp_path / f"{kind}.csv"
    good = "".join(f"{id_number(i, ADULT)},成员{i},700,yes\n" for i in range(1, 6))
    header = "id_number,name,credit_score,declared_healthy\n"
    if kind == "not-text":
        # Good rows first: a file that breaks late must still import nothing.
        path.write_bytes((header + good).encode() + b"\xff\xfe\xfa,\x81\n")
    else:
        path.write_text(f"{header}{good}{id_number(9, ADULT)},{'a' * 200_000},700,yes\n")
    result = cli(database_url, "members", "import", str(path), "--plan", "xiang-hu-bao")
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code != 0
    assert path.name in text(result.stderr)
    assert count(engine, "people") == 0
