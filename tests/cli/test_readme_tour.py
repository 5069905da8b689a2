"""The README's tour runs as written on a fresh demo database (SQLite and PostgreSQL).

The tour block is read from README.md and run by bash, command after command, against a small demo
population built first; any command that fails fails the test.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from huzhu.storage.engine import make_engine

README = Path(__file__).resolve().parents[2] / "README.md"
TOUR = re.compile(r"## A short tour of the command line\n.*?```sh\n(.*?)```", re.S)
EXPORT = re.compile(r"^export HUZHU_DATABASE_URL=(\S+)", re.M)


def tour() -> str:
    found = TOUR.search(README.read_text("utf-8"))
    assert found, "README.md has no tour block"
    return found[1]


def test_the_tour_names_its_database_and_the_second_join_sends_no_person() -> None:
    block = tour()
    assert EXPORT.search(block), "the tour says which database it runs on"
    text = README.read_text("utf-8")
    second = text[text.index("Idempotency-Key: second-join") :]
    assert '"person"' not in second.split("```")[0]


@pytest.mark.slow
def test_the_readme_tour_runs_on_a_fresh_demo(database_url: str, tmp_path: Path) -> None:
    if database_url.startswith("sqlite"):
        url = "sqlite:///huzhu.db"  # as written: huzhu.db in the working directory
    else:
        url = database_url
        make_engine(url).dispose()
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    env.pop("HUZHU_DATABASE_URL", None)
    demo = [str(bin_dir / "huzhu"), "--database", url, "demo", "--members", "200", "--months", "4"]
    built = subprocess.run(demo, cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stderr[-2000:]
    script = EXPORT.sub(f"export HUZHU_DATABASE_URL={url}", tour())
    ran = subprocess.run(
        ["bash", "-euo", "pipefail", "-x", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert ran.returncode == 0, f"{ran.stdout[-3000:]}\n{ran.stderr[-3000:]}"
    assert "audit passed" in ran.stdout
    assert "1 membership(s) found" in " ".join(ran.stdout.split())
