"""`dotbox create` and `dotbox drop` for real: a create speaks to a Unix-socket engine without
the docker SDK, and a drop without the SDK, without the PostgreSQL driver (it asks no server)
and without pydantic (it validates nothing from outside). Control: `create --tcp`, whose
bootstrap runs psql in the container through the SDK, is seen loading it.
tests/unit/test_import_discipline.py checks the imports without an engine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import dotbox
from tests.integration.conftest import run_cli

REPO = Path(__file__).resolve().parents[2]
WATCHED = (
    "import sys, atexit\n"
    "heavy = ('docker', 'requests', 'psycopg', 'pglast', 'rich', 'pydantic')\n"
    "atexit.register(lambda: print('HEAVY', sorted(m for m in heavy if m in sys.modules),"
    " file=sys.stderr))\n"
    "sys.argv[0] = 'dotbox'\n"
    "from dotbox.cli.toplevel import main\n"
    "main()\n"
)


def run(*args: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """`dotbox ARGS` as a fresh process: its result and the heavy modules it had loaded."""
    done = subprocess.run(
        [sys.executable, "-c", WATCHED, *args],
        capture_output=True,
        text=True,
        env=os.environ | {"PYTHONPATH": str(REPO), "DOCKER_HOST": ""},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    last = done.stderr.splitlines()[-1]
    assert last.startswith("HEAVY "), done.stderr
    return done, eval(last.removeprefix("HEAVY "))  # a printed list of str


@pytest.mark.parametrize(
    ("flags", "create_loads"),
    [([], ["psycopg", "pydantic"]), (["--tcp"], ["docker", "psycopg", "pydantic", "requests"])],
    ids=["socket", "tcp-control"],
)
def test_create_and_drop_load_only_what_they_use(flags: list[str], create_loads: list[str]) -> None:
    dotbox.snapshot("default")  # stored already, as after a first use: no parse of its DDL
    created, loaded = run("create", "--json", *flags)
    sandbox_id = json.loads(created.stdout)["id"]
    try:
        assert loaded == create_loads
        dropped, loaded = run("drop", sandbox_id)
        assert dropped.stdout.startswith(f"dropped {sandbox_id} ")
        assert loaded == []
    finally:
        run_cli("drop", sandbox_id)  # a no-op once dropped: the test leaves nothing either way


def run_watching_typer(*args: str) -> tuple[subprocess.CompletedProcess[str], bool]:
    """`dotbox ARGS` as a fresh process, as the console script runs it: its result and whether
    it imported typer."""
    watch = (
        "import sys, atexit\n"
        "atexit.register(lambda: print('TYPER', 'typer' in sys.modules, file=sys.stderr))\n"
        "sys.argv[0] = 'dotbox'\n"
        "from dotbox.cli.toplevel import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", watch, *args],
        capture_output=True,
        text=True,
        env=os.environ | {"PYTHONPATH": str(REPO)},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    last = done.stderr.splitlines()[-1]
    assert last in ("TYPER True", "TYPER False"), done.stderr
    return done, last == "TYPER True"


def test_create_json_and_drop_run_without_typer() -> None:
    """The console script's fast path; control: `show`, which the typer group runs, loads it."""
    created, typer_loaded = run_watching_typer("create", "--json")
    sandbox_id = json.loads(created.stdout)["id"]
    try:
        assert not typer_loaded
        shown, typer_loaded = run_watching_typer("show", sandbox_id)
        assert typer_loaded and shown.stdout.startswith(f"{'id':<16} {sandbox_id}\n")
        dropped, typer_loaded = run_watching_typer("drop", sandbox_id)
        assert dropped.stdout.startswith(f"dropped {sandbox_id} ") and not typer_loaded
    finally:
        run_cli("drop", sandbox_id)
