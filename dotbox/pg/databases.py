"""Per-test databases inside one sandbox, as ``db.DBADMIN`` over its socket: the pristine
template, spare clones of it, handing one out with its own role, and dropping it.

``sandbox_template`` is a copy of the sandbox's database made at first use; it accepts no
connections (``ALLOW_CONNECTIONS false``), so nobody, not even its owner, can change what every
clone starts from. PostgreSQL cannot clone a database someone is connected to: the sandbox's own
database is cloned once, then never again. A spare (``dotbox_spare_…``) is a clone nobody has
been handed yet; handing it out is one transaction: rename it, make its role (a member of the
sandbox role, so it may do what the sandbox role may in it), give it the database, and take
CONNECT and TEMP away from PUBLIC, so that no other role can reach it. The template, and with
it every clone, lives in the scratch tablespace when it fits (``_tablespace``).
"""

from __future__ import annotations

import secrets
from typing import Any, Literal

import psycopg
from psycopg import errors, sql

from dotbox.core.errors import Conflict, NotFound
from dotbox.core.records import SandboxCredentials
from dotbox.pg import db

TEMPLATE = "sandbox_template"
SPARE_PREFIX = "dotbox_spare_"
PREFIX = "db_"  # a handed-out database and its role: db_<16 hex>
Strategy = Literal["WAL_LOG", "FILE_COPY"]
# Measured (bench/per_test_db.py, docs/pytest.md): FILE_COPY copies the files and checkpoints
# twice, which with fsync off costs little whatever the size; WAL_LOG writes every block
# through the WAL, and was as slow or slower already for the default snapshot's 8 MB and
# pagila's 9 MB (an empty database is 7.5 MB of catalogs). It is kept for a template below this.
FILE_COPY_ABOVE_BYTES = 4 * 1024 * 1024
SCRATCH = "dotbox_scratch"  # the tablespace on a tmpfs (bake.sh makes it, core/limits mounts it)
# The template, two spares, the databases in use and those being dropped share that tmpfs (at
# least 256 MB), with room for what tests write: a bigger snapshot's stay in the default one.
SCRATCH_TEMPLATE_BYTES = 32 * 1024 * 1024


def admin_connect(admin: SandboxCredentials) -> psycopg.Connection[Any]:
    return db.connect(admin, autocommit=True)


def strategy_for(size_bytes: int) -> Strategy:
    return "FILE_COPY" if size_bytes > FILE_COPY_ABOVE_BYTES else "WAL_LOG"


def template_size(conn: psycopg.Connection[Any]) -> int | None:
    row = conn.execute("SELECT pg_database_size(%s)", (TEMPLATE,)).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def _exists(conn: psycopg.Connection[Any], name: str) -> bool:
    return (
        conn.execute("SELECT FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None
    )


def ensure_template(conn: psycopg.Connection[Any], source: str) -> None:
    """Make ``TEMPLATE`` from ``source`` unless it exists (another process may make it at the
    same time: the loser's duplicate is no error). Raises Conflict if someone is connected to
    ``source`` (PostgreSQL waits five seconds for them to leave first)."""
    if _exists(conn, TEMPLATE):
        return
    try:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY TABLESPACE {}").format(
                sql.Identifier(TEMPLATE), sql.Identifier(source), _tablespace(conn, source)
            )
        )
    except errors.DuplicateDatabase:
        return
    except errors.ObjectInUse:
        raise Conflict(
            f"the sandbox's database {source!r} is in use: its first per-test database copies"
            " it once, and PostgreSQL copies no database anyone is connected to",
            hint="close the connections to it (or ask for the first database before opening"
            " any); after that first copy, it is never needed again",
        ) from None
    conn.execute(
        sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false IS_TEMPLATE true").format(
            sql.Identifier(TEMPLATE)
        )
    )


def _tablespace(conn: psycopg.Connection[Any], source: str) -> sql.Composable:
    """Where the template, and with it every clone, lives: the scratch tablespace (a tmpfs, see
    core/limits.scratch) if the image has one and ``source`` is small enough for several copies
    to fit in it, else the server's default."""
    row = conn.execute(
        "SELECT pg_database_size(%s) <= %s AND EXISTS"
        " (SELECT FROM pg_tablespace WHERE spcname = %s)",
        (source, SCRATCH_TEMPLATE_BYTES, SCRATCH),
    ).fetchone()
    return sql.Identifier(SCRATCH) if row and row[0] else sql.SQL("DEFAULT")


def clone(conn: psycopg.Connection[Any], strategy: Strategy) -> str:
    """A new spare cloned from ``TEMPLATE``; returns its name."""
    name = SPARE_PREFIX + secrets.token_hex(8)
    conn.execute(
        sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY {}").format(
            sql.Identifier(name), sql.Identifier(TEMPLATE), sql.SQL(strategy)
        )
    )
    return name


def new_name() -> str:
    return PREFIX + secrets.token_hex(8)


def hand_out(
    conn: psycopg.Connection[Any], spare: str, name: str, verifier: str, sandbox_role: str
) -> None:
    """Make ``spare`` the database ``name``, owned by a new role ``name`` whose password's
    SCRAM verifier is ``verifier``, in one transaction. NotFound if the spare is gone."""
    who = sql.Identifier(name)
    statements = [
        sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(spare), who),
        sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE {} ROLE {}").format(
            who, sql.Literal(verifier), sql.Identifier(sandbox_role), sql.Identifier(db.DBADMIN)
        ),
        sql.SQL("ALTER DATABASE {} OWNER TO {}").format(who, who),
        sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(who),
    ]
    try:  # one round trip: a query of several statements without parameters is one transaction
        conn.execute(sql.SQL("; ").join(statements))
    except errors.InvalidCatalogName:
        raise NotFound(f"spare database {spare} is gone") from None


def drop(conn: psycopg.Connection[Any], name: str) -> bool:
    """Drop the database ``name`` (its open connections terminated) and its role. Returns
    whether either existed."""
    existed = _exists(conn, name)
    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    row = conn.execute("SELECT FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
    if row is not None:
        conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))
    return existed or row is not None


def handed_out(conn: psycopg.Connection[Any]) -> list[str]:
    """The databases and roles handed out and not dropped yet (names, sorted)."""
    rows = conn.execute(
        "SELECT datname FROM pg_database WHERE starts_with(datname, %(p)s)"
        " UNION SELECT rolname FROM pg_roles WHERE starts_with(rolname, %(p)s) ORDER BY 1",
        {"p": PREFIX},
    ).fetchall()
    return [r[0] for r in rows]


def spares(conn: psycopg.Connection[Any]) -> list[str]:
    rows = conn.execute(
        "SELECT datname FROM pg_database WHERE starts_with(datname, %s) ORDER BY 1",
        (SPARE_PREFIX,),
    ).fetchall()
    return [r[0] for r in rows]
