"""Compose files of review environments: an application's ordinary compose file, resolved the
way compose resolves it (``compose_text``), checked against an allowlist, and rewritten by
dotbox so that every container has network mode ``none`` and talks only through Unix sockets.

Every key of the Compose Specification is either allowed (``SERVICE_KEYS`` and friends), ignored
because it only matters on a network, or refused with its reason; an unknown key is refused.
dotbox writes the final file itself with every ``$`` escaped, so compose interpolates nothing.

For each application service APP:
  * APP itself gets ``network_mode: none`` (its ports are removed, its PG* variables point at
    the sandbox on localhost:5432, the password in a file named by ``PGPASSFILE``);
  * ``dotbox-APP-db`` joins APP's namespace and relays 127.0.0.1:5432 to the sandbox's socket;
  * ``dotbox-APP-PORT`` joins APP's namespace and relays a Unix socket in the environment's
    ingress volume to 127.0.0.1:PORT;
and one ``dotbox-forwarder`` — the only container with a network — publishes each ingress socket
on 127.0.0.1 (an ephemeral host port, read back after start).
"""

from __future__ import annotations

import os
import re
import shlex
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dotbox.core.errors import InvalidInput, Refused
from dotbox.core.labels import Label
from dotbox.engine import containment
from dotbox.review import compose_text, dockerfile

TOOLS_IMAGE = "dotbox/review-tools:pg17"
DB_SOCKET_DIR = "/dotbox/db"
PGPASS = "/run/dotbox/pgpass"
INGRESS_DIR = "/dotbox/ingress"
INGRESS_VOLUME = "dotbox-ingress"
FORWARDER = "dotbox-forwarder"
FIRST_FORWARD_PORT = 10000
PART_LABEL = Label.PART  # app | db-relay | ingress | forwarder
DEFAULT_LIMITS = {"mem_limit": "1g", "pids_limit": 512}

_NETWORK_ONLY = "only matters on a network; a review environment has none"
TOP_LEVEL_KEYS: dict[str, str | None] = {
    "version": None,
    "name": None,  # the compose project is named by dotbox
    "services": None,
    "volumes": None,
    "networks": None,  # declarations are not used: no service joins a network
    "secrets": "secrets are files of the host",
    "configs": "configs are files of the host",
}
# Keys of a service: None = kept, "ignored: …" = dropped, anything else = refused for that reason.
SERVICE_KEYS: dict[str, str | None] = {
    **dict.fromkeys(
        [
            "image", "build", "command", "entrypoint", "environment", "env_file", "working_dir",
            "user", "volumes", "depends_on", "labels", "healthcheck", "restart", "stop_signal",
            "stop_grace_period", "tty", "stdin_open", "init", "tmpfs", "read_only", "cap_drop",
            "shm_size", "mem_limit", "mem_reservation", "cpus", "cpu_shares", "pids_limit",
            "ulimits", "network_mode",
        ]
    ),
    **dict.fromkeys(
        [
            "ports", "expose", "networks", "links", "external_links", "dns", "dns_opt",
            "dns_search", "extra_hosts", "hostname", "domainname", "mac_address",
            "container_name",
        ],
        f"ignored: {_NETWORK_ONLY}",
    ),
    "privileged": "gives the container the host's devices and kernel",
    "cap_add": "extra capabilities are not granted",
    "devices": "host devices are not passed into a review environment",
    "device_cgroup_rules": "host devices are not passed into a review environment",
    "security_opt": "security options stay as dotbox sets them",
    "pid": "shares another process namespace",
    "ipc": "shares another IPC namespace",
    "uts": "shares another UTS namespace",
    "userns_mode": "changes the user namespace",
    "cgroup": "changes the cgroup namespace",
    "cgroup_parent": "places the container in a cgroup of the host",
    "logging": "log drivers can send to addresses of the file's choosing",
    "volumes_from": "mounts another container's volumes",
    "extends": "reads services from other files",
    "profiles": "services are started as one environment",
    "secrets": "secrets are files of the host",
    "configs": "configs are files of the host",
    "sysctls": "kernel parameters stay as the engine sets them",
    "storage_opt": "storage options stay as the engine sets them",
    "runtime": "another container runtime",
    "isolation": "another isolation technology",
    "platform": "another platform would be pulled",
    "pull_policy": "dotbox never pulls images",
    "group_add": "extra groups are not granted",
    "oom_kill_disable": "a review app is killed like any other when out of memory",
    "oom_score_adj": "a review app is killed like any other when out of memory",
    "memswap_limit": "swap stays as dotbox sets it",
    "mem_swappiness": "swap stays as dotbox sets it",
    "blkio_config": "block device limits name host devices",
    "cpu_count": "not supported",
    "cpu_percent": "not supported",
    "cpu_period": "not supported",
    "cpu_quota": "not supported",
    "cpu_rt_period": "real-time scheduling is not granted",
    "cpu_rt_runtime": "real-time scheduling is not granted",
    "cpuset": "not supported",
    "credential_spec": "not supported",
    "deploy": "swarm deployment is not supported",
    "scale": "one container per service",
}  # fmt: skip
BUILD_KEYS: dict[str, str | None] = {
    "context": None,
    "dockerfile": None,
    "args": None,
    "target": None,
    "labels": None,
    "shm_size": None,
    "network": "a build runs with network none",
    "extra_hosts": "a build runs with network none",
    "cache_from": "images are not pulled",
    "isolation": "another isolation technology",
}
VOLUME_KEYS: dict[str, str | None] = {
    "labels": None,
    "driver": None,  # "local" only
    "name": "names an existing volume of the engine",
    "external": "an existing volume of the engine",
    "driver_opts": "driver options can mount host paths or remote file systems",
}
MOUNT_KEYS: dict[str, str | None] = {
    "type": None,
    "source": None,
    "target": None,
    "read_only": None,
    "volume": None,
    "tmpfs": None,
    "consistency": None,
    "bind": "bind options (propagation) are not supported",
}
_SAFE_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]*")
_ANONYMOUS = re.compile(r"[0-9a-f]{64}")
_RESERVED_LABELS = ("dotbox.", "com.docker.")


@dataclass(frozen=True)
class Port:
    service: str
    port: int  # the port the application listens on inside its namespace
    forward: int  # the forwarder's own port for it (published on 127.0.0.1)

    @property
    def socket(self) -> str:
        return f"{INGRESS_DIR}/{self.service}-{self.port}.sock"


@dataclass(frozen=True)
class Bind:
    source: Path  # resolved, inside the project
    target: str
    read_only: bool


@dataclass(frozen=True)
class App:
    """A resolved and checked application compose file."""

    path: Path
    project: Path
    services: dict[str, dict[str, Any]]  # kept keys only; environment a dict; no volumes
    binds: dict[str, tuple[Bind, ...]]
    named: dict[str, tuple[tuple[str | None, str, bool], ...]]  # service -> (volume, target, ro)
    volumes: dict[str, dict[str, Any]]
    ports: tuple[Port, ...]
    images: dict[str, str]  # service -> image reference to resolve (services without a build)
    bases: dict[str, tuple[str, ...]]  # service with a build -> images its Dockerfile uses


def load(path: Path, variables: dict[str, str] | None = None) -> App:
    """Read, resolve and check ``path``; every reason for refusal is named in one error."""
    data = compose_text.read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
        raise InvalidInput(f"{path} has no 'services' mapping: is it a compose file?")
    if not data["services"]:
        raise InvalidInput(f"{path} declares no services")
    project = Path(os.path.realpath(path)).parent
    data = compose_text.interpolate(data, compose_text.project_variables(project, variables or {}))
    return check(data, project, path)


@dataclass
class _Checked:
    """What ``check`` gathers, service by service, for the ``App`` it returns."""

    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    binds: dict[str, tuple[Bind, ...]] = field(default_factory=dict)
    named: dict[str, tuple[tuple[str | None, str, bool], ...]] = field(default_factory=dict)
    ports: list[Port] = field(default_factory=list)
    images: dict[str, str] = field(default_factory=dict)
    bases: dict[str, tuple[str, ...]] = field(default_factory=dict)


def check(data: dict[str, Any], project: Path, path: Path) -> App:
    """The resolved file ``data`` held to the allowlist: what dotbox keeps of it, or every
    reason for refusal in one error."""
    reasons: list[str] = []
    for key in data:
        if not str(key).startswith("x-"):
            reasons += _judge(TOP_LEVEL_KEYS, key, "")
    volumes = _top_volumes(data.get("volumes") or {}, reasons)
    checked = _Checked()
    for raw_name, svc in data["services"].items():
        reasons += _check_service(str(raw_name), svc, project, volumes, checked)
    reasons += _shared_writable(checked.binds)
    if reasons:
        raise Refused(f"{path} refused: " + "; ".join(reasons), hint="nothing was started")
    return App(
        path,
        project,
        checked.services,
        checked.binds,
        checked.named,
        volumes,
        tuple(checked.ports),
        checked.images,
        checked.bases,
    )


def _check_service(
    name: str, svc: Any, project: Path, volumes: dict[str, dict[str, Any]], checked: _Checked
) -> list[str]:
    """The reasons to refuse service ``name``; what is kept of it goes into ``checked``."""
    where = f"services.{name}"
    reasons: list[str] = []
    if not _SAFE_NAME.fullmatch(name) or name.startswith("dotbox"):
        reasons.append(f"{where}: names are a-z0-9._- and may not start with 'dotbox'")
    if not isinstance(svc, dict):
        reasons.append(f"{where}: not a mapping")
        return reasons
    reasons += _service_keys(svc, where)
    kept = {k: v for k, v in svc.items() if SERVICE_KEYS.get(k, "x") is None}
    kept.pop("network_mode", None)
    kept["environment"] = _environment(svc, project, where, reasons)
    kept["labels"] = _labels(svc.get("labels"), where, reasons)
    b, v = _mounts(svc.get("volumes") or [], project, volumes, where, reasons)
    checked.binds[name], checked.named[name] = tuple(b), tuple(v)
    kept.pop("volumes", None)
    kept.pop("env_file", None)
    _image_or_build(name, svc, kept, project, reasons, checked)
    for port in _ports(svc, reasons, where):
        checked.ports.append(Port(name, port, FIRST_FORWARD_PORT + len(checked.ports)))
    checked.services[name] = kept
    return reasons


def _service_keys(svc: dict[str, Any], where: str) -> list[str]:
    """The reasons to refuse the keys of a service, its network mode included."""
    reasons: list[str] = []
    for key in svc:
        if not str(key).startswith("x-"):
            reasons += _judge(SERVICE_KEYS, key, where)
    mode = svc.get("network_mode")
    if mode not in (None, "none"):
        reasons.append(f"{where}.network_mode: {mode} joins a network or namespace")
    return reasons


def _image_or_build(
    name: str,
    svc: dict[str, Any],
    kept: dict[str, Any],
    project: Path,
    reasons: list[str],
    checked: _Checked,
) -> None:
    """A service runs the image it names or, when it has a build, the one dotbox builds for it
    (its ``image`` is then dropped)."""
    where = f"services.{name}"
    if "build" in svc:
        kept["build"], checked.bases[name] = _build(svc["build"], project, where, reasons)
        kept.pop("image", None)
    elif isinstance(svc.get("image"), str) and svc["image"]:
        checked.images[name] = svc["image"]
    else:
        reasons.append(f"{where}: needs an image or a build")


def _judge(table: dict[str, str | None], key: Any, where: str) -> list[str]:
    at = f"{where}.{key}" if where else str(key)
    if key not in table:
        return [f"{at}: not a key dotbox knows (refused)"]
    reason = table[key]
    return [] if reason is None or reason.startswith("ignored") else [f"{at}: {reason}"]


def _top_volumes(volumes: Any, reasons: list[str]) -> dict[str, dict[str, Any]]:
    if not isinstance(volumes, dict):
        reasons.append("volumes: not a mapping")
        return {}
    out: dict[str, dict[str, Any]] = {}
    for name, spec in volumes.items():
        spec = spec or {}
        where = f"volumes.{name}"
        if not isinstance(spec, dict):
            reasons.append(f"{where}: not a mapping")
            continue
        for key in spec:
            reasons += _judge(VOLUME_KEYS, key, where)
        if spec.get("driver", "local") != "local":
            reasons.append(f"{where}.driver: only the local driver")
        out[str(name)] = {"labels": _labels(spec.get("labels"), where, reasons)}
    return out


def _environment(
    svc: dict[str, Any], project: Path, where: str, reasons: list[str]
) -> dict[str, str]:
    """env_file contents (read by dotbox, inside the project) and then ``environment``. A
    variable without a value would be taken from the host by compose: here it is left out."""
    env: dict[str, str] = {}
    files = svc.get("env_file") or []
    for name in [files] if isinstance(files, str) else files:
        try:
            env.update(compose_text.env_file(project, str(name), f"{where}.env_file"))
        except (Refused, InvalidInput) as exc:
            reasons.append(str(exc))
    for key, value in as_dict(svc.get("environment"), keep_none=True).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _labels(value: Any, where: str, reasons: list[str]) -> dict[str, str]:
    labels = {k: v or "" for k, v in as_dict(value).items()}
    for key in labels:
        if key.startswith(_RESERVED_LABELS):
            reasons.append(
                f"{where}.labels.{key}: labels under dotbox. and com.docker. are dotbox's"
            )
    return labels


def _mounts(
    entries: Any,
    project: Path,
    volumes: dict[str, dict[str, Any]],
    where: str,
    reasons: list[str],
) -> tuple[list[Bind], list[tuple[str | None, str, bool]]]:
    binds: list[Bind] = []
    named: list[tuple[str | None, str, bool]] = []
    if not isinstance(entries, list):
        reasons.append(f"{where}.volumes: not a list")
        return binds, named
    for i, entry in enumerate(entries):
        at = f"{where}.volumes[{i}]"
        try:
            kind, source, target, read_only = _mount(entry, at)
        except Refused as exc:
            reasons.append(str(exc))
            continue
        if kind == "bind":
            try:
                binds.append(Bind(_bind_source(project, source, at), target, read_only))
            except Refused as exc:
                reasons.append(str(exc))
        elif kind == "volume":
            if source and source not in volumes:
                reasons.append(f"{at}: volume {source!r} is not declared under top-level volumes")
            named.append((source or None, target, read_only))
        elif kind != "tmpfs":
            reasons.append(f"{at}: volume type {kind!r} is not supported")
    return binds, named


def _mount(entry: Any, at: str) -> tuple[str, str, str, bool]:
    """(type, source, target, read_only) of a short or long volume entry. A bind is read-only
    unless the file says ``rw`` (or ``read_only: false``)."""
    if isinstance(entry, dict):
        for key in entry:
            if (reason := MOUNT_KEYS.get(key, "not a key dotbox knows")) is not None:
                raise Refused(f"{at}.{key}: {reason}")
        kind = str(entry.get("type", "volume"))
        target = str(entry.get("target", ""))
        default_ro = kind == "bind"
        read_only = bool(entry.get("read_only", default_ro))
        return kind, str(entry.get("source") or ""), target, read_only
    parts = str(entry).split(":")
    if len(parts) == 1:
        return "volume", "", parts[0], False
    if len(parts) > 3:
        raise Refused(f"{at}: {entry!r} is not SOURCE:TARGET[:MODE]")
    source, target = parts[0], parts[1]
    modes = set(parts[2].split(",")) if len(parts) == 3 else set()
    if not modes <= {"ro", "rw", "nocopy"} or {"ro", "rw"} <= modes:
        raise Refused(f"{at}: mode {parts[2]!r}: only ro or rw")
    kind = "bind" if source.startswith(("/", ".", "~")) else "volume"
    return kind, source, target, ("rw" not in modes) if kind == "bind" else ("ro" in modes)


def _bind_source(project: Path, source: str, at: str) -> Path:
    if not source or source.startswith("~"):
        raise Refused(f"{at}: bind {source!r}: only paths inside the project are mounted")
    resolved = compose_text.inside(project, Path(source), f"{at}: bind")
    if not resolved.exists():
        raise Refused(f"{at}: bind {source}: does not exist")
    for path in [resolved, *resolved.parents]:
        st = path.lstat()
        if st.st_uid not in (0, os.getuid()) or st.st_mode & stat.S_IWOTH:
            raise Refused(f"{at}: bind {source}: {path} may be changed by another user")
        if path == project:
            break
    return resolved


def _shared_writable(binds: dict[str, tuple[Bind, ...]]) -> list[str]:
    """A path that one mount may write cannot be mounted again, by any service: the writer
    could turn it into a link between dotbox's check and the other mount."""
    flat = [(svc, b) for svc, bs in binds.items() for b in bs]
    reasons = []
    for i, (svc_a, a) in enumerate(flat):
        for svc_b, b in flat[i + 1 :]:
            overlap = (
                a.source == b.source or a.source in b.source.parents or b.source in a.source.parents
            )
            if overlap and not (a.read_only and b.read_only):
                reasons.append(
                    f"services.{svc_a} and services.{svc_b}: binds of {a.source} and {b.source}"
                    " overlap and one is writable"
                )
    return reasons


def _build(
    value: Any, project: Path, where: str, reasons: list[str]
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The build as dotbox runs it: context and Dockerfile inside the project, network none,
    and the images its Dockerfile names (they must be on the engine: nothing is pulled)."""
    spec = {"context": value} if isinstance(value, str) else value
    if not isinstance(spec, dict):
        reasons.append(f"{where}.build: not a path or a mapping")
        return {}, ()
    for key in spec:
        reasons += _judge(BUILD_KEYS, key, f"{where}.build")
    try:
        context = compose_text.inside(
            project, Path(str(spec.get("context", "."))), f"{where}.build.context"
        )
        file = compose_text.inside(
            context, Path(str(spec.get("dockerfile", "Dockerfile"))), f"{where}.build.dockerfile"
        )
        args = {k: v or "" for k, v in as_dict(spec.get("args")).items()}
        bases = dockerfile.images(file.read_text(), args, str(file))
    except (Refused, InvalidInput) as exc:
        reasons.append(str(exc))
        return {}, ()
    except OSError as exc:
        reasons.append(f"{where}.build.dockerfile: {exc.strerror}")
        return {}, ()
    kept = {k: spec[k] for k in ("args", "target", "shm_size") if k in spec}
    kept["labels"] = _labels(spec.get("labels"), f"{where}.build", reasons)
    return {**kept, "context": str(context), "dockerfile": str(file.relative_to(context))}, bases


def _ports(svc: dict[str, Any], reasons: list[str], where: str) -> list[int]:
    found: list[int] = []
    for entry in svc.get("ports") or []:
        if isinstance(entry, dict):
            target, proto = str(entry.get("target", "")), str(entry.get("protocol", "tcp"))
        else:
            text, _, proto = str(entry).partition("/")
            target, proto = text.rsplit(":", 1)[-1], proto or "tcp"
        if proto != "tcp" or not target.isdigit() or not 0 < int(target) < 65536:
            reasons.append(f"{where}.ports: {entry!r}: only single TCP ports are relayed")
            continue
        if int(target) not in found:
            found.append(int(target))
    return found


@dataclass(frozen=True)
class Placement:
    """What the review environment is made of on the host and the engine."""

    labels: dict[str, str]
    db_socket_dir: Path
    db_env: dict[str, str]  # PG* variables, no password
    pgpass: Path  # the file holding the password (0600)
    images: dict[str, str]  # service -> image id (or the tag dotbox builds)


def built_tag(review_id: str, service: str) -> str:
    return f"dotbox-review/{review_id}-{service}:latest"


def transform(app: App, at: Placement) -> dict[str, Any]:
    """The review environment's compose project (a dict ready for ``dump``)."""
    labels = at.labels
    services: dict[str, Any] = {}
    for name, svc in app.services.items():
        services[name] = _app_service(app, name, svc, at)
        services[f"dotbox-{name}-db"] = _db_relay(name, at)
    for p in app.ports:
        services[f"dotbox-{p.service}-{p.port}"] = _ingress_relay(p, labels)
    volumes: dict[str, Any] = {
        v: {"labels": {**d["labels"], **labels}} for v, d in app.volumes.items()
    }
    project: dict[str, Any] = {"services": services, "volumes": volumes}
    if app.ports:
        services[FORWARDER] = _forwarder(app.ports, labels)
        volumes[INGRESS_VOLUME] = {"labels": labels}
        # A network of its own, not the engine's default bridge: there, any other container
        # could reach the forwarder's ports, and through them the application.
        project["networks"] = {"default": {"labels": labels}}
    return project


def _hardened() -> dict[str, Any]:
    """What every container dotbox adds runs with."""
    return {"cap_drop": ["ALL"], "security_opt": ["no-new-privileges:true"], "read_only": True}


def _app_service(app: App, name: str, svc: dict[str, Any], at: Placement) -> dict[str, Any]:
    """APP itself: network mode none, dotbox's labels, the sandbox's PG* variables and the
    password file, its image resolved and its build run without a network."""
    out = {**DEFAULT_LIMITS, **svc}
    out["image"] = at.images[name]
    if "build" in svc:
        out["build"] = {
            **svc["build"],
            "network": "none",
            "labels": {**svc["build"]["labels"], **at.labels},
        }
    out["network_mode"] = "none"
    out["security_opt"] = ["no-new-privileges:true"]
    out["labels"] = {**svc["labels"], **at.labels, PART_LABEL: "app"}
    out["environment"] = {**svc["environment"], **at.db_env, "PGPASSFILE": PGPASS}
    out["volumes"] = _app_mounts(app, name, at.pgpass)
    return out


def _app_mounts(app: App, name: str, pgpass: Path) -> list[dict[str, Any]]:
    """APP's binds and volumes as checked, and the password file (read-only)."""
    return [
        *(
            {
                "type": "bind",
                "source": str(b.source),
                "target": b.target,
                "read_only": b.read_only,
            }
            for b in app.binds[name]
        ),
        *(
            {"type": "volume", "source": v, "target": t, "read_only": ro}
            if v
            else {"type": "volume", "target": t}
            for v, t, ro in app.named[name]
        ),
        {"type": "bind", "source": str(pgpass), "target": PGPASS, "read_only": True},
    ]


def _db_relay(name: str, at: Placement) -> dict[str, Any]:
    """``dotbox-APP-db``: in APP's namespace, 127.0.0.1:5432 relayed to the sandbox's socket."""
    return {
        "image": TOOLS_IMAGE,
        "network_mode": f"service:{name}",
        "user": "65534:65534",
        "command": [
            "socat",
            "TCP-LISTEN:5432,bind=127.0.0.1,fork,reuseaddr",
            f"UNIX-CONNECT:{DB_SOCKET_DIR}/.s.PGSQL.5432",
        ],
        "volumes": [
            {
                "type": "bind",
                "source": str(at.db_socket_dir),
                "target": DB_SOCKET_DIR,
                "read_only": True,
            }
        ],
        "labels": {**at.labels, PART_LABEL: "db-relay"},
        **_hardened(),
    }


def _ingress_relay(p: Port, labels: dict[str, str]) -> dict[str, Any]:
    """``dotbox-APP-PORT``: in APP's namespace, a socket in the ingress volume relayed to
    127.0.0.1:PORT."""
    return {
        "image": TOOLS_IMAGE,
        "network_mode": f"service:{p.service}",
        "command": [
            "socat",
            f"UNIX-LISTEN:{p.socket},fork,unlink-early,mode=600",
            f"TCP:127.0.0.1:{p.port}",
        ],
        "volumes": [{"type": "volume", "source": INGRESS_VOLUME, "target": INGRESS_DIR}],
        "labels": {**labels, PART_LABEL: "ingress"},
        **_hardened(),
    }


def _forwarder(ports: tuple[Port, ...], labels: dict[str, str]) -> dict[str, Any]:
    """``dotbox-forwarder``, the only container with a network: each ingress socket published
    on 127.0.0.1."""
    relays = " & ".join(
        shlex.join(["socat", f"TCP-LISTEN:{p.forward},fork,reuseaddr", f"UNIX-CONNECT:{p.socket}"])
        for p in ports
    )
    return {
        "image": TOOLS_IMAGE,
        "command": ["sh", "-c", f"{relays} & wait"],
        "ports": [f"127.0.0.1::{p.forward}" for p in ports],
        "volumes": [{"type": "volume", "source": INGRESS_VOLUME, "target": INGRESS_DIR}],
        "labels": {**labels, PART_LABEL: "forwarder"},
        **_hardened(),
    }


def as_dict(value: Any, *, keep_none: bool = False) -> dict[str, Any]:
    """A compose mapping-or-list (environment, labels, args) as a dict of strings; with
    ``keep_none`` a key without a value maps to None."""
    if not value:
        return {}
    if isinstance(value, dict):
        return {
            str(k): (None if keep_none else "") if v is None else _scalar(v)
            for k, v in value.items()
        }
    out: dict[str, Any] = {}
    for item in value:
        key, sep, val = str(item).partition("=")
        out[key] = val if sep else (None if keep_none else "")
    return out


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _escaped(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _escaped(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_escaped(v) for v in node]
    return node.replace("$", "$$") if isinstance(node, str) else node


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump(project: dict[str, Any]) -> str:
    """The file compose reads: every ``$`` escaped, so nothing is interpolated again."""
    text: str = yaml.dump(
        _escaped(project), Dumper=_NoAliases, sort_keys=False, default_flow_style=False
    )
    return text


def expected(
    project: dict[str, Any],
    service: str,
    ids: dict[str, str],
    project_name: str,
    containers: dict[str, Any],
    inspect: dict[str, Any],
    *,
    host_cgroupns: bool,
) -> containment.Expected:
    """What the engine must report for ``service``'s container: the image id dotbox resolved,
    its network mode, and exactly the mounts dotbox wrote (an anonymous volume by the name the
    engine gave it, provided that is an anonymous one)."""
    svc = project["services"][service]
    mode = str(svc.get("network_mode", ""))
    if service == FORWARDER:
        network = f"{project_name}_default"
    elif mode.startswith("service:"):
        network = f"container:{containers[mode.removeprefix('service:')].id}"
    else:
        network = "none"
    actual = {m.get("Destination"): m for m in inspect.get("Mounts") or []}
    binds, volumes = {}, {}
    for v in svc.get("volumes", []):
        read_only = bool(v.get("read_only", False))
        if v["type"] == "bind":
            binds[v["target"]] = (v["source"], read_only)
        elif v.get("source"):
            volumes[v["target"]] = (f"{project_name}_{v['source']}", read_only)
        else:
            name = str((actual.get(v["target"]) or {}).get("Name", ""))
            volumes[v["target"]] = (name if _ANONYMOUS.fullmatch(name) else "<anonymous>", False)
    tmpfs = svc.get("tmpfs") or []
    return containment.Expected(
        image_id=ids.get(service) or ids[TOOLS_IMAGE],
        network_mode=network,
        binds=binds,
        volumes=volumes,
        tmpfs=frozenset(t.split(":", 1)[0] for t in ([tmpfs] if isinstance(tmpfs, str) else tmpfs)),
        host_cgroupns=host_cgroupns,
        read_only_root=bool(svc.get("read_only")),
    )
