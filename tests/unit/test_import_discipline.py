"""Import discipline of `dotbox create` and `dotbox drop`: what a fresh interpreter holds after
importing every module those commands load before they act (the CLI's group and command
module, the API, the primitive). The docker SDK, pglast, rich and the SQL splitter are not
among them; the PostgreSQL driver is not among them either (create imports it while the
engine starts the container, drop never). Without an engine: only imports run here;
tests/integration/test_cli_imports.py watches real runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

COMMAND = ("dotbox.cli.toplevel", "dotbox.cli.sandbox_cmds", "dotbox.api")
CREATE = (*COMMAND, "dotbox.primitives.create", "dotbox.pool", "dotbox.sandboxes.guard")
DROP = (*COMMAND, "dotbox.primitives.drop")
# what neither needs at import time
HEAVY = (
    "docker",
    "requests",
    "urllib3",
    "psycopg",
    "dotbox.pg.db",
    "pglast",
    "rich",
    "dotbox.sql.sqltext",
    "dotbox.sql.ddl",
)
# and what drop does not need at all: it asks no server and bakes no image
DROP_HEAVY = (*HEAVY, "tenacity", "dotbox.images", "dotbox.pg.fingerprint")


def loaded(modules: tuple[str, ...], watched: tuple[str, ...]) -> list[str]:
    """Which of ``watched`` a fresh interpreter holds after importing ``modules``."""
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in {watched!r} if m in sys.modules)))\n"
    )
    env = os.environ | {"PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    found: list[str] = json.loads(done.stdout)
    return found


@pytest.mark.parametrize(
    ("modules", "watched"), [(CREATE, HEAVY), (DROP, DROP_HEAVY)], ids=["create", "drop"]
)
def test_create_and_drop_import_nothing_heavy(
    modules: tuple[str, ...], watched: tuple[str, ...]
) -> None:
    assert loaded(modules, watched) == []


FAST_DROP = ("dotbox.cli.toplevel", "dotbox.cli.create_drop", "dotbox.primitives.drop")


def test_the_console_scripts_drop_imports_no_pydantic() -> None:
    """`dotbox drop ID` from a shell (the console script's fast path) validates nothing that
    came from outside, so it loads no pydantic (about 75 ms). Control: the API does."""
    watched = ("pydantic", "dotbox.core.models", "dotbox.primitives.inputs")
    assert loaded(FAST_DROP, watched) == []
    assert loaded((*FAST_DROP, "dotbox.api"), watched) == ["dotbox.core.models", "pydantic"]


def test_the_watch_sees_a_heavy_import() -> None:
    """Control: a module that pulls the heavy ones in is seen doing so."""
    found = loaded((*DROP, "dotbox.primitives.verify"), DROP_HEAVY)
    assert {"psycopg", "dotbox.pg.db", "dotbox.images"} <= set(found)


def test_drop_reads_no_configuration() -> None:
    """dotbox.toml and DOTBOX_… are create's: drop does not load their reader (nor tomllib).
    Control: create does."""
    watched = ("dotbox.core.config", "tomllib")
    assert loaded(DROP, watched) == []
    assert loaded(CREATE, watched) == sorted(watched)
