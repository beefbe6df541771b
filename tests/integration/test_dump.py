"""dotbox dump: pg_dump of the server's own major in a runner, written on the host. A
PostgreSQL 18 sandbox (the host's pg_dump is older and refuses it) dumps; its schema-only
dump, restored into an empty sandbox, gives the same catalog fingerprint."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import dotbox
from dotbox.pg import db
from tests.integration.conftest import run_cli

DEFAULT_SQL = Path(dotbox.__file__).parent / "data" / "default.sql"


@pytest.fixture(scope="module")
def pg18(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dotbox.Sandbox, Path]]:
    dotbox.import_snapshot(DEFAULT_SQL, "dump-src18", pg_major=18, replace=True)
    empty = tmp_path_factory.mktemp("empty") / "empty.sql"
    empty.write_text("CREATE SCHEMA scratch;  -- dropped: a database to restore into\n")
    dotbox.import_snapshot(empty, "dump-empty18", pg_major=18, replace=True)
    with dotbox.sandbox("dump-src18") as sb:
        sb.query("INSERT INTO runtime.block (code, title) VALUES ('D9', 'dumped-row-d9')")
        yield sb, tmp_path_factory.mktemp("dumps")


def _catalog(sb: dotbox.Sandbox) -> tuple[str, dict[str, int]]:
    """The sandbox's schema as its own pg_dump writes it (without the random key of its
    \\restrict lines), and its catalog's counts."""
    done = run_cli("dump", sb.id, "--schema-only")
    assert done.returncode == 0, done.stderr
    text = "\n".join(
        ln for ln in done.stdout.splitlines() if not ln.startswith(("\\restrict", "\\unrestrict"))
    )
    with sb.connect() as conn:
        return text, db.catalog_counts(conn)


def test_the_hosts_pg_dump_is_refused_by_the_server(pg18: tuple[dotbox.Sandbox, Path]) -> None:
    """Why dump exists: the host's older pg_dump will not dump a PostgreSQL 18 server."""
    sb, _ = pg18
    host = subprocess.run(["pg_dump", "--version"], capture_output=True, text=True, check=True)
    if " 18." in host.stdout:  # pragma: no cover - a host as new as the server proves nothing
        pytest.fail(f"this test needs a host pg_dump older than 18: {host.stdout}")
    refused = subprocess.run(["pg_dump", "--schema-only", sb.dsn], capture_output=True, text=True)
    assert refused.returncode != 0 and "version mismatch" in refused.stderr


def test_a_schema_only_dump_restores_to_an_equal_catalog(
    pg18: tuple[dotbox.Sandbox, Path],
) -> None:
    sb, where = pg18
    out = where / "schema.sql"
    done = run_cli("dump", sb.id, "--schema-only", "-f", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    text = out.read_text()
    assert "-- Dumped by pg_dump version 18." in text
    assert "CREATE TABLE runtime.block" in text and "dumped-row-d9" not in text
    st = out.stat()
    assert (st.st_mode & 0o777, st.st_uid) == (0o600, os.getuid())
    assert not [p for p in where.iterdir() if p.name.startswith(".")]  # no temporary left
    with dotbox.sandbox("dump-empty18") as target:
        target.query("DROP SCHEMA scratch")
        assert _catalog(target) != _catalog(sb)  # the control: not equal before
        restored = subprocess.run(
            [sys.executable, "-m", "dotbox", "run", target.id, "--", "psql", "-X", "-q",
             "-v", "ON_ERROR_STOP=1", "-f", "schema.sql"],
            cwd=where, capture_output=True, text=True, env=os.environ.copy(), timeout=300,
        )  # fmt: skip
        assert restored.returncode == 0, restored.stderr
        assert _catalog(target) == _catalog(sb)
        assert target.query("SELECT count(*) FROM runtime.block") == [(0,)]
    assert run_cli("verify", sb.id).returncode == 0  # the source: equal to its snapshot


def test_data_only_and_the_whole_dump_to_stdout(pg18: tuple[dotbox.Sandbox, Path]) -> None:
    sb, _ = pg18
    data = run_cli("dump", sb.id, "--data-only")
    assert data.returncode == 0, data.stderr
    assert "dumped-row-d9" in data.stdout and "CREATE TABLE" not in data.stdout
    whole = run_cli("dump", sb.id)
    assert whole.returncode == 0, whole.stderr
    assert "dumped-row-d9" in whole.stdout and "CREATE TABLE runtime.block" in whole.stdout


def test_bad_input_is_one_line_and_makes_no_file(pg18: tuple[dotbox.Sandbox, Path]) -> None:
    sb, where = pg18
    both = run_cli("dump", sb.id, "--schema-only", "--data-only", "-f", str(where / "both.sql"))
    assert both.returncode == 2 and "not both" in both.stderr
    assert both.stderr.count("\n") == 1 and not (where / "both.sql").exists()
    nowhere = run_cli("dump", sb.id, "-f", str(where / "missing" / "x.sql"))
    assert nowhere.returncode == 2 and "is not a directory" in nowhere.stderr
    unknown = run_cli("dump", "sb-nosuchdump", "-f", str(where / "u.sql"))
    assert unknown.returncode == 3 and not (where / "u.sql").exists()


def test_a_failing_pg_dump_is_exit_10_and_leaves_no_file(
    pg18: tuple[dotbox.Sandbox, Path],
) -> None:
    """A table its own role may no longer read (the owner revoked its own SELECT): pg_dump
    fails; its error is named and nothing is written (control: the schema alone still dumps)."""
    sb, where = pg18
    sb.query("CREATE TABLE public.unreadable (x int)")
    sb.query("REVOKE SELECT ON public.unreadable FROM sandbox")
    try:
        out = where / "failed.sql"
        failed = run_cli("dump", sb.id, "--data-only", "-f", str(out))
        assert failed.returncode == 10, failed.stderr
        assert "permission denied for table unreadable" in failed.stderr
        assert failed.stderr.count("\n") <= 2  # the error line and its hint
        assert not out.exists() and not [p for p in where.iterdir() if p.name.startswith(".")]
        assert run_cli("dump", sb.id, "--schema-only").returncode == 0
    finally:
        sb.query("DROP TABLE public.unreadable")
