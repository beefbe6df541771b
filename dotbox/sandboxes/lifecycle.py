"""Sandboxes: create, read back, drop. The engine's labels are the only state."""

from __future__ import annotations

import dataclasses
import getpass
import importlib
import os
import secrets
import shutil
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from dotbox.core import limits, paths, server, validate
from dotbox.core.errors import (
    Conflict,
    DotboxError,
    InvalidInput,
    NotFound,
    NotReady,
    Refused,
)
from dotbox.core.labels import Label
from dotbox.core.records import ContainerInfo, ImageInfo, SandboxCredentials
from dotbox.engine import client
from dotbox.sandboxes import forwarder, inventory
from dotbox.sandboxes.inventory import (
    DATABASE,
    READY_MARKER,
    ROLE,
    SandboxInfo,
)

if TYPE_CHECKING:  # a drop needs neither the images nor the PostgreSQL driver: imported by create
    from dotbox.core.models import SnapshotManifest
    from dotbox.images import Progress
    from dotbox.pg import db

SOCKET_IN_CONTAINER = "/sock"
DBADMIN_PASSWORD = "dbadmin-password"  # in the sandbox's directory: the password of db.DBADMIN


def _no_progress(phase: str, done: int, total: int) -> None:
    pass


def _owner() -> str:
    return f"{getpass.getuser()}@{socket.gethostname()}"


def refuse_dsn(value: str) -> None:
    if "://" in value or "=" in value or "@" in value:
        raise Refused(
            f"{value!r} looks like a connection string: dotbox acts on sandboxes by id only",
            hint="see 'dotbox list'",
        )


class Created(NamedTuple):
    """A sandbox just made, as read back: its container from the engine, once ready, and its
    server's identity from the bootstrap's read-back (through the forwarder with --tcp)."""

    container: ContainerInfo
    credentials: SandboxCredentials
    identity: db.Identity

    @property
    def info(self) -> SandboxInfo:
        return info_of(self.container)


def create(
    *,
    manifest: SnapshotManifest,
    image: ImageInfo | None = None,
    name: str | None = None,
    ttl: timedelta | None = None,
    superuser: bool = False,
    tcp: bool = False,
    resources: limits.Limits = limits.DEFAULT,
    server_settings: server.ServerSettings = server.DEFAULT,
    progress: Progress = _no_progress,
    extra_labels: dict[str, str] | None = None,
) -> Created:
    """Start a sandbox from ``manifest``'s image (``image`` if the caller found it already,
    else baked first if needed) and return once its server answered and the bootstrap took.
    Inputs are validated by the caller (sandbox-create's contract and guard); a name taken
    meanwhile is refused by the engine. On any failure nothing of it is left behind. No
    ``ttl``: the configuration's default."""
    from dotbox import images
    from dotbox.core import config  # read by create only: a drop reads no configuration

    image = image or images.sandbox_image(manifest, progress=progress)
    sandbox_id = name or f"sb-{secrets.token_hex(4)}"
    ttl = validate.ttl(config.DEFAULT_TTL) if ttl is None else ttl
    ready_deadline = config.ready_deadline()
    home = paths.sandbox_dir(sandbox_id)
    creds = SandboxCredentials(
        id=sandbox_id,
        user=ROLE,
        password=secrets.token_urlsafe(24),
        database=DATABASE,
        socket_dir=home / "sock",
    )
    dbadmin_password = secrets.token_urlsafe(24)
    created = datetime.now(UTC).replace(microsecond=0)
    labels = {
        **(extra_labels or {}),  # dotbox's own labels, after these, cannot be overridden
        **_sandbox_labels(manifest, sandbox_id, created, ttl, ready_deadline),
        Label.SUPERUSER: str(superuser).lower(),
        Label.CREATEDB: "true",
        Label.TCP: str(tcp).lower(),
        Label.LIMITS: resources.label(),
        **server_settings.labels(),
    }
    socket_source = socket_volume(sandbox_id) if tcp else str(creds.socket_dir)
    spec = _container_spec(
        manifest, image, labels, socket_source, tcp=tcp, resources=resources,
        server_settings=server_settings,
    )  # fmt: skip
    _make_home(home, sandbox_id)
    container: str | None = None
    try:
        with paths.writing(home):
            creds.socket_dir.mkdir()
            # the server runs as the image's postgres uid; the parent stays 0700
            creds.socket_dir.chmod(0o777)
            _write_secret(home / "password", creds.password)
            _write_secret(home / DBADMIN_PASSWORD, dbadmin_password)
        progress("start", 0, 0)
        with _importing_driver():
            container = _run_container(spec, socket_source, sandbox_id, tcp=tcp)
        creds, identity = _wait_until_bootstrapped(
            container, creds, socket_source, manifest.pg_major,
            superuser=superuser, tcp=tcp, deadline=ready_deadline,
            dbadmin_password=dbadmin_password,
        )  # fmt: skip
        # Read back, or not handed out: a create that fails from here on (the engine gone)
        # takes the sandbox down with it. Ready only once read back.
        read_back = client.inspect_container(container) or _gone(sandbox_id)
        with paths.writing(home):
            (home / READY_MARKER).touch()
    except BaseException:
        _undo_create(sandbox_id, home, container)
        raise
    return Created(read_back, creds, identity)


@contextmanager
def _importing_driver() -> Iterator[None]:
    """Import the PostgreSQL driver, which the bootstrap needs next, in a thread while the block
    waits for the engine: a fresh process (the CLI's) does not wait for both in turn."""
    importing = threading.Thread(target=_import_quietly, args=("dotbox.pg.db",))
    importing.start()
    try:
        yield
    finally:
        importing.join()


def _import_quietly(module: str) -> None:
    with suppress(Exception):  # the import where the module is used reports what failed
        importlib.import_module(module)


def _sandbox_labels(
    manifest: SnapshotManifest,
    sandbox_id: str,
    created: datetime,
    ttl: timedelta,
    ready_deadline: float,
) -> dict[str, str]:
    return {
        Label.MANAGED_BY: "dotbox",
        Label.ROLE: "sandbox",
        Label.ID: sandbox_id,
        Label.SNAPSHOT: manifest.name,
        Label.SNAPSHOT_DIGEST: manifest.digest,
        Label.PG: str(manifest.pg_major),
        Label.CREATED: created.isoformat(),
        Label.EXPIRES: (created + ttl).isoformat(),
        Label.READY_BY: (created + timedelta(seconds=ready_deadline + 5)).isoformat(),
        Label.OWNER: _owner(),
        Label.DIR: str(paths.sandbox_dir(sandbox_id)),
        Label.HOME: str(paths.data_home()),
    }


def _container_spec(
    manifest: SnapshotManifest,
    image: ImageInfo,
    labels: dict[str, str],
    socket_source: str,
    *,
    tcp: bool,
    resources: limits.Limits,
    server_settings: server.ServerSettings,
) -> client.ContainerSpec:
    from dotbox import images

    # after the image's own options: the server's last -c of a name wins
    command = [*(images.FORWARDED_AUTH if tcp else ()), *server_settings.options()]
    return client.ContainerSpec(
        image=image.id,
        name=f"dotbox-{labels[Label.ID]}",
        labels=labels,
        command=command,
        mounts=(client.Mount(socket_source, SOCKET_IN_CONTAINER),),
        memory_bytes=resources.engine_memory_bytes,
        nano_cpus=int(resources.cpus * 1e9),
        pids_limit=resources.pids,
        entrypoint=limits.entrypoint(
            resources, images.DATA_DIR, manifest.pg_major, images.SERVER_OPTIONS
        ),
        tmpfs=limits.tmpfs(resources) | limits.scratch(image.labels, resources),
    )


def _make_home(home: Path, sandbox_id: str) -> None:
    """The sandbox's private directory, made here and only here: one that exists already is a
    sandbox being made, or one not cleaned up."""
    try:
        home.mkdir(mode=0o700)
    except FileExistsError:
        raise Conflict(
            f"{home} exists: a sandbox {sandbox_id!r} is being made or was not cleaned up",
            hint=f"'dotbox drop {sandbox_id}' removes it",
        ) from None
    except OSError as exc:
        raise paths.storage_error(home, exc) from None


def _run_container(
    spec: client.ContainerSpec, socket_source: str, sandbox_id: str, *, tcp: bool
) -> str:
    if tcp:  # the socket lives in a volume that only the sandbox and its forwarder mount
        client.create_tmpfs_volume(
            socket_source,
            {Label.MANAGED_BY: "dotbox", Label.ID: sandbox_id, Label.HOME: str(paths.data_home())},
            "size=1m,mode=1777",
        )
    try:
        return client.run_container(spec)
    except Conflict:  # the engine's 409: the name is taken
        raise Conflict(f"a container named dotbox-{sandbox_id} exists") from None


def _wait_until_bootstrapped(
    container: str,
    creds: SandboxCredentials,
    socket_source: str,
    pg_major: int,
    *,
    superuser: bool,
    tcp: bool,
    deadline: float,
    dbadmin_password: str,
) -> tuple[SandboxCredentials, db.Identity]:
    """Bootstrap the server once it answers (its forwarder starting meanwhile, with --tcp) and
    read back who it is."""
    from dotbox import images
    from dotbox.pg import db

    with ThreadPoolExecutor(max_workers=1) as pool:
        # The forwarder starts while the server comes up (it relays only when asked to).
        starting = pool.submit(forwarder.start, creds.id, socket_source, pg_major) if tcp else None
        try:
            if tcp:
                _bootstrap_inside(
                    container, creds, superuser=superuser, dbadmin_password=dbadmin_password
                )
            else:
                identity = db.bootstrap(
                    creds,
                    superuser=superuser,
                    hba_file=images.HBA_FILE,
                    deadline=deadline,
                    dbadmin_password=dbadmin_password,
                )
        except Refused:
            raise
        except Exception as exc:
            logs = client.container_logs(container, tail=5).strip().replace("\n", " | ")
            raise NotReady(
                f"sandbox {creds.id} did not accept a query within {deadline:g}s: {exc}",
                hint=f"server log: {logs or 'empty'}",
            ) from None
        if starting is not None:
            creds = dataclasses.replace(creds, tcp_port=starting.result())
            identity = db.identity_over_tcp(creds, deadline=deadline)
    return creds, identity


def _undo_create(sandbox_id: str, home: Path, container: str | None) -> None:
    """Take a failed create down. Its directory goes first, ready marker and all, so that
    whatever the engine still holds can never be listed as ready; then its containers, as far
    as the engine lets us (if it is gone, list shows the rest as broken and gc removes it)."""
    shutil.rmtree(home, ignore_errors=True)
    if container is None:
        return
    with suppress(DotboxError):
        forwarder.remove(sandbox_id)
    with suppress(DotboxError):
        client.remove_container(container)
    with suppress(DotboxError):
        for volume in client.volumes({Label.MANAGED_BY: "dotbox", Label.ID: sandbox_id}):
            client.remove_volume(volume)


def socket_volume(sandbox_id: str) -> str:
    return f"dotbox-sock-{sandbox_id}"


def socket_source(info: SandboxInfo) -> str:
    """What a container mounts to reach the sandbox's socket: its volume (--tcp), else the
    socket directory on the host."""
    return socket_volume(info.id) if info.tcp else str(info.socket_dir)


def _bootstrap_inside(
    container: str, creds: SandboxCredentials, *, superuser: bool, dbadmin_password: str
) -> None:
    """The bootstrap of a --tcp sandbox, run by the server's own OS user inside the container
    (dotbox_admin is reached by peer authentication only): retried until the server answers.
    Its last statement reads back what would make the sandbox unsafe (Refused if anything)."""
    from dotbox import images
    from dotbox.core import config, retry
    from dotbox.pg import db

    command = [
        "psql",
        "-X",
        "-q",
        "-A",
        "-t",
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        SOCKET_IN_CONTAINER,
        "-U",
        "dotbox_admin",
        "-d",
        creds.database,
    ]
    for statement in db.bootstrap_sql(
        creds, superuser=superuser, dbadmin_password=dbadmin_password
    ):
        command += ["-c", statement]
    command += ["-c", "SELECT " + db.unsafe(superuser=superuser, hba_file=images.HBA_FORWARDED)]

    def attempt() -> bytes:
        code, out, err = client.exec_output(container, command, user="postgres")
        if code == 0:
            return out
        starting = b"No such file" in err or b"starting up" in err or b"shutting down" in err
        message = err.decode(errors="replace").strip().splitlines()[-1] if err else ""
        raise (_Starting if starting else NotReady)(message or f"psql exited {code}")

    try:
        out = retry.poll(
            attempt, deadline=config.ready_deadline(), interval=0.02, retry_on=(_Starting,)
        )
    except _Starting as exc:
        raise NotReady(str(exc)) from None
    db.refuse_unsafe(creds, out.decode(errors="replace").strip())


class _Starting(NotReady):
    """The server is not up yet (its socket missing, or it is starting or restarting)."""


def unready(sandbox_id: str) -> None:
    """Take back a sandbox's ready marker: whatever happens to it next, it is never listed as
    ready again (creating until its ready-by, then broken, and gc removes it)."""
    (paths.sandbox_dir(sandbox_id) / READY_MARKER).unlink(missing_ok=True)


def _gone(sandbox_id: str) -> ContainerInfo:
    raise NotReady(f"sandbox {sandbox_id} vanished right after it started")


def _write_secret(path: Path, value: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)


def find(sandbox_id: str) -> ContainerInfo | None:
    found = client.containers(
        {Label.MANAGED_BY: "dotbox", Label.ROLE: "sandbox", Label.ID: sandbox_id}
    )
    return found[0] if found else None


def resolve(ref: str) -> ContainerInfo:
    """The container of sandbox ``ref``, found by dotbox's labels; anything else is refused."""
    refuse_dsn(ref)
    try:
        validate.sandbox_name(ref)
    except InvalidInput:
        validate.container_name(ref)  # a path ('../x') never reaches the engine's API
        if client.inspect_container(ref) is not None:
            raise Refused(
                f"container {ref!r} was not made by dotbox; refusing to touch it"
            ) from None
        raise
    found = find(ref)
    if found is not None:
        home = found.labels.get(Label.HOME)
        if home is not None and home != str(paths.data_home()):
            raise NotFound(
                f"sandbox {ref!r} belongs to another DOTBOX_HOME ({home})",
                hint="a DOTBOX_HOME sees and acts on its own sandboxes only: set it to that one",
            )
        return found
    for candidate in (ref, f"dotbox-{ref}"):
        other = client.inspect_container(candidate)
        if other is not None:
            raise Refused(
                f"container {other.name!r} is not a dotbox sandbox (no dotbox labels);"
                " refusing to touch it"
            )
    raise NotFound(f"unknown sandbox {ref!r}", hint="see 'dotbox list'")


def info_of(c: ContainerInfo) -> SandboxInfo:
    return inventory.row_of(c.id, c.image, c.status, c.labels)


def list_sandboxes(*, every_home: bool = False) -> list[SandboxInfo]:
    """Sandboxes made from this DOTBOX_HOME (or from any, with ``every_home``), oldest first."""
    return inventory.rows(every_home=every_home)


def show(ref: str) -> tuple[SandboxInfo, SandboxCredentials | None]:
    container = resolve(ref)
    info = info_of(container)
    return info, credentials(info)


def dbadmin_credentials(info: SandboxInfo) -> SandboxCredentials | None:
    """How dotbox reaches the sandbox as ``db.DBADMIN`` (to its ``postgres`` database), or None
    if its password is not on this host (or it was made before per-test databases)."""
    from dotbox.pg import db

    creds = credentials(info)
    try:
        password = (info.socket_dir.parent / DBADMIN_PASSWORD).read_text()
    except OSError:
        return None
    if creds is None:
        return None
    return dataclasses.replace(creds, user=db.DBADMIN, password=password, database="postgres")


def credentials(info: SandboxInfo) -> SandboxCredentials | None:
    try:
        password = (info.socket_dir.parent / "password").read_text()
    except OSError:
        return None
    return SandboxCredentials(
        id=info.id,
        user=info.user,
        password=password,
        database=info.database,
        socket_dir=info.socket_dir,
        tcp_port=forwarder.port(info.id) if info.tcp else None,
    )


def remove(sandbox_id: str, container_id: str | None, home: Path) -> dict[str, object]:
    """Remove the sandbox's container with its volumes, every container and volume labelled
    with its id (forwarder, runners, socket volume) and its directory. Reading back what is
    left is sandbox-drop's verify (``remnants``)."""
    by_label = {Label.MANAGED_BY: "dotbox", Label.ID: sandbox_id}
    with ThreadPoolExecutor(max_workers=1) as pool:  # the engine's kill is most of a drop
        removing = pool.submit(client.remove_container, container_id) if container_id else None
        for other in client.containers(by_label):  # its forwarder, and runners still going
            if other.id != container_id:
                client.remove_container(other.id)
        removed = removing.result() if removing else False
    volumes = [v for v in client.volumes(by_label) if _remove_unless_in_use(v)]
    shutil.rmtree(home, ignore_errors=True)
    return {
        "id": sandbox_id,
        "container_removed": removed,
        "volumes_removed": len(volumes),
        "socket_dir_removed": not home.exists(),
    }


def _remove_unless_in_use(volume: str) -> bool:
    try:
        return client.remove_volume(volume)
    except Conflict:  # a container that is not the sandbox's holds it: remnants names it
        return False


def remnants(sandbox_id: str, home: Path) -> list[str]:
    """What the engine and the host still hold of a sandbox, read back (empty: nothing)."""
    by_label = {Label.MANAGED_BY: "dotbox", Label.ID: sandbox_id}
    left: list[str] = []
    if leftover := client.containers(by_label):
        left.append("container " + ", ".join(c.labels.get(Label.ROLE, "?") for c in leftover))
    if volumes := client.volumes(by_label):
        left.append("volume " + ", ".join(volumes))
    if home.exists():
        left.append(f"directory {home}")
    return left
