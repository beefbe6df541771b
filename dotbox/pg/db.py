"""PostgreSQL access to sandboxes (psycopg): connect over the socket, bootstrap, readiness."""

from __future__ import annotations

from typing import Any, NamedTuple

import psycopg
from psycopg import sql

from dotbox.core.errors import NotReady, Refused
from dotbox.core.records import SandboxCredentials
from dotbox.core.retry import poll
from dotbox.pg import scram

Error = psycopg.Error  # what a failed statement or connection raises, for dotbox's modules
# libpq fills every parameter not given from the user's PG* environment (PGPORT, PGOPTIONS,
# PGSSLMODE, …), which would point dotbox's own connections elsewhere: pin them.
PINNED: dict[str, Any] = {
    "port": 5432,
    "options": "",
    "sslmode": "disable",
    "gssencmode": "disable",
}

# The role dotbox uses to clone, hand out and drop a sandbox's per-test databases
# (dotbox.pg.databases): it may create databases and roles, is no superuser, and its password is
# kept on the host only, beside the sandbox's own.
DBADMIN = "dotbox_dbadmin"


def connect(
    creds: SandboxCredentials, *, timeout: float = 5.0, **kwargs: Any
) -> psycopg.Connection[Any]:
    info = creds.conninfo()
    return psycopg.connect(
        host=info["host"],
        user=info["user"],
        password=info["password"],
        dbname=info["dbname"],
        connect_timeout=max(1, int(timeout)),
        **(PINNED | {"port": int(info.get("port", 5432))} | kwargs),
    )


def bootstrap(
    creds: SandboxCredentials,
    *,
    superuser: bool,
    hba_file: str,
    deadline: float,
    dbadmin_password: str | None = None,
) -> Identity:
    """First connection to a new sandbox, as dotbox_admin (trusted once, see pg_hba.conf):
    give the sandbox role its random password (and SUPERUSER if asked), close that door, and
    read back in the same round trip what took: the stored verifier, the flags, the server's
    identity, and ``unsafe``'s findings. Raises NotReady if the bootstrap did not take,
    Refused if the server is not safe to hand out.

    Retries until the server accepts connections or ``deadline`` seconds pass.
    """

    def attempt() -> psycopg.Connection[Any]:
        return psycopg.connect(
            host=str(creds.socket_dir),
            user="dotbox_admin",
            dbname=creds.database,
            connect_timeout=2,
            autocommit=True,
            **PINNED,
        )

    verifier = scram.verifier(creds.password)
    statements = [
        *bootstrap_sql(
            creds, superuser=superuser, verifier=verifier, dbadmin_password=dbadmin_password
        ),
        _read_back(creds, unsafe(superuser=superuser, hba_file=hba_file)),
    ]
    conn = poll(attempt, deadline=deadline, interval=0.002, retry_on=(psycopg.OperationalError,))
    with conn:  # one round trip: the statements run as one implicit transaction
        cur = conn.execute("; ".join(statements).encode(), prepare=False)
        while cur.nextset():  # to the read-back's result, the last one
            pass
        row = cur.fetchone() or ("", None, None, None, None, None, 0, 0)
    system_identifier, stored, rolsuper, createdb, closed, problems, *settings = row
    if stored != verifier or closed is not True or rolsuper is not superuser or not createdb:
        raise NotReady(
            "the bootstrap did not take: password stored, SUPERUSER as asked, CREATEDB and"
            f" dotbox_admin NOLOGIN read back as {stored == verifier}, {rolsuper is superuser},"
            f" {createdb is True}, {closed is True}"
        )
    refuse_unsafe(creds, problems)
    return Identity(str(system_identifier), superuser, True, *settings)


_SETTINGS = (
    "current_setting('max_connections')::int, current_setting('max_prepared_transactions')::int"
)


def _read_back(creds: SandboxCredentials, problems: str) -> str:
    role = sql.Literal(creds.user)
    return (
        sql.SQL(
            "SELECT system_identifier,"
            " (SELECT rolpassword FROM pg_authid WHERE rolname = {role}),"
            " (SELECT rolsuper FROM pg_authid WHERE rolname = {role}),"
            " (SELECT rolcreatedb FROM pg_authid WHERE rolname = {role}),"
            " (SELECT NOT rolcanlogin FROM pg_authid WHERE rolname = 'dotbox_admin'),"
            " ({problems}), " + _SETTINGS + " FROM pg_control_system()"
        )
        .format(role=role, problems=sql.SQL(problems))
        .as_string(None)
    )


# Built-in roles whose members read and write the server's files or run programs.
_SERVER_ACCESS_ROLES = (
    "'pg_execute_server_program', 'pg_read_server_files', 'pg_write_server_files'"
)
# Facts of a new sandbox's catalog and server, each an empty (NULL) result when safe.
_UNSAFE = {
    "superusers": "SELECT string_agg(rolname, ', ') FROM pg_roles"
    " WHERE rolsuper AND rolname <> 'dotbox_admin' AND (rolname <> 'sandbox' OR NOT {superuser})",
    "other roles that log in": "SELECT string_agg(rolname, ', ') FROM pg_roles"
    f" WHERE rolcanlogin AND rolname NOT IN ('sandbox', '{DBADMIN}')",
    # sandbox itself may create (and drop its own) databases: test runners make theirs
    "other roles that may create databases": "SELECT string_agg(rolname, ', ') FROM pg_roles"
    f" WHERE rolcreatedb AND rolname NOT IN ('dotbox_admin', 'sandbox', '{DBADMIN}')",
    "sandbox reaches privileged roles": "WITH RECURSIVE up AS ("
    "SELECT oid FROM pg_roles WHERE rolname = 'sandbox'"
    " UNION SELECT m.roleid FROM pg_auth_members m JOIN up ON m.member = up.oid)"
    " SELECT string_agg(rolname, ', ') FROM pg_roles JOIN up USING (oid) WHERE NOT {superuser}"
    " AND (rolsuper OR rolcreaterole OR rolbypassrls OR rolreplication"
    f" OR rolname IN ({_SERVER_ACCESS_ROLES}))",
    "superuser-only role settings": "SELECT string_agg(c, ', ')"
    " FROM pg_db_role_setting, unnest(setconfig) c"
    " LEFT JOIN pg_settings p ON p.name = lower(split_part(c, '=', 1))"
    " WHERE p.context IS DISTINCT FROM 'user'",
    "C functions outside the server's library": "SELECT string_agg(p.oid::regprocedure::text,"
    " ', ') FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang"
    " WHERE l.lanname = 'c' AND p.probin NOT LIKE '$libdir/%'",
    "wrappers of restricted built-in functions": "SELECT string_agg(p.oid::regprocedure::text,"
    " ', ') FROM pg_proc p JOIN pg_proc b ON b.prosrc = p.prosrc AND b.oid < 16384"
    " WHERE p.oid >= 16384 AND p.prolang = 12 AND b.prolang = 12 AND b.proacl IS NOT NULL",
    "security definer functions of a superuser": "SELECT string_agg(p.oid::regprocedure::text,"
    " ', ') FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner"
    " WHERE p.oid >= 16384 AND p.prosecdef AND r.rolsuper",
    "server files": "SELECT 'hba_file ' || current_setting('hba_file')"
    " WHERE current_setting('hba_file') <> {hba_file}",
}


def unsafe(*, superuser: bool, hba_file: str) -> str:
    """A query (as dotbox_admin) of what would make a new sandbox unsafe to hand out: one text
    value, empty when there is nothing. The snapshot's DDL ran as a superuser while it baked;
    the bake undid what it knows of, and this reads back that nothing is left: no superuser
    but the bootstrap (and sandbox if asked), no login and no CREATEDB but sandbox, no
    membership path from sandbox to a privileged role, no superuser-only setting applied at
    login, no function that runs code or a restricted built-in unchecked, and dotbox's own
    hba_file."""
    values = {"superuser": sql.Literal(superuser), "hba_file": sql.Literal(hba_file)}
    parts = [
        sql.SQL("(SELECT {} || ': ' || ({}))").format(
            sql.Literal(label), sql.SQL(query).format(**values)
        )
        for label, query in _UNSAFE.items()
    ]
    return sql.SQL("concat_ws('; ', {})").format(sql.SQL(", ").join(parts)).as_string(None)


def refuse_unsafe(creds: SandboxCredentials, problems: str | None) -> None:
    if problems:
        raise Refused(
            f"sandbox {creds.id} is not safe to hand out ({problems}); it was removed",
            hint="its snapshot's DDL changed roles or the server; see SECURITY.md",
        )


def bootstrap_sql(
    creds: SandboxCredentials,
    *,
    superuser: bool,
    verifier: str | None = None,
    dbadmin_password: str | None = None,
) -> list[str]:
    """The bootstrap: the sandbox role's password as a SCRAM verifier (the plain text never
    reaches the server), CREATEDB (a test runner makes and drops its own databases; the server
    has no network to reach), SUPERUSER if asked, the role that makes per-test databases (with
    ``dbadmin_password``), and dotbox_admin closed for good."""
    role = sql.Identifier(creds.user)
    statements: list[sql.Composable] = [
        sql.SQL("ALTER ROLE {} CREATEDB PASSWORD {}").format(
            role, sql.Literal(verifier or scram.verifier(creds.password))
        )
    ]
    if superuser:
        statements.append(sql.SQL("ALTER ROLE {} SUPERUSER").format(role))
    if dbadmin_password is not None:
        statements += dbadmin_sql(creds.user, dbadmin_password)
    statements.append(sql.SQL("ALTER ROLE dotbox_admin NOLOGIN"))
    return [s.as_string(None) for s in statements]


def dbadmin_sql(sandbox_role: str, password: str) -> list[sql.Composable]:
    """Make ``DBADMIN``: a login with CREATEDB and CREATEROLE, a member of the sandbox role
    with its ADMIN option (so it may clone the sandbox's database, which that role owns, and
    make each per-test role a member of it). Nothing is a member of it."""
    return [
        sql.SQL("CREATE ROLE {} LOGIN CREATEDB CREATEROLE PASSWORD {}").format(
            sql.Identifier(DBADMIN), sql.Literal(scram.verifier(password))
        ),
        sql.SQL("GRANT {} TO {} WITH ADMIN OPTION").format(
            sql.Identifier(sandbox_role), sql.Identifier(DBADMIN)
        ),
    ]


class Identity(NamedTuple):
    """Who a sandbox's server is, read back from it: its ``system_identifier`` (readable by any
    role through pg_control_system()), whether the role it hands out is a superuser and whether
    it may create databases."""

    system_identifier: str
    superuser: bool
    createdb: bool = False
    max_connections: int = 0  # the server's settings in force
    max_prepared_transactions: int = 0


def identity(creds: SandboxCredentials, *, timeout: float = 5.0) -> Identity:
    """One connection with the sandbox's own credentials, one query: the guard's read-back
    (and, through the forwarder, a --tcp create's). The server reports ``is_superuser`` at
    connect."""
    with connect(creds, timeout=timeout, autocommit=True) as conn:
        row = conn.execute(
            "SELECT system_identifier, (SELECT rolcreatedb FROM pg_roles"
            " WHERE rolname = current_user), " + _SETTINGS + " FROM pg_control_system()"
        ).fetchone()
        superuser = conn.info.parameter_status("is_superuser") == "on"
    if row is None:
        return Identity("", superuser)
    return Identity(str(row[0]), superuser, bool(row[1]), row[2], row[3])


def identity_over_tcp(creds: SandboxCredentials, *, deadline: float) -> Identity:
    """``identity`` through the forwarder on 127.0.0.1:``creds.tcp_port``, retried until
    ``deadline``."""
    try:
        return poll(
            lambda: identity(creds, timeout=2),
            deadline=deadline,
            interval=0.01,
            retry_on=(psycopg.OperationalError,),
        )
    except psycopg.OperationalError as exc:
        raise NotReady(
            f"the forwarder on 127.0.0.1:{creds.tcp_port} relayed no query: {exc}"
        ) from None


# What a snapshot's counts are compared with: objects of the DDL's own schemas, not those an
# extension brings, and not the copies PostgreSQL makes on partitions (index partitions,
# cloned triggers), which the DDL does not create one by one.
COUNTS_SQL = """
WITH ext AS (SELECT objid FROM pg_depend WHERE deptype = 'e'),
ns AS (SELECT oid FROM pg_namespace
       WHERE nspname NOT IN ('pg_catalog', 'information_schema')
         AND nspname !~ '^pg_(toast|temp_|toast_temp_)')
SELECT
 (SELECT count(*) FROM pg_class WHERE relkind IN ('r', 'p') AND relnamespace IN (SELECT oid FROM ns)
    AND oid NOT IN (SELECT objid FROM ext)) AS tables,
 (SELECT count(*) FROM pg_class WHERE relkind = 'v' AND relnamespace IN (SELECT oid FROM ns)
    AND oid NOT IN (SELECT objid FROM ext)) AS views,
 (SELECT count(*) FROM pg_class WHERE relkind = 'm' AND relnamespace IN (SELECT oid FROM ns)
    AND oid NOT IN (SELECT objid FROM ext)) AS materialized_views,
 (SELECT count(*) FROM pg_class WHERE relkind = 'S' AND relnamespace IN (SELECT oid FROM ns)
    AND oid NOT IN (SELECT objid FROM ext)) AS sequences,
 (SELECT count(*) FROM pg_class WHERE relkind IN ('i', 'I') AND NOT relispartition
    AND relnamespace IN (SELECT oid FROM ns) AND oid NOT IN (SELECT objid FROM ext)) AS indexes,
 (SELECT count(*) FROM pg_proc WHERE prokind IN ('f', 'a', 'w')
    AND pronamespace IN (SELECT oid FROM ns) AND oid NOT IN (SELECT objid FROM ext)) AS functions,
 (SELECT count(*) FROM pg_proc WHERE prokind = 'p'
    AND pronamespace IN (SELECT oid FROM ns) AND oid NOT IN (SELECT objid FROM ext)) AS procedures,
 (SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgparentid = 0) AS triggers
"""
COUNTED_KINDS = (
    "tables",
    "views",
    "materialized_views",
    "sequences",
    "indexes",
    "functions",
    "procedures",
    "triggers",
)


def catalog_counts(conn: psycopg.Connection[Any]) -> dict[str, int]:
    """Objects of each kind in ``COUNTED_KINDS`` that the connected database holds."""
    cur = conn.execute(COUNTS_SQL)
    row = cur.fetchone()
    assert row is not None and cur.description is not None
    return {d.name: int(v) for d, v in zip(cur.description, row, strict=True)}
