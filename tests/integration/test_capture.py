"""Capture from a stand-in official server (seeded from supabase.sql): read-only, schema-only,
no password anywhere, then baked like any snapshot."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
from collections.abc import Iterator

import pytest

import dotbox
from dotbox.core import paths
from dotbox.core.errors import DotboxError
from dotbox.core.models import SnapshotManifest
from dotbox.engine import client
from dotbox.pg import db
from dotbox.snapshots import capture, store
from tests.conftest import corpus
from tests.integration.conftest import engine_objects, run_cli
from tests.standin import StandIn, standin

WRITE_COUNTERS = """
SELECT xact_commit, tup_inserted, tup_updated, tup_deleted, pg_current_wal_lsn()::text
FROM pg_stat_database WHERE datname = 'official'
"""


def _counters(official: StandIn) -> tuple[object, ...]:
    with official.connect() as conn:
        conn.execute("SELECT pg_stat_force_next_flush()")
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute(WRITE_COUNTERS).fetchone()
    assert row is not None
    return tuple(row)


@pytest.fixture(scope="module")
def official() -> Iterator[StandIn]:
    with standin(17, corpus("supabase.sql").read_text()) as server:
        yield server


@pytest.fixture(scope="module")
def captured(official: StandIn) -> Iterator[tuple[SnapshotManifest, dict[str, object], str]]:
    """One capture, with what the server's counters and log said before and after it."""
    before_objects = engine_objects()
    before = _counters(official)
    log_before = len(official.log().splitlines())
    dsn = f"postgresql://official:{official.password}@{official.address}:5432/official"
    proc = run_cli(
        "snapshot",
        "capture",
        "--dsn",
        dsn,
        "--name",
        "official",
        "--network",
        official.network,
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    after = _counters(official)
    facts = {
        "before": before,
        "after": after,
        "log": "\n".join(official.log().splitlines()[log_before:]),
        "engine_before": before_objects,
        "engine_after": engine_objects(),
        "cli_output": proc.stdout + proc.stderr,
    }
    yield SnapshotManifest.model_validate(json.loads(proc.stdout)), facts, official.password


def test_capture_records_the_server(
    official: StandIn, captured: tuple[SnapshotManifest, dict[str, object], str]
) -> None:
    m, _, _ = captured
    assert m.source_kind == "capture" and m.pg_major == 17 and m.pg_major_from == "server"
    assert m.source_version is not None and m.source_version.startswith("17.")
    (sysid,) = official.query("SELECT system_identifier::text FROM pg_control_system()")[0]
    assert m.system_identifier == sysid
    assert m.database == "official"
    assert m.counts["tables"] == 9 + 1  # supabase's nine and the stand-in's canary
    assert {"pgcrypto", "uuid-ossp"} <= set(m.extensions)
    assert m.source == f"postgresql://official@{official.address}:5432/official"


def test_capture_wrote_nothing_on_the_server(
    official: StandIn,
    captured: tuple[SnapshotManifest, dict[str, object], str],
) -> None:
    _, facts, _ = captured
    before, after = facts["before"], facts["after"]
    assert isinstance(before, tuple) and isinstance(after, tuple)
    # tup_inserted/updated/deleted and the WAL position did not move; commits did (read-only
    # transactions commit too, and the counter queries themselves are counted)
    assert before[1:4] == after[1:4]
    # the WAL may move (a read can prune a page; the checkpointer logs running transactions),
    # but none of its records between the two positions is a row written by anyone
    waldump = subprocess.run(
        [
            "docker",
            "exec",
            official.container,
            "/usr/lib/postgresql/17/bin/pg_waldump",
            "-p",
            "/tmp/data/pg_wal",
            "-s",
            str(before[4]),
            "-e",
            str(after[4]),
        ],
        capture_output=True,
        text=True,
    )
    records = [line for line in waldump.stdout.splitlines() if line.startswith("rmgr:")]
    # no record belongs to a transaction: nothing got a transaction id, so nothing was written
    assert all(re.search(r"\btx:\s+0,", r) for r in records), records
    assert not [
        r
        for r in records
        if re.search(r"rmgr: Heap2? .*desc: (INSERT|UPDATE|DELETE|MULTI_INSERT|HOT_UPDATE)", r)
    ]
    log = str(facts["log"])
    assert "dotbox-capture" in log or "pg_dump" in log or "statement:" in log
    statements = [line for line in log.splitlines() if "statement:" in line]
    assert statements, "the stand-in logs every statement"
    writes = ("INSERT", "UPDATE", "DELETE", "CREATE", "ALTER", "DROP", "TRUNCATE", "GRANT")
    assert not [
        s for s in statements if s.split("statement:", 1)[1].strip().upper().startswith(writes)
    ]


def test_every_capture_session_is_read_only(
    official: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Capture's connections carry default_transaction_read_only=on. Read on the server: each
    psql session capture opens is asked for the setting in the same session (one more -c,
    its answer taken off the output capture sees); pg_dump cannot be asked, so a session
    with pg_dump's own environment and connection string, in the same container, is."""
    real = client.exec_output
    sessions: list[tuple[str, int, str]] = []

    def asking(
        container: str,
        command: list[str],
        *,
        user: str = "",
        environment: dict[str, str] | None = None,
    ) -> tuple[int, bytes, bytes]:
        show = ["-c", "SHOW default_transaction_read_only"]
        if command[0] == "psql":
            code, out, err = real(container, [*command, *show], user=user, environment=environment)
            *kept, setting = out.decode().rstrip("\n").split("\n")
            sessions.append(("psql", code, setting))
            return code, "".join(f"{line}\n" for line in kept).encode(), err
        if command[0] == "pg_dump":
            dsn = command[command.index("--dbname") + 1]
            code, out, _ = real(
                container,
                ["psql", "-X", "-At", "-d", dsn, *show],
                user=user,
                environment=environment,
            )
            sessions.append(("pg_dump", code, out.decode().strip()))
        return real(container, command, user=user, environment=environment)

    monkeypatch.setattr(client, "exec_output", asking)
    dsn = f"postgresql://official:{official.password}@{official.address}:5432/official"
    try:
        manifest = capture.capture(dsn, "official-ro", network=official.network)
    finally:
        monkeypatch.undo()
        with contextlib.suppress(DotboxError):
            store.remove("official-ro")
    assert manifest.counts["tables"] == 9 + 1  # the capture itself was not disturbed
    # the version probe, the system identifier, the migration ledgers (supabase has
    # auth.schema_migrations), then the dump in three sections (schema before, the ledger's rows,
    # schema after): every one read-only
    assert sessions == [("psql", 0, "on")] * 3 + [("pg_dump", 0, "on")] * 3


def test_password_is_nowhere(captured: tuple[SnapshotManifest, dict[str, object], str]) -> None:
    m, facts, password = captured
    # the dump container is gone (the engine is shared: other containers may come and go)
    assert client.containers({"dotbox.role": "capture"}) == []
    assert facts["engine_before"]["volumes"] == facts["engine_after"]["volumes"]  # type: ignore[index]
    assert password not in m.model_dump_json()
    assert password not in paths.snapshot_ddl(m.digest).read_text()
    assert password not in str(facts["cli_output"])
    assert password not in str(facts["log"])  # the server's own log of the capture
    home = paths.data_home()
    found = subprocess.run(
        ["grep", "-r", "-l", "-F", password, str(home)], capture_output=True, text=True
    )
    assert found.stdout == ""
    labels = subprocess.run(
        ["docker", "ps", "-a", "--format", "{{.Labels}} {{.Command}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert password not in labels


def test_captured_snapshot_bakes_and_matches(
    captured: tuple[SnapshotManifest, dict[str, object], str],
) -> None:
    m, _, _ = captured
    with dotbox.sandbox(m.name) as sb, sb.connect() as conn:
        live = db.catalog_counts(conn)
        rows = conn.execute("SELECT count(*) FROM canary").fetchone()
    assert live == {kind: m.counts.get(kind, 0) for kind in db.COUNTED_KINDS}
    assert rows == (0,)  # schema only: the canary's rows stayed on the server


def test_capture_with_a_wrong_password_fails_and_stores_nothing(
    official: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGPASSWORD", "wrong-" + official.password[:4])  # the DSN has none
    dsn = f"postgresql://official@{official.address}:5432/official"
    proc = run_cli(
        "snapshot", "capture", "--dsn", dsn, "--name", "nope", "--network", official.network
    )
    assert proc.returncode == 10, proc.stderr
    assert "password authentication failed" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert run_cli("snapshot", "show", "nope").returncode == 3
