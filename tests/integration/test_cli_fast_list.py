"""`dotbox list [--json]` from the entry point's fast path (no typer) prints, for real sandboxes,
exactly what the typer command prints; `dotbox create` output lists it in both."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import run_cli

REPO = Path(__file__).resolve().parents[2]
TYPER = "import sys; sys.argv[0] = 'dotbox'; from dotbox.cli.shared import main; main()"
FAST = (
    "import sys, atexit\n"
    "atexit.register(lambda: print('TYPER', 'typer' in sys.modules, file=sys.stderr))\n"
    "sys.argv[0] = 'dotbox'\n"
    "from dotbox.cli.toplevel import main\n"
    "main()\n"
)


def run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=os.environ | {"PYTHONPATH": str(REPO)},
        timeout=120,
    )


@pytest.fixture(scope="module")
def made() -> Iterator[str]:
    created = run_cli("create", "--json", check=True)
    sandbox_id = json.loads(created.stdout)["id"]
    try:
        yield sandbox_id
    finally:
        run_cli("drop", sandbox_id)


@pytest.mark.parametrize("args", [["list"], ["list", "--json"]])
def test_fast_list_prints_what_typer_prints(made: str, args: list[str]) -> None:
    mine, theirs = run(FAST, *args), run(TYPER, *args)
    assert mine.returncode == theirs.returncode == 0, (mine.stderr, theirs.stderr)
    assert mine.stdout == theirs.stdout
    assert mine.stderr == "TYPER False\n" and theirs.stderr == ""
    if args == ["list"]:
        line = next(x for x in mine.stdout.splitlines() if x.startswith(made))
        assert " ready " in line and line.endswith(f"{made}/sock")
        assert mine.stdout.startswith("ID ")
    else:
        assert made in [s["id"] for s in json.loads(mine.stdout)]
    by_module = run_cli(*args, check=True)  # python -m dotbox: the same path, the same text
    assert by_module.stdout == mine.stdout


def test_list_with_an_unknown_option_is_typers_usage_error(made: str) -> None:
    done = run(FAST, "list", "--all")
    assert done.returncode == 2
    assert "No such option: --all" in done.stderr and "TYPER True" in done.stderr
    assert made not in done.stdout
