"""Capture: a read-only, schema-only dump of a live server, made a snapshot.

The one place dotbox touches a server that is not a sandbox, and only to read it. Nothing runs
on the host: a one-shot container of a dotbox base image first asks the server for its version
(``psql``), then ``pg_dump --schema-only`` of the server's own major dumps it. Every connection
carries ``default_transaction_read_only=on`` (PGOPTIONS). The password travels only in the
environment of the ``exec`` calls, which is not part of the container's configuration, and the
container is removed in all cases. The dump is then sanitised and checked like an import.

The container needs a network to reach the server: ``host`` by default (a DSN that works on the
host works there), or the name of a Docker network the server is on.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from dotbox import images
from dotbox.core import paths, validate
from dotbox.core.errors import CaptureFailed, InvalidInput
from dotbox.core.labels import Label
from dotbox.core.models import SnapshotManifest
from dotbox.engine import client
from dotbox.images import Progress
from dotbox.snapshots import store
from dotbox.sql import ddl, ledgers

READ_ONLY = "-c default_transaction_read_only=on"
_ALLOWED_KEYS = {
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "sslmode",
    "connect_timeout",
    "application_name",
}
_PROBE = (
    "SELECT current_setting('server_version_num') || '|' || current_setting('server_version')"
    " || '|' || current_database()"
)
_SYSID = "SELECT system_identifier FROM pg_control_system()"
# The server's migration ledgers, as pg_dump --table patterns that match exactly each.
_LEDGERS = (
    "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE tablename = ANY(ARRAY["
    + ", ".join(f"'{t}'" for t in sorted(ledgers.LEDGER_TABLES))
    + "]) AND schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
)


def _no_progress(phase: str, done: int, total: int) -> None:
    pass


def parse_dsn(dsn: str) -> tuple[str, str | None, str]:
    """(conninfo without the password, the password, a display form without it)."""
    from dotbox.pg import conninfo

    params = conninfo.parameters(dsn, "--dsn")
    unknown = sorted(set(params) - _ALLOWED_KEYS)
    if unknown:
        raise InvalidInput(f"--dsn parameter(s) not accepted for capture: {', '.join(unknown)}")
    if not params.get("host") and not params.get("hostaddr"):
        raise InvalidInput("--dsn needs a host (capture reaches the server over TCP)")
    password = params.pop("password", None)
    display = (
        f"postgresql://{params.get('user', '')}@{params.get('host') or params.get('hostaddr')}"
        f":{params.get('port', '5432')}/{params.get('dbname', '')}"
    )
    return conninfo.text(params), password, display


def _newest_base() -> int:
    for major in sorted(images.OFFLINE_MAJORS, reverse=True):
        if client.image(images.base_tag(major)) is not None:
            return major
    return max(images.OFFLINE_MAJORS)  # images.base_image() builds it


@contextmanager
def _client_container(major: int, network: str) -> Iterator[str]:
    base = images.base_image(major)
    spec = client.ContainerSpec(
        image=base.id,
        name=f"dotbox-capture-{secrets.token_hex(4)}",
        labels={
            Label.MANAGED_BY: "dotbox",
            Label.ROLE: "capture",
            Label.HOME: str(paths.data_home()),
        },
        command=["sleep", "infinity"],
        user="postgres",
        network_mode=network,
    )
    container = client.run_container(spec)
    try:
        yield container
    finally:
        client.remove_container(container)


def _run(container: str, command: list[str], password: str | None) -> tuple[int, str, str]:
    env = {"PGOPTIONS": READ_ONLY, "PGCONNECT_TIMEOUT": "10", "PGAPPNAME": "dotbox-capture"}
    if password is not None:
        env["PGPASSWORD"] = password
    code, out, err = client.exec_output(container, command, user="postgres", environment=env)
    text_out, text_err = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
    if password:
        text_err = text_err.replace(password, "***")
    return code, text_out, text_err


def _failed(what: str, err: str) -> CaptureFailed:
    lines = [x.strip() for x in err.strip().splitlines() if x.strip()]
    return CaptureFailed(f"capture: {what} failed: {' / '.join(lines[-2:]) or 'no output'}")


def capture(
    dsn: str,
    name: str,
    *,
    network: str = "host",
    replace: bool = False,
    allow_data: bool = False,
    data: list[str] | None = None,
    progress: Progress = _no_progress,
) -> SnapshotManifest:
    """Dump the schema of the server at ``dsn`` (read-only) and store it as snapshot ``name``,
    with the rows of its migration ledgers and of the tables matching ``data`` (pg_dump
    --table patterns)."""
    validate.snapshot_name(name)
    if not network or any(c in network for c in " /:"):
        raise InvalidInput(f"invalid --network {network!r}")
    patterns = _data_patterns(data or [])
    conninfo, password, display = parse_dsn(dsn)
    if password is None:
        password = os.environ.get("PGPASSWORD")  # keeps it off the command line
    progress("probe server", 0, 3)
    probe_major = _newest_base()
    with _client_container(probe_major, network) as probe:
        code, out, err = _run(probe, ["psql", "-X", "-At", "-d", conninfo, "-c", _PROBE], password)
        if code != 0:
            raise _failed("connecting to the server", err)
        version_num, version, database = out.strip().split("|", 2)
        code, out, _ = _run(probe, ["psql", "-X", "-At", "-d", conninfo, "-c", _SYSID], password)
        system_identifier = out.strip() if code == 0 and out.strip().isdigit() else None
        tables = _ledger_patterns(probe, conninfo, password) + patterns
        major = int(version_num) // 10000
        progress(f"pg_dump {major}", 1, 3)
        if major == probe_major:
            dump = _dump(probe, conninfo, password, tables)
        else:
            if major not in images.OFFLINE_MAJORS:
                raise CaptureFailed(
                    f"capture: the server runs PostgreSQL {major}; dotbox has base images for"
                    f" {', '.join(map(str, images.OFFLINE_MAJORS))} only"
                )
            with _client_container(major, network) as dumper:
                dump = _dump(dumper, conninfo, password, tables)
    if password and password in dump:
        raise CaptureFailed("capture: the dump holds the connection password; refused")
    progress("sanitise", 2, 3)
    manifest = store.store_text(
        ddl.normalise(dump),
        name,
        source_kind="capture",
        source=display,
        pg_major=None,
        replace=replace,
        allow_data=allow_data,
        data_patterns=patterns,
        chosen=ddl.copy_tables(dump) if tables else frozenset(),
        server={
            "major": major,
            "version": version,
            "system_identifier": system_identifier,
            "database": database,
        },
    )
    progress("done", 3, 3)
    return manifest


def _data_patterns(data: list[str]) -> list[str]:
    """capture --data patterns, checked: each a pg_dump --table pattern on one line."""
    for pattern in data:
        if not pattern.strip() or any(c in pattern for c in "\n\r\0") or pattern.startswith("-"):
            raise InvalidInput(f"invalid --data pattern {pattern!r}")
    return list(dict.fromkeys(data))


def _ledger_patterns(container: str, conninfo: str, password: str | None) -> list[str]:
    """The server's migration ledgers, each as a pg_dump pattern matching exactly it."""
    code, out, err = _run(
        container, ["psql", "-X", "-At", "-d", conninfo, "-c", _LEDGERS], password
    )
    if code != 0:
        raise _failed("listing migration ledgers", err)
    return [line for line in out.splitlines() if line.strip()]


def _dump(container: str, conninfo: str, password: str | None, tables: list[str]) -> str:
    """The schema; with ``tables`` (pg_dump patterns), their rows between the schema's two
    sections, where a restore puts them (before indexes, constraints and triggers)."""
    plain = ["pg_dump", "--no-password", "--format=plain", "--dbname", conninfo]
    if not tables:
        return _pg_dump(container, [*plain, "--schema-only"], password)
    rows = [*plain, "--section=data", "--strict-names", *(f"--table={t}" for t in tables)]
    return "\n".join(
        _pg_dump(container, args, password)
        for args in ([*plain, "--section=pre-data"], rows, [*plain, "--section=post-data"])
    )


def _pg_dump(container: str, args: list[str], password: str | None) -> str:
    code, out, err = _run(container, args, password)
    if code != 0 and "no matching tables were found" in err:
        said = [x.strip() for x in err.splitlines() if "no matching tables" in x][-1]
        raise InvalidInput(f"capture --data: {said.removeprefix('pg_dump: error: ')}")
    if code != 0:
        raise _failed("pg_dump", err)
    return out
