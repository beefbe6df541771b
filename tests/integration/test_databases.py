"""Per-test databases inside a sandbox (Sandbox.database(), dotbox db create|drop): each a
clone of a pristine template that nobody can change, seen only by its own role, dropped with
its connections still open."""

from __future__ import annotations

import dataclasses
import subprocess
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

import dotbox
from dotbox.core.errors import Conflict
from dotbox.engine import client
from dotbox.pg import databases as sql_db
from dotbox.sandboxes import databases, lifecycle
from tests.conftest import corpus
from tests.integration.conftest import cli_json, run_cli


@pytest.fixture(scope="module")
def sb() -> Iterator[dotbox.Sandbox]:
    with dotbox.sandbox("default") as sandbox:
        yield sandbox


def admin(sandbox: dotbox.Sandbox) -> Any:
    return sql_db.admin_connect(databases.admin_credentials(sandbox.info))


def left_over(sandbox: dotbox.Sandbox) -> list[str]:
    with admin(sandbox) as conn:
        return sql_db.handed_out(conn)


def test_a_database_sees_only_its_own_rows_tables_sequences_and_extensions(
    sb: dotbox.Sandbox,
) -> None:
    seen = (
        "SELECT (SELECT count(*) FROM runtime.block),"
        " to_regclass('public.mine') IS NOT NULL,"
        " (SELECT count(*) FROM pg_extension WHERE extname = 'citext'),"
        " (SELECT last_value FROM runtime.author_id_seq)"
    )
    with sb.database() as first:
        first.query("INSERT INTO runtime.block (code, title) VALUES ('B1', 'x'), ('B2', 'y')")
        first.query("INSERT INTO runtime.author (email, display) VALUES ('a@x', 'a'), ('b@x', 'b')")
        first.query("CREATE TABLE public.mine (x int)")
        first.query("CREATE EXTENSION citext")
        assert first.query(seen) == [(2, True, 1, 2)]  # the control: its own are there
        with sb.database() as second:
            assert second.name != first.name
            assert second.query(seen) == [(0, False, 0, 1)]
            assert sb.query(seen) == [(0, False, 0, 1)]  # the sandbox's own database too
    with sb.database() as third:
        assert third.query(seen) == [(0, False, 0, 1)]
    assert left_over(sb) == []


def test_a_role_reaches_its_own_database_only(sb: dotbox.Sandbox) -> None:
    with sb.database() as a, sb.database() as b:
        own = a.credentials
        other = dataclasses.replace(own, database=b.name)
        with dotbox_connect(own) as conn:  # the control
            assert conn.execute("SELECT current_database()").fetchone() == (a.name,)
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            dotbox_connect(other)
        sandbox_role = dataclasses.replace(sb.credentials, database=b.name)
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            dotbox_connect(sandbox_role)
        template = dataclasses.replace(own, database=sql_db.TEMPLATE)
        with pytest.raises(psycopg.OperationalError, match="not currently accepting"):
            dotbox_connect(template)
        assert a.query("SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles"
                       " WHERE rolname = current_user") == [(False, False, False)]  # fmt: skip


def dotbox_connect(creds: Any) -> Any:
    from dotbox.pg import db

    return db.connect(creds)


def test_a_database_dropped_with_a_connection_open_is_gone_and_the_connection_ended(
    sb: dotbox.Sandbox,
) -> None:
    database = sb.database()
    conn = database.connect(autocommit=True)
    assert conn.execute("SELECT 1").fetchone() == (1,)  # the control: it works until the drop
    database.drop()
    with pytest.raises(psycopg.OperationalError):
        conn.execute("SELECT 1")
    conn.close()
    assert database.name not in left_over(sb)
    database.drop()  # again: nothing to do


def test_the_template_is_never_modified(sb: dotbox.Sandbox) -> None:
    for i in range(3):
        with sb.database() as each:
            each.query("ALTER TABLE runtime.block ADD COLUMN extra int")
            each.query(f"CREATE TABLE runtime.t{i} (x int)")
            each.query("DROP VIEW IF EXISTS runtime.published_item CASCADE")
    assert sb.verify().ok
    with sb.database() as fresh:
        assert fresh.query("SELECT to_regclass('runtime.t0')") == [(None,)]
    with sb.connect() as conn:  # the control: verify sees a change made to the sandbox itself
        conn.execute("CREATE TABLE runtime.changed (x int)")
    assert not sb.verify().ok


def test_the_first_database_waits_for_nobody_connected_to_the_sandbox_database() -> None:
    with dotbox.sandbox("default") as sb:
        with sb.connect() as conn:
            conn.execute("SELECT 1")
            with pytest.raises(Conflict, match="in use"):
                sb.database()
        with sb.database() as db:  # the control: with the connection closed, it is copied
            assert db.query("SELECT count(*) FROM runtime.block") == [(0,)]
            with sb.connect() as again:  # and from then on the sandbox's database is free
                again.execute("SELECT 1")
                with sb.database() as other:
                    assert other.query("SELECT 1") == [(1,)]


def test_pagila_on_15_a_role_writes_the_snapshot_roles_tables() -> None:
    dotbox.import_snapshot(corpus("pagila.sql"), "pagila-perdb", pg_major=15, replace=True)
    with dotbox.sandbox("pagila-perdb") as sb:
        with sb.database() as one:
            one.query("INSERT INTO actor (first_name, last_name) VALUES ('ADA', 'LOVELACE')")
            assert one.query("SELECT count(*) FROM actor") == [(1,)]
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                one.query("ALTER ROLE sandbox SUPERUSER")
        with sb.database() as two:
            assert two.query("SELECT count(*) FROM actor") == [(0,)]
        assert left_over(sb) == []


def test_spares_are_cloned_in_the_background_and_go_with_the_sandbox() -> None:
    with dotbox.sandbox("default") as sb:
        with sb.database():
            pass
        found = databases.of(sb.info)
        with found._wake:
            found._wake.wait_for(lambda: len(found._ready) >= 2, timeout=60)
        with admin(sb) as conn:
            assert len(sql_db.spares(conn)) == 2
    assert lifecycle.find(sb.id) is None


def test_cli_db_create_and_drop(sb: dotbox.Sandbox) -> None:
    made = cli_json("db", "create", sb.id)
    assert isinstance(made, dict) and made["name"] in left_over(sb)
    with psycopg.connect(made["dsn"]) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (made["user"],)
    dropped = run_cli("db", "drop", sb.id, made["name"])
    assert dropped.returncode == 0 and made["name"] not in left_over(sb)
    again = run_cli("db", "drop", sb.id, made["name"])
    assert again.returncode == 3 and "no database" in again.stderr
    bad = run_cli("db", "drop", sb.id, "sandbox")
    assert bad.returncode == 2 and "not a per-test database" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_a_tcp_sandbox_hands_out_databases_through_its_forwarder() -> None:
    with dotbox.sandbox("default", tcp=True) as sb:
        with sb.database() as db:
            assert db.dsn.startswith(f"postgresql://{db.name}:") and "@127.0.0.1:" in db.dsn
            assert db.query("SELECT current_user, current_database()") == [(db.name, db.name)]
        assert left_over(sb) == []


def _filesystem_of_database(sandbox: dotbox.Sandbox, database: dotbox.Database) -> str:
    """The file system the database's own directory is on, as the sandbox's container sees it."""
    (location, oid) = database.query(
        "SELECT pg_tablespace_location(dattablespace), oid FROM pg_database"
        " WHERE datname = current_database()"
    )[0]
    assert location, "the database is in the default tablespace"
    container = client.containers({"dotbox.id": sandbox.id, "dotbox.role": "sandbox"})[0]
    return subprocess.run(
        ["docker", "exec", container.id, "sh", "-c", f'stat -f -c %T "{location}"/PG_*/{oid}'],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_databases_live_on_the_scratch_tmpfs(sb: dotbox.Sandbox) -> None:
    with sb.database() as db:
        assert _filesystem_of_database(sb, db) == "tmpfs"


def test_below_512m_the_scratch_tablespace_is_on_the_images_layer() -> None:
    with dotbox.sandbox(memory="256m") as small, small.database() as db:  # the control
        assert _filesystem_of_database(small, db) == "overlayfs"
