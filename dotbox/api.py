"""The Python API: what a user's code, the CLI and the pytest plugin call."""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from dotbox.core import paths, validate
from dotbox.core.errors import DotboxError, NotFound, NotReady
from dotbox.core.models import SnapshotDiff, SnapshotManifest
from dotbox.core.records import DropReport, SandboxCredentials
from dotbox.sandboxes import lifecycle as _sandbox
from dotbox.sandboxes.inventory import SandboxInfo
from dotbox.snapshots import store as _snapshots

if TYPE_CHECKING:
    from dotbox.images import Progress
    from dotbox.primitives.facets import Outcome
    from dotbox.sandboxes.databases import Databases


class _Connectable:
    """What a sandbox and a database of it share: a connection, and one statement's rows."""

    @property
    def credentials(self) -> SandboxCredentials:
        raise NotImplementedError

    def connect(self, **kwargs: Any) -> Any:
        """A psycopg connection to it (keyword arguments go to ``psycopg.connect``)."""
        from dotbox.pg import db

        return db.connect(self.credentials, **kwargs)

    def query(self, statement: str, params: Any = None) -> list[tuple[Any, ...]]:
        """Run one statement in its own committed transaction; return its rows (if any)."""
        with self.connect() as conn:
            cur = conn.execute(statement, params)
            return list(cur.fetchall()) if cur.description else []


class Sandbox(_Connectable):
    """A live sandbox. Use it as a context manager: leaving the block drops it."""

    def __init__(self, info: SandboxInfo, credentials: SandboxCredentials | None) -> None:
        self.info = info
        self._credentials = credentials
        self._dropped: DropReport | None = None
        self._databases: Databases | None = None

    @property
    def id(self) -> str:
        return self.info.id

    @property
    def credentials(self) -> SandboxCredentials:
        if self._credentials is None:
            raise NotFound(f"the credentials of sandbox {self.id} are not on this host")
        return self._credentials

    @property
    def dsn(self) -> str:
        """``postgresql://sandbox:PASSWORD@/sandbox?host=SOCKET_DIR``"""
        return self.credentials.dsn

    @property
    def tcp_dsn(self) -> str | None:
        """``postgresql://sandbox:PASSWORD@127.0.0.1:PORT/sandbox`` when made with ``tcp``."""
        return self.credentials.tcp_dsn

    def run(
        self, command: list[str], *, rw: bool = False, tcp: bool = False, image: str | None = None
    ) -> int:
        """Run ``command`` in a network-less runner beside the sandbox (see ``dotbox run``),
        made from ``image`` if given ("tools", or an image on the engine: ``--image``); its
        output goes to this process's stdout/stderr; returns its exit code."""
        import sys

        from dotbox.sandboxes import runner

        def write(out: bytes | None, err: bytes | None) -> None:
            if out:
                sys.stdout.buffer.write(out)
            if err:
                sys.stderr.buffer.write(err)

        return runner.run(self.id, command, on_output=write, rw=rw, tcp=tcp, image=image)

    def database(self, *, spares: int = 2) -> Database:
        """A fresh database of this sandbox, cloned from a pristine copy of its own (taken the
        first time, which nobody can connect to), with its own owner role and password; no
        other database's role can connect to it. ``spares`` clones are kept ready in the
        background, so that this takes milliseconds. Use it as a context manager: leaving the
        block drops it (its open connections are ended)."""
        from dotbox.sandboxes import databases

        if self._databases is None:
            self._databases = databases.of(self.info, spares)
        return Database(self, self._databases.take(), self._databases)

    def database_names(self) -> list[str]:
        """The databases handed out of this sandbox (by any process) and not dropped yet."""
        from dotbox.sandboxes import databases

        return databases.handed_out(self.info)

    def drop(self) -> DropReport:
        """Destroy the sandbox and confirm nothing of it is left (sandbox-drop). Idempotent."""
        if self._databases is not None:  # its spare databases go with it
            from dotbox.sandboxes import databases

            databases.forget(self.id)
            self._databases = None
        if self._dropped is None:
            try:
                self._dropped = drop(self.id)
            except NotFound:  # dropped already, by another hand: nothing of it is left
                self._dropped = DropReport(
                    id=self.id,
                    container_removed=False,
                    volumes_removed=0,
                    socket_dir_removed=False,
                    confirmed=True,
                    seconds=0.0,
                )
        return self._dropped

    # ---- the governed primitives, each through the lifecycle runner (primitives.registry) ----

    def vocab_build(self, vocab: str | Path, *, dry_run: bool = False) -> Outcome:
        """Build the vocabularies of ``vocab`` (YAML) into the sandbox (vocab-build)."""
        return _run("vocab-build", {"sandbox": self.id, "vocab": vocab}, dry_run=dry_run)

    def verify(self, checks: str | Path | None = None, *, dry_run: bool = False) -> Outcome:
        """The schema against its snapshot, plus the checks of ``checks`` (verify)."""
        return _run("verify", {"sandbox": self.id, "checks": checks}, dry_run=dry_run)

    def harness(
        self, cases: str | Path | None = None, *, auto: bool = False, dry_run: bool = False
    ) -> Outcome:
        """Bad inputs that must be rejected, from ``cases`` and/or the catalog (harness)."""
        raw = {"sandbox": self.id, "cases": cases, "auto": auto}
        return _run("bad-input-harness", raw, dry_run=dry_run)

    def apply(self, *files: str | Path, dry_run: bool = False) -> Outcome:
        """Run SQL files in one transaction that stops at the first error (apply)."""
        return _run("apply", {"sandbox": self.id, "files": list(files)}, dry_run=dry_run)

    def evidence(self, out: str | Path | None = None) -> Outcome:
        """Check the ledger's chain, re-check its records, export a bundle to ``out``."""
        return _run("evidence-readback", {"target": self.id, "out": out})

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.drop()

    def __repr__(self) -> str:
        return f"<Sandbox {self.id} snapshot={self.info.snapshot} state={self.info.state}>"


class Database(_Connectable):
    """A database of a sandbox, handed out by ``Sandbox.database()``: its own role owns it
    (and is a member of the sandbox's role, so it may do in it what that role may). Leaving
    the block drops the database and its role."""

    def __init__(self, sandbox: Sandbox, credentials: SandboxCredentials, owner: Databases):
        self.sandbox = sandbox
        self._database_credentials = credentials
        self._owner = owner
        self.dropped = False

    @property
    def credentials(self) -> SandboxCredentials:
        return self._database_credentials

    @property
    def name(self) -> str:
        return self.credentials.database

    @property
    def dsn(self) -> str:
        """``postgresql://db_…:PASSWORD@/db_…?host=SOCKET_DIR``"""
        return self.credentials.dsn

    def drop(self) -> None:
        """Drop the database (ending its open connections) and its role. Idempotent."""
        if not self.dropped:
            self._owner.drop(self.name)
            self.dropped = True

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.drop()

    def __repr__(self) -> str:
        return f"<Database {self.name} of sandbox {self.sandbox.id}>"


def sandbox(
    snapshot: str | None = None,
    *,
    name: str | None = None,
    ttl: str | None = None,
    superuser: bool | None = None,
    tcp: bool | None = None,
    memory: str | None = None,
    cpus: float | None = None,
    pids: int | None = None,
    disk: str | None = None,
    max_connections: int | None = None,
    max_prepared_transactions: int | None = None,
    progress: Progress | None = None,
) -> Sandbox:
    """Create a sandbox from a snapshot (the bundled default if none is named).

    ``tcp`` adds a forwarder on the host's 127.0.0.1 (``Sandbox.tcp_dsn``). ``memory`` (512m),
    ``cpus`` (1.0) and ``pids`` (256) limit the container; ``disk`` (e.g. "1g", default none)
    caps its data directory on a tmpfs. ``max_connections`` (100) and
    ``max_prepared_transactions`` (10) are the server's settings. An argument left out (None)
    comes from the
    configuration: ``DOTBOX_…`` variables, then dotbox.toml or ``[tool.dotbox]``, then the
    defaults above (see ``dotbox config``)."""
    from dotbox.core import config, limits, server
    from dotbox.primitives.create import SandboxCreate
    from dotbox.primitives.facets import run

    cfg = config.settings(
        snapshot=snapshot, ttl=ttl, superuser=superuser, tcp=tcp, memory=memory, cpus=cpus,
        pids=pids, disk=disk, max_connections=max_connections,
        max_prepared_transactions=max_prepared_transactions,
    )  # fmt: skip
    pooled = cfg.resources() == limits.DEFAULT and cfg.server_settings() == server.DEFAULT
    if name is None and not cfg.superuser and not cfg.tcp and pooled:
        from dotbox import pool  # a warm pool of this snapshot hands one out in milliseconds

        if claimed := pool.checkout(cfg.snapshot, validate.ttl(cfg.ttl)):
            return Sandbox(*claimed)
    primitive = SandboxCreate(progress)
    raw = {**cfg.model_dump(exclude={"pool_size"}), "name": name}
    try:
        outcome = run(primitive, raw)
    except BaseException:
        if primitive.created is not None:  # made, but not verified and recorded: taken back
            _sandbox.unready(primitive.created.info.id)
            with suppress(DotboxError):
                drop(primitive.created.info.id)
        raise
    assert primitive.created is not None
    info, creds = primitive.created.info, primitive.created.credentials
    if not outcome.ok:
        _sandbox.unready(info.id)  # never listed ready, even if the drop cannot finish
        drop(info.id)
        raise NotReady(f"sandbox {info.id} failed its postconditions: {outcome.verify}")
    return Sandbox(info, creds)


def get(sandbox_id: str) -> Sandbox:
    """The live sandbox ``sandbox_id`` (found by its labels)."""
    info, creds = _sandbox.show(sandbox_id)
    return Sandbox(info, creds)


def list_sandboxes() -> list[SandboxInfo]:
    return _sandbox.list_sandboxes()


def drop(sandbox_id: str) -> DropReport:
    """Destroy a sandbox (sandbox-drop): confirmed by reading the engine and host back."""
    from dotbox.primitives import drop

    return drop.drop_sandbox(sandbox_id)


def _run(name: str, raw: dict[str, Any], *, dry_run: bool = False) -> Outcome:
    from dotbox.primitives.facets import run
    from dotbox.primitives.registry import CATALOGUE

    return run(CATALOGUE[name](), raw, dry_run=dry_run)


def import_snapshot(
    path: str | Path,
    name: str,
    *,
    pg_major: int | None = None,
    replace: bool = False,
    allow_data: bool = False,
) -> SnapshotManifest:
    """Import a plain-SQL schema dump as a snapshot."""
    return _snapshots.import_file(
        Path(path), name, pg_major=pg_major, replace=replace, allow_data=allow_data
    )


def snapshot(name: str) -> SnapshotManifest:
    return _snapshots.get(name)


def list_snapshots() -> list[SnapshotManifest]:
    return _snapshots.list_all()


def remove_snapshot(name: str) -> SnapshotManifest:
    return _snapshots.remove(name)


def diff_snapshots(a: str, b: str) -> SnapshotDiff:
    """Object-by-object difference from snapshot ``a`` to ``b``, read from their DDL."""
    from dotbox.snapshots import diff

    def ddl(name: str) -> str:
        return paths.snapshot_ddl(_snapshots.get(name).digest).read_text()

    return diff.diff(a, ddl(a), b, ddl(b))


def capture_snapshot(
    dsn: str,
    name: str,
    *,
    network: str = "host",
    replace: bool = False,
    allow_data: bool = False,
    data: list[str] | None = None,
    progress: Progress | None = None,
) -> SnapshotManifest:
    """Read-only capture of the server at ``dsn`` as snapshot ``name``: its schema, the rows of
    its migration ledgers and of the tables matching ``data`` (pg_dump --table patterns)."""
    from dotbox.snapshots import capture

    return capture.capture(
        dsn,
        name,
        network=network,
        replace=replace,
        allow_data=allow_data,
        data=data,
        progress=progress or (lambda phase, done, total: None),
    )
