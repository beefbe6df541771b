"""What a dotbox container is made of (``ContainerSpec``), and the engine's create request for
it (``create_body``): the JSON the docker SDK's ``create_host_config`` and ``create_container``
send for the same spec, so that both routes to the engine make the same container (and
``dotbox.engine.containment`` reads back either)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Mount:
    source: str
    target: str
    read_only: bool = False


@dataclass(frozen=True)
class Publish:
    """A container's TCP port published on one host address (host_port 0: the engine picks)."""

    port: int
    host_ip: str = "127.0.0.1"
    host_port: int = 0


@dataclass(frozen=True)
class ContainerSpec:
    """Everything a dotbox container is made of. No pass-through of engine options."""

    image: str
    name: str
    labels: dict[str, str]
    command: list[str] | None = None
    user: str | None = None
    network_mode: str = "none"
    mounts: tuple[Mount, ...] = ()
    environment: dict[str, str] = field(default_factory=dict)
    memory_bytes: int | None = None
    pids_limit: int | None = None
    nano_cpus: int | None = None
    shm_bytes: int | None = None
    entrypoint: list[str] | None = None
    working_dir: str | None = None
    tmpfs: dict[str, str] = field(default_factory=dict)  # path -> mount options (size=…)
    publish: tuple[Publish, ...] = ()
    cap_drop: tuple[str, ...] = ()
    no_new_privileges: bool = False
    read_only_root: bool = False  # the container's root file system mounted read-only
    tty: bool = False  # a pseudo-terminal (interactive programs: psql)
    stdin_open: bool = False  # the container reads what run_interactive forwards (stdin once)
    image_volumes: bool = True  # the image's VOLUMEs may become anonymous volumes (False: none)


def create_body(spec: ContainerSpec) -> dict[str, Any]:
    """The body of ``POST /containers/create`` for ``spec`` (its name goes in the query)."""
    config: dict[str, Any] = {
        "Image": spec.image,
        "Cmd": spec.command,
        "Entrypoint": spec.entrypoint,
        "User": spec.user or "",
        "Labels": spec.labels,
        "Env": [f"{k}={v}" for k, v in spec.environment.items()] or None,
        "WorkingDir": spec.working_dir,
        "ExposedPorts": {f"{p.port}/tcp": {} for p in spec.publish} or None,
        "Tty": spec.tty,
        "OpenStdin": spec.stdin_open,
        "StdinOnce": spec.stdin_open,
        "AttachStdin": spec.stdin_open,
        "AttachStdout": True,
        "AttachStderr": True,
        "NetworkDisabled": False,
        "HostConfig": _host_config(spec),
    }
    return {k: v for k, v in config.items() if v is not None}


def _host_config(spec: ContainerSpec) -> dict[str, Any]:
    host: dict[str, Any] = {
        "NetworkMode": spec.network_mode,
        "Binds": [f"{m.source}:{m.target}:{'ro' if m.read_only else 'rw'}" for m in spec.mounts],
        "Memory": spec.memory_bytes,
        "MemorySwap": spec.memory_bytes,
        "PidsLimit": spec.pids_limit or None,
        "NanoCpus": spec.nano_cpus or None,
        "ShmSize": spec.shm_bytes,
        "Tmpfs": spec.tmpfs or None,
        "CapDrop": list(spec.cap_drop) or None,
        "SecurityOpt": ["no-new-privileges"] if spec.no_new_privileges else None,
        "ReadonlyRootfs": spec.read_only_root or None,
        "PortBindings": {
            f"{p.port}/tcp": [{"HostIp": p.host_ip, "HostPort": str(p.host_port or "")}]
            for p in spec.publish
        }
        or None,
        "CgroupnsMode": "private",  # on cgroup v1 the engine's default is the host's
    }
    return {k: v for k, v in host.items() if v is not None}
