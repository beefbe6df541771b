"""The issue's own case: an application ran its migrations on a sandbox; a snapshot captured
from it gives sandboxes on which the same application starts without running them again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic import config as _required  # noqa: F401  (missing, the run fails: never skips)

import dotbox
from tests.integration.conftest import cli_json, run_cli

ENV_PY = """\
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine

fileConfig(context.config.config_file_name)
with create_engine(os.environ["APP_DB"]).connect() as conn:
    context.configure(connection=conn, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
"""
FIRST = """\
import sqlalchemy as sa
from alembic import op

revision, down_revision = "0001", None


def upgrade():
    op.create_table("items", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("title", sa.Text, nullable=False))
"""
SECOND = """\
import sqlalchemy as sa
from alembic import op

revision, down_revision = "0002", "0001"


def upgrade():
    op.add_column("items", sa.Column("code", sa.Text))
    op.create_unique_constraint("items_code_key", "items", ["code"])
"""


def app(tmp_path: Path) -> Path:
    """An Alembic project of two migrations; its alembic.ini."""
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    (tmp_path / "migrations" / "env.py").write_text(ENV_PY)
    (tmp_path / "migrations" / "script.py.mako").write_text("")
    (versions / "0001_items.py").write_text(FIRST)
    (versions / "0002_code.py").write_text(SECOND)
    ini = tmp_path / "alembic.ini"
    ini.write_text(
        "[alembic]\nscript_location = %(here)s/migrations\npath_separator = os\n"
        "[loggers]\nkeys = root,alembic\n[handlers]\nkeys = console\n"
        "[formatters]\nkeys = plain\n[logger_root]\nlevel = WARNING\nhandlers = console\n"
        "[logger_alembic]\nlevel = INFO\nhandlers =\nqualname = alembic\n"
        "[handler_console]\nclass = StreamHandler\nargs = (sys.stderr,)\nformatter = plain\n"
        "[formatter_plain]\nformat = %(message)s\n"
    )
    return ini


def alembic(ini: Path, dsn: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    assert dsn is not None
    env = {**os.environ, "APP_DB": dsn.replace("postgresql://", "postgresql+psycopg://", 1)}
    return subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(ini), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_a_captured_sandbox_starts_without_rerunning_its_migrations(tmp_path: Path) -> None:
    src = tmp_path / "empty.sql"
    src.write_text("CREATE TABLE public.placeholder (id integer);\n")
    run_cli("snapshot", "import", str(src), "--name", "app-empty", check=True)
    ini = app(tmp_path)
    with dotbox.sandbox("app-empty", tcp=True) as first:
        ran = alembic(ini, first.tcp_dsn, "upgrade", "head")
        assert ran.returncode == 0 and "Running upgrade 0001 -> 0002" in ran.stderr, ran.stderr
        assert first.query("SELECT version_num FROM public.alembic_version") == [("0002",)]
        m = cli_json("snapshot", "capture", "--dsn", first.tcp_dsn or "", "--name", "app-migrated")
    assert isinstance(m, dict) and m["ledger_rows"] == {"public.alembic_version": 1}

    with dotbox.sandbox("app-migrated", tcp=True) as second:
        again = alembic(ini, second.tcp_dsn, "upgrade", "head")
        assert again.returncode == 0, again.stderr
        assert "Running upgrade" not in again.stderr  # nothing ran again
        assert "0002 (head)" in alembic(ini, second.tcp_dsn, "current").stdout
        # the control: without the ledger's row the application runs its migrations again,
        # and fails on the tables they made
        second.query("DELETE FROM public.alembic_version")
        blind = alembic(ini, second.tcp_dsn, "upgrade", "head")
        assert blind.returncode != 0 and 'relation "items" already exists' in blind.stderr
