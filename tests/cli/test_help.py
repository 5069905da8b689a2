"""`huzhu … --help`: every command says what it does, and every option what it takes."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import typer
from typer.testing import CliRunner

from huzhu.cli.app import app

runner = CliRunner()
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Typer's type labels: `<str>`, `<int>`, `<bool>` (even on flags, which take no value)...
TYPE_LABEL = re.compile(r"<[a-z][a-z _|\[\]]*>")


def commands(group: typer.core.TyperGroup, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in sorted(group.commands.items()):
        yield (*path, name)
        if isinstance(command, typer.core.TyperGroup):
            yield from commands(command, (*path, name))


ROOT = typer.main.get_command(app)
assert isinstance(ROOT, typer.core.TyperGroup)
ALL = list(commands(ROOT))


def test_every_command_is_listed() -> None:
    assert len(ALL) > 60
    assert ("claims", "submit") in ALL and ("members", "find") in ALL


@pytest.mark.parametrize("path", ALL, ids=[" ".join(p) for p in ALL])
def test_every_command_has_a_description_and_named_values(path: tuple[str, ...]) -> None:
    command: typer.core.TyperCommand | typer.core.TyperGroup = ROOT
    for name in path:
        found = command.commands[name]  # type: ignore[union-attr]
        command = found
    assert (command.help or "").strip(), f"huzhu {' '.join(path)} has no description"
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    shown = ANSI.sub("", result.output)
    assert not TYPE_LABEL.findall(shown), (path, TYPE_LABEL.findall(shown))
