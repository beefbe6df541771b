"""The entry point answers `dotbox`, `dotbox --help` and `dotbox list [--json]` without typer:
the overview is the text typer prints (from the same table), errors are the same line and exit
code, and every other word still goes to typer. No engine needed here (an absent socket gives
the error); tests/integration/test_cli_fast_list.py compares listings of real sandboxes."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dotbox.cli import command_index as commands
from dotbox.cli import shared as app
from dotbox.cli.options import short_help
from dotbox.cli.toplevel import storage_failure
from dotbox.primitives.catalogue import ENTRIES

REPO = Path(__file__).resolve().parents[2]
# The typer path: dotbox.cli imported directly (every command registered), then its main().
TYPER = "import sys; sys.argv[0] = 'dotbox'; from dotbox.cli.shared import main; main()"


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in ("DOTBOX_DEBUG", "_DOTBOX_COMPLETE")}
    return base | {"PYTHONPATH": str(REPO), "COLUMNS": "80"} | extra


def fast(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dotbox", *args], capture_output=True, text=True, env=env(**extra)
    )


def typer_path(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", TYPER, *args], capture_output=True, text=True, env=env(**extra)
    )


@pytest.mark.parametrize("columns", [40, 66, 80, 120])
def test_the_overview_is_what_typer_prints(columns: int) -> None:
    width = max(min(columns, 80) - 2, 50)  # click's width for a terminal of these columns
    printed = CliRunner().invoke(app.load_commands(), ["--help"], terminal_width=width)
    assert printed.exit_code == 0
    assert commands.overview(columns) + "\n" == printed.output


def test_the_overview_names_every_registered_command_with_its_line() -> None:
    text = commands.overview(80)
    loaded = app.load_commands()
    registered = [i.name or getattr(i.callback, "__name__", "") for i in loaded.registered_commands]
    registered += [g.name for g in app.app.registered_groups if g.name]
    assert sorted(registered) == sorted(commands.COMMANDS)
    for name, (_, line) in commands.COMMANDS.items():
        assert f"\n  {name:<12}{line}\n" in text


def test_the_exit_code_table_is_in_the_overview() -> None:
    from dotbox.core.errors import EXIT_CODES

    text = commands.overview(200) + "\n"
    for code, meaning in EXIT_CODES.items():
        assert f"\n  {code}  {meaning}\n" in text


def test_a_primitive_command_has_the_catalogue_line() -> None:
    words = {e.command.removeprefix("dotbox "): e.name for e in ENTRIES.values()}
    runs_a_primitive = {word: name for word, name in words.items() if word in commands.COMMANDS}
    assert set(runs_a_primitive) == {"create", "drop", "verify", "harness", "apply"}
    for word, name in runs_a_primitive.items():
        assert commands.COMMANDS[word][1] == short_help(name), word


def test_a_full_disk_is_a_storage_error_and_other_os_errors_are_not() -> None:
    full = storage_failure(OSError(errno.ENOSPC, "No space left on device", "/x/y"))
    assert full is not None and full.exit_code == 18 and "/x/y" in full.one_line()
    assert storage_failure(OSError(errno.ECONNREFUSED, "refused")) is None


@pytest.mark.parametrize(("args", "columns"), [(["--help"], "80"), ([], "80"), (["--help"], "60")])
def test_help_from_the_entry_point_equals_typer(args: list[str], columns: str) -> None:
    mine, theirs = fast(*args, COLUMNS=columns), typer_path(*args, COLUMNS=columns)
    assert (mine.returncode, mine.stdout, mine.stderr) == (
        theirs.returncode,
        theirs.stdout,
        theirs.stderr,
    )
    assert mine.returncode == (0 if args else 2)  # bare `dotbox`: the overview on stderr
    assert "Commands:" in (mine.stdout if args else mine.stderr)


@pytest.mark.parametrize("args", [["list"], ["list", "--json"]])
def test_an_unreachable_engine_is_the_same_line_and_exit_code(
    args: list[str], tmp_path: Path
) -> None:
    nowhere = f"unix://{tmp_path}/nothing.sock"
    mine, theirs = fast(*args, DOCKER_HOST=nowhere), typer_path(*args, DOCKER_HOST=nowhere)
    assert mine.returncode == theirs.returncode == 5
    assert mine.stdout == theirs.stdout == ""
    assert mine.stderr == theirs.stderr
    assert mine.stderr.startswith("dotbox: error: list containers: Docker engine unreachable")
    assert len(mine.stderr.splitlines()) == 1


def test_debug_still_goes_through_typer_and_shows_the_traceback(tmp_path: Path) -> None:
    nowhere = f"unix://{tmp_path}/nothing.sock"
    for done in (
        fast("list", DOCKER_HOST=nowhere, DOTBOX_DEBUG="1"),
        fast("--debug", "list", DOCKER_HOST=nowhere),
    ):
        assert done.returncode == 1
        assert "Traceback" in done.stderr and "EngineUnavailable" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["list", "--bogus"], "No such option: --bogus"),
        (["-h"], "No such option: -h"),
        (["list", "extra"], "Got unexpected extra argument"),
    ],
)
def test_other_words_still_get_typers_usage_error(args: list[str], message: str) -> None:
    done = fast(*args)
    assert done.returncode == 2
    assert message in done.stderr and "Usage: dotbox" in done.stderr


def test_list_help_is_typers() -> None:
    done = fast("list", "--help")
    assert done.returncode == 0
    assert done.stdout.startswith("Usage: dotbox list [OPTIONS]")
    assert "--json" in done.stdout


@pytest.mark.parametrize("args", [["--help"], ["list"], ["list", "--json"]])
def test_the_fast_path_imports_neither_typer_nor_the_engine_module(
    args: list[str], tmp_path: Path
) -> None:
    code = (
        "import sys\n"
        "from dotbox.cli.toplevel import fast\n"
        f"code = fast({args!r})\n"
        "heavy = ('typer', 'click', 'dotbox.cli.shared', 'dotbox.engine.client', 'dataclasses',"
        " 'pydantic')\n"
        "print(code, sorted(m for m in heavy if m in sys.modules))\n"
    )
    nowhere = f"unix://{tmp_path}/nothing.sock"  # the error path is taken without them too
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env(DOCKER_HOST=nowhere)
    )
    assert done.returncode == 0, done.stderr
    expected = "0" if args == ["--help"] else "5"
    assert done.stdout.strip().splitlines()[-1] == f"{expected} []"


def test_completion_and_other_words_are_left_to_typer(monkeypatch: pytest.MonkeyPatch) -> None:
    from dotbox.cli.toplevel import fast as answer

    assert answer(["list", "--json", "--json"]) is None
    assert answer(["--debug", "list"]) is None
    assert answer(["show", "x"]) is None
    assert answer(["-h"]) is None
    monkeypatch.setenv("_DOTBOX_COMPLETE", "complete_bash")
    assert answer(["list"]) is None
    assert answer(["--help"]) is None
