"""Create's read-back (``db.unsafe``) on a plain server of the test's own: it names each thing a
snapshot's DDL could leave that gives more than ``sandbox``, and nothing on a clean catalog."""

from __future__ import annotations

import subprocess

import pytest

from dotbox.pg import db

HBA = "/tmp/d/pg_hba.conf"  # the plain server's own, as dotbox's would be
LEFT_BEHIND = """\
CREATE ROLE sandbox LOGIN CREATEDB;
CREATE ROLE a; CREATE ROLE b BYPASSRLS; CREATE ROLE cd CREATEDB;
GRANT a TO sandbox; GRANT b TO a;
CREATE ROLE bd LOGIN SUPERUSER;
GRANT pg_write_server_files TO sandbox;
ALTER ROLE a SET session_preload_libraries = 'x';
ALTER ROLE a SET work_mem = '1MB';
CREATE FUNCTION rd(text) RETURNS text LANGUAGE internal AS 'pg_read_file_all';
CREATE FUNCTION sd() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1';
CREATE FUNCTION so(oid) RETURNS void LANGUAGE c
  AS '/usr/lib/postgresql/17/lib/plpgsql.so', 'plpgsql_validator';
"""


def _plain_server(sql: str, query: str) -> str:
    """Run ``sql`` then ``query`` (output only) as the bootstrap superuser of a fresh server in a
    container of this test's own, with no network."""
    script = f"""
set -e
export PATH=/usr/lib/postgresql/17/bin:$PATH PGHOST=/tmp PGDATABASE=postgres PGUSER=dotbox_admin
initdb -D /tmp/d -U dotbox_admin -A trust >/dev/null
pg_ctl -D /tmp/d -w -s -l /tmp/log -o "-c listen_addresses= -c unix_socket_directories=/tmp" start
cat > /tmp/setup.sql <<'SQL'
{sql}
SQL
cat > /tmp/query.sql <<'SQL'
{query};
SQL
psql -X -q -v ON_ERROR_STOP=1 -f /tmp/setup.sql >/dev/null 2>&1
psql -X -q -A -t -v ON_ERROR_STOP=1 -f /tmp/query.sql
"""
    return subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "--user", "postgres"]
        + ["--entrypoint", "sh", "dotbox/base:pg17", "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.strip()


@pytest.fixture(scope="module")
def left_behind() -> str:
    return _plain_server(LEFT_BEHIND, "SELECT " + db.unsafe(superuser=False, hba_file="/x"))


@pytest.mark.parametrize(
    "finding",
    [
        "superusers: bd",
        "other roles that log in: ",  # dotbox_admin is not closed here, and bd
        "sandbox reaches privileged roles: ",
        "other roles that may create databases: cd;",  # not sandbox, nor the bootstrap
        "superuser-only role settings: session_preload_libraries=x",
        "C functions outside the server's library: so(oid)",
        "wrappers of restricted built-in functions: rd(text)",
        "security definer functions of a superuser: sd()",
        "server files: hba_file /tmp/d/pg_hba.conf",
    ],
)
def test_each_thing_left_behind_is_named(left_behind: str, finding: str) -> None:
    assert finding in left_behind, left_behind
    assert "\n" not in left_behind


def test_what_sandbox_reaches_is_followed_through_memberships(left_behind: str) -> None:
    reached = left_behind.split("sandbox reaches privileged roles: ")[1].split(";")[0]
    assert sorted(reached.split(", ")) == ["b", "pg_write_server_files"]
    assert "work_mem" not in left_behind


def test_a_clean_catalog_reads_back_empty() -> None:
    clean = "CREATE ROLE sandbox LOGIN CREATEDB; CREATE ROLE app; GRANT app TO sandbox;"
    query = "ALTER ROLE dotbox_admin NOLOGIN; SELECT " + db.unsafe(superuser=False, hba_file=HBA)
    assert _plain_server(clean, query) == ""
    superuser = "CREATE ROLE sandbox LOGIN SUPERUSER; CREATE ROLE app BYPASSRLS;"
    query = "ALTER ROLE dotbox_admin NOLOGIN; SELECT " + db.unsafe(superuser=True, hba_file=HBA)
    assert _plain_server(superuser + " GRANT app TO sandbox;", query) == ""
