"""The console script's fast path (dotbox/cli/toplevel.py): the exact simple forms of `create`
and `drop` run without typer, through the same functions and error handler as their typer
commands, and print and exit exactly as the typer group does for the same words; every other
command line goes to the group. No engine here: an unreachable socket and a DOTBOX_HOME of the
test's own give the errors; tests/integration/test_cli_imports.py watches real runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dotbox.cli import toplevel

REPO = Path(__file__).resolve().parents[2]

FAST = [
    ["create"],
    ["create", "--json"],
    ["create", "--snapshot", "prod", "--name", "review-42", "--ttl", "2h", "--json"],
    ["create", "--ttl", "", "--json", "--name", "x"],
    ["drop", "sb-1"],
    ["drop", "sb-1", "sb-2", "--json"],
    ["drop", "--json", "sb-1"],
    ["drop", ""],
]
TO_THE_GROUP = [
    [],
    ["list"],
    ["--debug", "drop", "sb-1"],
    ["drop"],
    ["drop", "--json"],
    ["drop", "--all"],
    ["drop", "sb-1", "--dry-run"],
    ["drop", "sb-1", "--json", "--json"],
    ["drop", "--", "sb-1"],
    ["drop", "-x"],
    ["drop", "sb-1", "--help"],
    ["create", "--help"],
    ["create", "--tcp"],
    ["create", "-s", "prod"],
    ["create", "--snapshot=prod"],
    ["create", "--name"],
    ["create", "--name", "--json"],
    ["create", "--name", "-x"],
    ["create", "--name", "a", "--name", "b"],
    ["create", "--json", "--json"],
    ["create", "extra"],
    ["create", "--memory", "1g"],
]
# Words that fail before anything is made, the same way on both paths.
FAILING = [
    ["drop", "sb-abc"],
    ["drop", "sb-abc", "sb-def", "--json"],
    ["drop", "postgresql://u:p@h/db"],
    ["drop", "../etc"],
    ["drop", "a b", "sb-abc"],
    ["create", "--ttl", "bogus"],
    ["create", "--ttl", "99d", "--json"],
    ["create", "--name", "bad/name"],
    ["create", "--name", "postgresql://u:p@h/db"],
    ["create", "--snapshot", "BAD NAME"],
    ["create", "--snapshot", "no-such-snapshot"],
]
WATCH = (
    "import sys, atexit\n"
    "atexit.register(lambda: print('TYPER', 'typer' in sys.modules, file=sys.stderr))\n"
    "sys.argv[0] = 'dotbox'\n"
)
BY_THE_SCRIPT = "from dotbox.cli.toplevel import main\nmain()\n"
BY_THE_GROUP = "from dotbox.cli.group import app\napp(prog_name='dotbox')\n"


@pytest.mark.parametrize("args", FAST, ids=" ".join)
def test_the_simple_forms_take_the_fast_path(args: list[str]) -> None:
    assert toplevel.fast_path(args) is not None


@pytest.mark.parametrize("args", TO_THE_GROUP, ids=" ".join)
def test_every_other_command_line_goes_to_the_group(args: list[str]) -> None:
    assert toplevel.fast_path(args) is None


def cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """This checkout's dotbox, a home of the test's own, and an engine that never answers."""
    env = {k: v for k, v in os.environ.items() if k not in ("DOTBOX_DEBUG", "_DOTBOX_COMPLETE")}
    return env | {
        "PYTHONPATH": str(REPO),
        "DOTBOX_HOME": str(tmp_path / "home"),
        "DOCKER_HOST": f"unix://{tmp_path}/nothing.sock",
        **extra,
    }


def run(entry: str, args: list[str], tmp_path: Path, **extra: str) -> tuple[int, str, str, bool]:
    """`dotbox ARGS` in a fresh interpreter by ``entry``: exit code, stdout, stderr (less the
    watch's line) and whether typer was imported."""
    env = cli_env(tmp_path, **extra)
    done = subprocess.run(
        [sys.executable, "-c", WATCH + entry, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    *err, watched = done.stderr.splitlines(keepends=True)
    assert watched.startswith("TYPER "), done.stderr
    return done.returncode, done.stdout, "".join(err), watched.strip() == "TYPER True"


@pytest.mark.parametrize("args", FAILING, ids=" ".join)
def test_the_fast_path_prints_and_exits_as_the_group_does(args: list[str], tmp_path: Path) -> None:
    *fast, fast_typer = run(BY_THE_SCRIPT, args, tmp_path)
    *group, group_typer = run(BY_THE_GROUP, args, tmp_path)
    assert fast == group
    assert fast[0] != 0 and fast[2].startswith("dotbox: error: ")
    assert (fast_typer, group_typer) == (False, True)  # control: the group's run loads typer


def test_debugging_the_fast_path_shows_the_traceback_as_the_group_does(tmp_path: Path) -> None:
    args = ["create", "--ttl", "bogus"]
    fast = run(BY_THE_SCRIPT, args, tmp_path, DOTBOX_DEBUG="1")
    group = run(BY_THE_GROUP, args, tmp_path, DOTBOX_DEBUG="1")
    for code, out, err, _ in (fast, group):
        assert (code, out) == (1, "") and "Traceback" in err
    assert fast[2].splitlines()[-1] == group[2].splitlines()[-1]
    assert "InvalidInput" in fast[2].splitlines()[-1]


def test_completion_is_the_groups(tmp_path: Path) -> None:
    """With click's completion variable set, even words of a simple form go to the group."""
    code, _, _, typer_loaded = run(
        BY_THE_SCRIPT,
        ["drop", "sb-"],
        tmp_path,
        _DOTBOX_COMPLETE="complete_bash",
        COMP_WORDS="dotbox drop sb-",
        COMP_CWORD="2",
    )
    assert code == 0 and typer_loaded


def test_a_closed_stdout_ends_both_paths_with_exit_1_and_nothing_said(tmp_path: Path) -> None:
    """No reader on the pipe: the JSON write fails (EPIPE), as click handles it."""
    args = ["drop", "sb-abc", "--json"]
    results = []
    for entry in (BY_THE_SCRIPT, BY_THE_GROUP):
        read_end, write_end = os.pipe()
        os.close(read_end)
        done = subprocess.run(
            [sys.executable, "-c", WATCH + entry, *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env=cli_env(tmp_path),
        )
        os.close(write_end)
        results.append((done.returncode, done.stderr.splitlines()[:-1]))  # less the watch's line
    assert results[0] == results[1] == (1, [])
