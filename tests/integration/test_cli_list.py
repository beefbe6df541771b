"""`dotbox list [--json]` for real sandboxes: the API's listing, printed by the one front end
without importing typer's pydantic coercion, the Docker SDK or psycopg; the sandbox that
`dotbox create` made is in both forms."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dotbox.sandboxes import inventory
from tests.integration.conftest import run_cli

REPO = Path(__file__).resolve().parents[2]
WATCHED = (
    "import sys, atexit\n"
    "heavy = ('docker', 'requests', 'pydantic', 'psycopg', 'dotbox.engine.client')\n"
    "atexit.register(lambda: print('HEAVY', sorted(m for m in heavy if m in sys.modules),"
    " file=sys.stderr))\n"
    "sys.argv[0] = 'dotbox'\n"
    "from dotbox.cli.toplevel import main\n"
    "main()\n"
)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WATCHED, *args],
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
def test_list_prints_the_inventory_without_heavy_imports(made: str, args: list[str]) -> None:
    done = run(*args)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "HEAVY []\n"
    found = inventory.rows()
    if args == ["list"]:
        assert done.stdout == "\n".join(inventory.text_lines(found)) + "\n"
        line = next(x for x in done.stdout.splitlines() if x.startswith(made))
        assert " ready " in line and line.endswith(f"{made}/sock")
        assert done.stdout.startswith("ID ")
    else:
        assert done.stdout == inventory.json_text(found) + "\n"
        assert made in [s["id"] for s in json.loads(done.stdout)]
    by_module = run_cli(*args, check=True)  # python -m dotbox: the same path, the same text
    assert by_module.stdout == done.stdout


def test_list_with_an_unknown_option_is_a_usage_error(made: str) -> None:
    done = run("list", "--all")
    assert done.returncode == 2
    assert "No such option: --all" in done.stderr
    assert made not in done.stdout
