"""The Docker engine: the one module that imports the docker SDK.

Everything above speaks dotbox's own types (ContainerInfo, ImageInfo); every SDK error is
translated here into a DotboxError (what an engine's status means is
``dotbox.engine.transport.status_error``, for both routes), so a dead engine is one clear line,
never a traceback.

The SDK (and the pydantic models) are imported on first use, not with this module: listing and
inspecting by label — all that ``dotbox list`` and shell completion need — and creating,
starting and removing containers and removing volumes — what ``dotbox create`` and ``dotbox
drop`` need besides — speak the engine's HTTP API over its Unix socket with the standard
library (``dotbox.engine.transport``), which keeps the CLI's start fast. Any other
``DOCKER_HOST`` (tcp://, ssh://) goes through the SDK.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from dotbox.core.errors import DotboxError, NotFound, Refused
from dotbox.engine import transport
from dotbox.engine.containment import Expected, violations
from dotbox.engine.spec import ContainerSpec as ContainerSpec  # the callers' names for them
from dotbox.engine.spec import Mount as Mount
from dotbox.engine.spec import Publish as Publish
from dotbox.engine.spec import create_body
from dotbox.engine.transport import (
    DEFAULT_SOCKET,
    label_filters,
    request_timeout,
    status_error,
    unix_socket,
    unreachable,
)

if TYPE_CHECKING:
    import docker

    from dotbox.core.records import ContainerInfo, ImageInfo

T = TypeVar("T")
_IMAGE_ID = re.compile(r"sha256:[0-9a-f]{64}")


def _docker_errors() -> Any:
    import docker.errors

    return docker.errors


@contextmanager
def _translated(action: str) -> Iterator[None]:
    """Turn the SDK's errors into DotboxErrors that name the step that failed."""
    try:
        yield
    except DotboxError:
        raise
    except Exception as exc:
        translated = _translate(action, exc)
        if translated is None:
            raise
        raise translated from None


def _translate(action: str, exc: Exception) -> DotboxError | None:
    import requests.exceptions

    errors = _docker_errors()
    if isinstance(exc, errors.APIError):  # the engine answered: its status says what it means
        status = exc.status_code or (404 if isinstance(exc, errors.NotFound) else 0)
        return status_error(action, status, _explain(exc))
    if isinstance(exc, errors.DockerException | requests.exceptions.RequestException | OSError):
        return unreachable(action, os.environ.get("DOCKER_HOST") or DEFAULT_SOCKET, exc)
    return None


def _explain(exc: Any) -> str:
    return str(exc.explanation or exc).strip()


_lock = threading.Lock()
_client: docker.DockerClient | None = None


def client() -> docker.DockerClient:
    global _client
    with _lock:
        if _client is None:
            with _translated("connect to the Docker engine"):
                import docker

                _client = docker.from_env(timeout=request_timeout())
        return _client


_info: dict[str, Any] | None = None


def _engine_info() -> dict[str, Any]:
    """The engine's ``GET /info`` (what ``docker info`` shows), read once."""
    global _info
    if _info is None:
        path = unix_socket()
        _info = transport.socket_info(path) if path is not None else ping()
    return _info


@contextmanager
def _engine_info_meanwhile() -> Iterator[None]:
    """Read the engine's info over its Unix socket in a thread (which imports nothing) while
    the block talks to the engine, once per process: a fresh one, the CLI's, would otherwise
    wait for the two in turn. A failure is left to the caller's own read, which raises it."""
    if _info is not None or unix_socket() is None:
        yield
        return
    reading = threading.Thread(target=_engine_info_quietly)
    reading.start()
    try:
        yield
    finally:
        reading.join()


def _engine_info_quietly() -> None:
    with suppress(Exception):
        _engine_info()


def default_log_driver() -> str:
    """The engine's default log driver."""
    return str(_engine_info().get("LoggingDriver") or "")


def cgroup_version() -> str:
    """The engine's cgroup version ("1" or "2")."""
    return str(_engine_info().get("CgroupVersion") or "1")


def ping() -> dict[str, Any]:
    with _translated("ping the Docker engine"):
        info: dict[str, Any] = client().info()
        return info


def version() -> dict[str, Any]:
    with _translated("read the Docker engine's version"):
        data: dict[str, Any] = client().version()
        return data


def _inspect(kind: str, ref: str) -> dict[str, Any] | None:
    """Inspect a container or image (``kind``: "containers", "images"); None if there is none.
    Over the Unix socket without the SDK where the engine is reached so."""
    transport.api_path(ref)  # refuses a ref that would climb the API, on either route
    path = unix_socket()
    if path is not None:
        return transport.socket_inspect(path, kind, ref)
    api = client().api
    call = api.inspect_image if kind == "images" else api.inspect_container
    with _translated(f"inspect {ref}"):
        try:
            found: dict[str, Any] = call(ref)
        except _docker_errors().NotFound:
            return None
    return found


def container_json(ref: str) -> dict[str, Any]:
    """The engine's whole record of a container (``docker inspect``)."""
    found = _inspect("containers", ref)
    if found is None:
        raise NotFound(f"container {ref} is gone")
    return found


# ---- images -------------------------------------------------------------------------------


def image_id(ref: str) -> str:
    """The id of image ``ref`` (a tag is resolved once; an id is taken as it is)."""
    if _IMAGE_ID.fullmatch(ref):
        return ref
    found = image(ref)
    if found is None:
        raise NotFound(f"image {ref} is missing")
    return found.id


def image(ref: str) -> ImageInfo | None:
    from dotbox.core.records import ImageInfo

    data = _inspect("images", ref)
    if data is None:
        return None
    return ImageInfo(
        id=data["Id"],
        tags=data.get("RepoTags") or [],
        labels=(data.get("Config") or {}).get("Labels") or {},
        size_bytes=data.get("Size", 0),
        created_at=_epoch(data.get("Created")),
    )


def image_config(ref: str) -> dict[str, Any]:
    """An image's own configuration (ENTRYPOINT, VOLUMEs, USER, …: inspect's ``Config``)."""
    data = _inspect("images", ref)
    if data is None:
        raise NotFound(f"image {ref} is missing")
    return dict(data.get("Config") or {})


def _epoch(rfc3339: str | None) -> float:
    """An image's creation time as inspect gives it ('2026-01-02T03:04:05.123456789Z')."""
    from datetime import UTC, datetime

    try:
        return datetime.fromisoformat((rfc3339 or "")[:19]).replace(tzinfo=UTC).timestamp()
    except ValueError:
        return 0.0


def images(labels: dict[str, str]) -> list[ImageInfo]:
    from dotbox.core.records import ImageInfo

    with _translated("list images"):
        found = client().api.images(filters={"label": label_filters(labels)})
    return [
        ImageInfo(
            id=d["Id"],
            tags=d.get("RepoTags") or [],
            labels=d.get("Labels") or {},
            size_bytes=d.get("Size", 0),
            created_at=float(d.get("Created") or 0),
        )
        for d in found
    ]


def remove_image(ref: str, *, force: bool = True) -> None:
    """Remove an image (or, by a tag, that tag). Without ``force`` the engine refuses (Conflict)
    one that a container uses or that other images are built on."""
    with _translated(f"remove image {ref}"), suppress(_docker_errors().ImageNotFound):
        client().api.remove_image(ref, force=force)


def commit(
    container_id: str, repository: str, tag: str, *, changes: list[str], labels: dict[str, str]
) -> str:
    """Commit a stopped container as an image; returns the image id."""
    label_changes = [f"LABEL {k}={_quote_label(v)}" for k, v in sorted(labels.items())]
    with _translated(f"commit image {repository}:{tag}"):
        result = client().api.commit(
            container_id, repository=repository, tag=tag, changes=changes + label_changes
        )
    return str(result["Id"])


def _quote_label(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---- containers ---------------------------------------------------------------------------


def create_container(spec: ContainerSpec) -> str:
    """Create (not start) a container; returns its id. The container is read back before it
    is handed out: one that differs from what dotbox chose (``dotbox.engine.containment``) is
    removed and refused."""
    with _engine_info_meanwhile():  # the log driver's check below needs it
        spec, expected = _pinned(spec)
        container_id = _create(spec)
    try:
        found = violations(
            _inspect("containers", container_id) or {},
            expected,
            default_log_driver=default_log_driver(),
        )
    except BaseException:
        remove_container(container_id)
        raise
    if found:
        remove_container(container_id)
        raise Refused(f"container {spec.name}: {'; '.join(found)}; nothing was started")
    return container_id


def _pinned(spec: ContainerSpec) -> tuple[ContainerSpec, Expected]:
    """``spec`` with its image as an id and each bind source resolved (a source that is an
    absolute path is a bind; a name is a volume), and what the engine must then report."""
    mounts = tuple(
        replace(m, source=os.path.realpath(m.source)) if m.source.startswith("/") else m
        for m in spec.mounts
    )
    pinned = replace(spec, image=image_id(spec.image), mounts=mounts)
    return pinned, Expected(
        image_id=pinned.image,
        network_mode=spec.network_mode,
        binds={m.target: (m.source, m.read_only) for m in mounts if m.source.startswith("/")},
        volumes={m.target: (m.source, m.read_only) for m in mounts if not m.source.startswith("/")},
        tmpfs=frozenset(spec.tmpfs),
        read_only_root=spec.read_only_root,
        user=spec.user,
        entrypoint=tuple(spec.entrypoint) if spec.entrypoint is not None else None,
        cap_drop_all="ALL" in spec.cap_drop,
        no_new_privileges=spec.no_new_privileges,
        image_volumes=spec.image_volumes,
    )


def _create(spec: ContainerSpec) -> str:
    body = create_body(spec)
    path = unix_socket()
    if path is not None:
        return transport.socket_create(path, spec.name, body)
    with _translated(f"create container {spec.name}"):
        created = client().api.create_container_from_config(body, name=spec.name)
    return str(created["Id"])


def start_container(container_id: str) -> None:
    path = unix_socket()
    if path is not None:
        transport.socket_start(path, container_id)
        return
    with _translated(f"start container {container_id[:12]}"):
        client().api.start(container_id)


def run_container(spec: ContainerSpec) -> str:
    """Create and start; if start fails the created container is removed before raising."""
    container_id = create_container(spec)
    try:
        start_container(container_id)
    except BaseException:
        remove_container(container_id)
        raise
    return container_id


def run_attached(
    spec: ContainerSpec, on_output: Callable[[bytes | None, bytes | None], None]
) -> int:
    """Create a container, attach to its output, start it, stream (stdout, stderr) chunks to
    ``on_output`` until it exits, and return its exit code. The container is always removed."""
    api = client().api
    container_id = create_container(spec)
    try:
        with _translated(f"run container {spec.name}"):
            stream = api.attach(container_id, stdout=True, stderr=True, stream=True, demux=True)
            api.start(container_id)
            for out, err in stream:
                on_output(out, err)
            result = api.wait(container_id)
        return int(result.get("StatusCode", -1))
    finally:
        remove_container(container_id)


def run_interactive(spec: ContainerSpec) -> int:
    """Run a container wired to this process's stdin, stdout and stderr (``spec.tty``: as a
    terminal — raw mode, window size followed); return its exit code. The container is
    always removed."""
    import sys

    from dotbox.engine import terminal

    api = client().api
    spec = replace(spec, stdin_open=True)
    container_id = create_container(spec)
    try:
        with _translated(f"run container {spec.name}"):
            params = {"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}
            raw = api.attach_socket(container_id, params=params)
            sock = getattr(raw, "_sock", raw)
            resize = (lambda rows, cols: api.resize(container_id, rows, cols)) if spec.tty else None
            api.start(container_id)
            try:
                terminal.pump(sock, sys.stdin, tty=spec.tty, resize=resize)
            finally:
                sock.close()
            result = api.wait(container_id)
        return int(result.get("StatusCode", -1))
    finally:
        remove_container(container_id)


def published_port(container_id: str, port: int) -> int | None:
    """The host port the engine bound for a container's ``port``/tcp (None if unpublished)."""
    with _translated(f"read the ports of {container_id[:12]}"):
        try:
            bound = client().api.port(container_id, port) or []
        except _docker_errors().NotFound:
            return None
    return int(bound[0]["HostPort"]) if bound else None


def kill_container(container_id: str) -> None:
    """SIGKILL every process of a container at once (it stays, stopped)."""
    with _translated(f"kill container {container_id[:12]}"):
        client().api.kill(container_id)


def remove_container(container_id: str, *, volumes: bool = True) -> bool:
    """Force-remove a container (and its anonymous volumes). False if it was already gone."""
    path = unix_socket()
    if path is not None:
        return transport.socket_remove_container(path, container_id, volumes=volumes)
    with _translated(f"remove container {container_id[:12]}"):
        try:
            client().api.remove_container(container_id, force=True, v=volumes)
        except _docker_errors().NotFound:
            return False
    return True


def containers(labels: dict[str, str], *, all_states: bool = True) -> list[ContainerInfo]:
    """Containers carrying every given label (a value of '' matches any value)."""
    return [_container_info(d) for d in container_records(labels, all_states=all_states)]


def container_records(labels: dict[str, str], *, all_states: bool = True) -> list[dict[str, Any]]:
    """The engine's own listing (``GET /containers/json``) of containers carrying every given
    label. On a Unix-socket engine this needs neither the SDK nor pydantic."""
    path = unix_socket()
    if path is None:
        with _translated("list containers"):
            found: list[dict[str, Any]] = client().api.containers(
                all=all_states, filters={"label": label_filters(labels)}
            )
        return found
    return transport.socket_records(path, labels, all_states=all_states)


def _container_info(d: dict[str, Any]) -> ContainerInfo:
    from dotbox.core.records import ContainerInfo

    names = d.get("Names") or [""]
    return ContainerInfo(
        id=d["Id"],
        name=names[0].lstrip("/"),
        image=d.get("Image", ""),
        status=d.get("State", ""),
        network_mode=(d.get("HostConfig") or {}).get("NetworkMode", ""),
        labels=d.get("Labels") or {},
        mounts=[m.get("Source", "") for m in d.get("Mounts") or []],
        created_at=float(d.get("Created") or 0),
    )


def inspect_container(ref: str) -> ContainerInfo | None:
    from dotbox.core.records import ContainerInfo

    d = _inspect("containers", ref)
    if d is None:
        return None
    return ContainerInfo(
        id=d["Id"],
        name=d["Name"].lstrip("/"),
        image=d["Config"].get("Image", ""),
        status=d["State"]["Status"],
        network_mode=d["HostConfig"].get("NetworkMode", ""),
        labels=d["Config"].get("Labels") or {},
        mounts=[m.get("Source", "") for m in d.get("Mounts") or []],
    )


def container_logs(container_id: str, tail: int = 20) -> str:
    with _translated(f"read logs of {container_id[:12]}"):
        try:
            raw: bytes = client().api.logs(container_id, tail=tail)
        except _docker_errors().NotFound:
            return ""
    return raw.decode("utf-8", "replace")


def put_files(
    container_id: str, directory: str, files: dict[str, bytes], *, dir_mode: int | None = 0o777
) -> None:
    """Copy files (root's, mode 0644) into a container, running or stopped. ``dir_mode``: the
    directory is made anew with that mode (0777 lets an unprivileged user there work in it and
    remove it); None: it exists already and is left as it is."""
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        if dir_mode is not None:
            dir_info = tarfile.TarInfo(directory.strip("/"))
            dir_info.type, dir_info.mode = tarfile.DIRTYPE, dir_mode
            tar.addfile(dir_info)
        for name, data in files.items():
            info = tarfile.TarInfo(f"{directory.strip('/')}/{name}")
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    with _translated(f"copy files into {container_id[:12]}"):
        client().api.put_archive(container_id, "/", buf.getvalue())


def read_file(container_id: str, path: str) -> bytes | None:
    """One file out of a container (running or not); None if it has no such file."""
    import io
    import tarfile

    with _translated(f"read {path} from {container_id[:12]}"):
        try:
            stream, _ = client().api.get_archive(container_id, path)
        except _docker_errors().NotFound:
            return None
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
            member = tar.next()
            handle = tar.extractfile(member) if member else None
            return handle.read() if handle else None


def exec_stream(
    container_id: str,
    command: list[str],
    *,
    user: str = "",
    environment: dict[str, str] | None = None,
    on_line: Callable[[str], None],
) -> int:
    """Run a command in a running container, feeding each output line to ``on_line``.

    stdout and stderr are read apart, each line whole: a program that writes a line of stderr
    in pieces (psql writes ``psql:FILE:LINE: `` before its ``ERROR:``) while its stdout goes on
    would otherwise see the pieces joined to a line of stdout.
    Returns the command's exit code.
    """
    api = client().api
    with _translated(f"run {command[0]} in {container_id[:12]}"):
        exec_id = api.exec_create(container_id, command, user=user, environment=environment)
        pending = ["", ""]  # stdout's and stderr's unfinished line
        for frames in api.exec_start(exec_id, stream=True, demux=True):
            for stream, data in enumerate(frames):
                if not data:
                    continue
                text = pending[stream] + data.decode("utf-8", "replace")
                *lines, pending[stream] = text.split("\n")
                for line in lines:
                    on_line(line)
        for rest in pending:
            if rest:
                on_line(rest)
        code = api.exec_inspect(exec_id)["ExitCode"]
    return int(code if code is not None else -1)


def exec_output(
    container_id: str,
    command: list[str],
    *,
    user: str = "",
    environment: dict[str, str] | None = None,
) -> tuple[int, bytes, bytes]:
    """Run a command in a running container; returns (exit code, stdout, stderr).

    ``environment`` is the exec's own: it is not part of the container's configuration, so
    it never shows in the container's inspect output."""
    api = client().api
    with _translated(f"run {command[0]} in {container_id[:12]}"):
        exec_id = api.exec_create(container_id, command, user=user, environment=environment)
        out, err = api.exec_start(exec_id, demux=True)
        code = api.exec_inspect(exec_id)["ExitCode"]
    return int(code if code is not None else -1), out or b"", err or b""


# ---- volumes ------------------------------------------------------------------------------


def volumes(labels: dict[str, str]) -> list[str]:
    return list(labelled_volumes(labels))


def labelled_volumes(labels: dict[str, str]) -> dict[str, dict[str, str]]:
    """Volumes carrying every given label, each with all its labels (on a Unix-socket engine
    without the SDK, like ``container_records``)."""
    path = unix_socket()
    if path is None:
        with _translated("list volumes"):
            found = client().api.volumes(filters={"label": label_filters(labels)}) or {}
        listed = found.get("Volumes") or []
    else:
        listed = transport.socket_volumes(path, labels)
    return {v["Name"]: v.get("Labels") or {} for v in listed}


def create_tmpfs_volume(name: str, labels: dict[str, str], options: str) -> None:
    """A labelled volume backed by a tmpfs (``options``: mount options such as size and mode)."""
    with _translated(f"create volume {name}"):
        client().api.create_volume(
            name=name,
            driver="local",
            driver_opts={"type": "tmpfs", "device": "tmpfs", "o": options},
            labels=labels,
        )


def remove_volume(name: str) -> bool:
    path = unix_socket()
    if path is not None:
        return transport.socket_remove_volume(path, name)
    with _translated(f"remove volume {name}"):
        try:
            client().api.remove_volume(name, force=True)
        except _docker_errors().NotFound:
            return False
    return True


# ---- networks and ports -------------------------------------------------------------------


def networks(labels: dict[str, str]) -> list[str]:
    with _translated("list networks"):
        found = client().api.networks(filters={"label": label_filters(labels)})
    return [str(n["Name"]) for n in found]


def remove_network(name: str) -> bool:
    with _translated(f"remove network {name}"):
        try:
            client().api.remove_network(name)
        except _docker_errors().NotFound:
            return False
    return True


def published_ports(container_id: str) -> dict[int, tuple[str, int]]:
    """A container's TCP ports published on the host: container port -> (host ip, host port)."""
    with _translated(f"inspect ports of {container_id[:12]}"):
        data = client().api.inspect_container(container_id)
    out: dict[int, tuple[str, int]] = {}
    for key, bindings in (data["NetworkSettings"].get("Ports") or {}).items():
        port, _, proto = key.partition("/")
        if proto == "tcp" and bindings:
            out[int(port)] = (bindings[0]["HostIp"], int(bindings[0]["HostPort"]))
    return out


def container_memory(container_id: str) -> int:
    """The container's current memory use in bytes (cgroup usage less page cache)."""
    with _translated(f"read stats of {container_id[:12]}"):
        stats = client().api.stats(container_id, stream=False)
    mem = stats.get("memory_stats") or {}
    cache = (mem.get("stats") or {}).get("cache", 0)
    return int(mem.get("usage", 0)) - int(cache)
