"""Containment read-back: is a created container exactly what dotbox chose?

Pure logic over the engine's inspect JSON (``GET /containers/ID/json``), no engine calls. A
container is checked after create and before start: its image id, network mode, every mount,
and every engine option that would widen what it can reach (privileges, capabilities, devices,
host namespaces, security options, log driver, published ports, extra hosts, DNS, volumes from
or links to other containers). ``violations`` names each property that is not what dotbox
chose; an empty list means the container may start.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

ENGINE_SOCKET_NAMES = frozenset({"docker.sock", "containerd.sock", "podman.sock"})
ENGINE_SOCKET_PATHS = (
    "/run/docker.sock",
    "/var/run/docker.sock",
    "/run/containerd/containerd.sock",
    "/var/run/containerd/containerd.sock",
    "/run/podman/podman.sock",
    "/var/run/podman/podman.sock",
)
ALLOWED_SECURITY_OPT = frozenset({"no-new-privileges", "no-new-privileges:true"})
ALLOWED_IPC = frozenset({"", "private", "shareable"})
_ANONYMOUS_VOLUME = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Expected:
    """What dotbox chose for a container."""

    image_id: str  # "sha256:…": the container's Image must equal it
    network_mode: str  # "none", "container:<id>", or a network name dotbox made
    binds: dict[str, tuple[str, bool]]  # target -> (host source, read_only)
    volumes: dict[str, tuple[str, bool]] = field(default_factory=dict)  # target -> (name, ro)
    tmpfs: frozenset[str] = frozenset()  # targets
    publish_loopback_only: bool = True  # every published port binds 127.0.0.1 only
    # compose (v1) cannot choose a cgroup namespace: on cgroup v1 the engine gives every
    # container the host's, which names cgroups but reaches no network or file
    host_cgroupns: bool = False
    read_only_root: bool = False  # asked for: the root file system must be read-only
    # what the spec chose must hold whatever the image says (None / False: not checked)
    user: str | None = None  # Config.User
    entrypoint: tuple[str, ...] | None = None  # Config.Entrypoint
    cap_drop_all: bool = False  # HostConfig.CapDrop holds ALL
    no_new_privileges: bool = False  # HostConfig.SecurityOpt holds no-new-privileges
    image_volumes: bool = True  # False: not even the image's declared VOLUMEs may be volumes


def violations(
    container: dict[str, Any], expected: Expected, *, default_log_driver: str
) -> list[str]:
    """One short reason per property of ``container`` that is not what ``expected`` says
    (empty: the container is what dotbox chose)."""
    host = container.get("HostConfig") or {}
    found: list[str] = []
    if container.get("Image") != expected.image_id:
        found.append(f"image {container.get('Image')!r} is not {expected.image_id!r}")
    if host.get("NetworkMode") != expected.network_mode:
        found.append(f"network mode {host.get('NetworkMode')!r} is not {expected.network_mode!r}")
    if expected.read_only_root and host.get("ReadonlyRootfs") is not True:
        found.append("root file system is writable, not read-only")
    found += _mount_violations(container, expected)
    found += _chosen_violations(container, expected)
    found += _privilege_violations(host)
    found += _namespace_violations(host, expected.host_cgroupns)
    found += _log_violations(host, default_log_driver)
    found += _port_violations(host, expected.publish_loopback_only)
    found += _link_violations(host)
    return found


def _chosen_violations(container: dict[str, Any], expected: Expected) -> list[str]:
    """What the spec chose that an image could otherwise choose, or that drops privileges."""
    config = container.get("Config") or {}
    host = container.get("HostConfig") or {}
    found: list[str] = []
    if expected.user is not None and config.get("User") != expected.user:
        found.append(f"user {config.get('User')!r} is not {expected.user!r}")
    if expected.entrypoint is not None and tuple(config.get("Entrypoint") or ()) != tuple(
        expected.entrypoint
    ):
        found.append("entrypoint is not the one dotbox chose")
    if expected.cap_drop_all and "ALL" not in (host.get("CapDrop") or ()):
        found.append("capabilities are not all dropped")
    if expected.no_new_privileges and not ALLOWED_SECURITY_OPT & set(host.get("SecurityOpt") or ()):
        found.append("no-new-privileges is not set")
    return found


def _mount_violations(container: dict[str, Any], expected: Expected) -> list[str]:
    host = container.get("HostConfig") or {}
    declared = set((container.get("Config") or {}).get("Volumes") or {})
    image_volumes = declared if expected.image_volumes else set()
    found: list[str] = []
    seen: set[str] = set()
    tmpfs = set(host.get("Tmpfs") or {})
    for mount in container.get("Mounts") or []:
        target = str(mount.get("Destination", ""))
        if target in seen:
            found.append(f"mount {target} appears twice")
        seen.add(target)
        kind = mount.get("Type")
        if kind == "tmpfs":
            tmpfs.add(target)
        elif target in expected.binds:
            found += _bind_violations(mount, target, *expected.binds[target])
        elif target in expected.volumes:
            found += _volume_violations(mount, target, *expected.volumes[target])
        elif not _image_volume(mount, image_volumes):
            what = mount.get("Name") if kind == "volume" else mount.get("Source")
            found.append(f"unexpected {kind} mount of {what!r} at {target}")
    for target in sorted((set(expected.binds) | set(expected.volumes)) - seen):
        found.append(f"mount {target} is missing")
    if tmpfs != expected.tmpfs:
        found.append(f"tmpfs {sorted(tmpfs)} is not {sorted(expected.tmpfs)}")
    return found


def _image_volume(mount: dict[str, Any], image_volumes: set[str]) -> bool:
    """An anonymous volume the image itself declares (``VOLUME``): fresh and empty, it
    reaches nothing on the host."""
    return (
        mount.get("Type") == "volume"
        and mount.get("Destination") in image_volumes
        and bool(_ANONYMOUS_VOLUME.fullmatch(str(mount.get("Name", ""))))
        and mount.get("Driver", "local") == "local"
    )


def _bind_violations(mount: dict[str, Any], target: str, source: str, read_only: bool) -> list[str]:
    found: list[str] = []
    actual = str(mount.get("Source", ""))
    if mount.get("Type") != "bind":
        found.append(f"mount {target} is a {mount.get('Type')}, not a bind")
    if actual != source:
        found.append(f"mount {target} binds {actual!r}, not {source!r}")
    if os.path.realpath(actual) != actual:
        found.append(f"mount {target} binds {actual!r}, which resolves elsewhere (a symlink)")
    if engine_socket_reachable(actual):
        found.append(f"mount {target} binds {actual!r}, which holds the engine's socket")
    found += _rw_violations(mount, target, read_only)
    return found


def _volume_violations(mount: dict[str, Any], target: str, name: str, read_only: bool) -> list[str]:
    found: list[str] = []
    if mount.get("Type") != "volume":
        found.append(f"mount {target} is a {mount.get('Type')}, not a volume")
    if mount.get("Name") != name:
        found.append(f"mount {target} is volume {mount.get('Name')!r}, not {name!r}")
    found += _rw_violations(mount, target, read_only)
    return found


def _rw_violations(mount: dict[str, Any], target: str, read_only: bool) -> list[str]:
    if bool(mount.get("RW")) == read_only:
        return [f"mount {target} is {'writable' if read_only else 'read-only'}"]
    return []


def engine_socket_reachable(path: str) -> bool:
    """Whether ``path`` is an engine's socket or a directory above one (``/``, ``/run``,
    ``/var/run``, …), judged by name and by the well-known socket paths, resolved."""
    resolved = os.path.realpath(path)
    if os.path.basename(resolved) in ENGINE_SOCKET_NAMES:
        return True
    for known in ENGINE_SOCKET_PATHS:
        for socket_path in {known, os.path.realpath(known)}:
            if _within(socket_path, path) or _within(socket_path, resolved):
                return True
    try:
        return not ENGINE_SOCKET_NAMES.isdisjoint(os.listdir(resolved))
    except OSError:
        return False


def _within(path: str, directory: str) -> bool:
    directory = directory.rstrip("/") or "/"
    return path == directory or path.startswith(directory if directory == "/" else directory + "/")


def _privilege_violations(host: dict[str, Any]) -> list[str]:
    found: list[str] = []
    if host.get("Privileged"):
        found.append("privileged")
    if host.get("CapAdd"):
        found.append(f"capabilities added: {', '.join(host['CapAdd'])}")
    if host.get("Devices"):
        found.append(f"devices: {', '.join(d.get('PathOnHost', '?') for d in host['Devices'])}")
    if host.get("DeviceCgroupRules"):
        found.append(f"device cgroup rules: {', '.join(host['DeviceCgroupRules'])}")
    if host.get("DeviceRequests"):
        found.append("device requests (GPUs)")
    extra = sorted(set(host.get("SecurityOpt") or ()) - ALLOWED_SECURITY_OPT)
    if extra:
        found.append(f"security options: {', '.join(extra)}")
    if host.get("Sysctls"):
        found.append(f"sysctls: {', '.join(sorted(host['Sysctls']))}")
    return found


def _namespace_violations(host: dict[str, Any], host_cgroupns: bool) -> list[str]:
    found: list[str] = []
    for key in ("PidMode", "UTSMode", "UsernsMode"):
        if host.get(key):
            found.append(f"{key} {host[key]!r}")
    if (host.get("IpcMode") or "") not in ALLOWED_IPC:
        found.append(f"IpcMode {host['IpcMode']!r}")
    if (host.get("CgroupnsMode") or "") not in (
        "",
        "private",
        *(["host"] if host_cgroupns else []),
    ):
        found.append(f"CgroupnsMode {host['CgroupnsMode']!r}")
    return found


def _log_violations(host: dict[str, Any], default_log_driver: str) -> list[str]:
    log = host.get("LogConfig") or {}
    found: list[str] = []
    if log.get("Type") != default_log_driver:
        found.append(f"log driver {log.get('Type')!r} is not the engine's {default_log_driver!r}")
    if log.get("Config"):
        found.append(f"log options: {', '.join(sorted(log['Config']))}")
    return found


def _port_violations(host: dict[str, Any], loopback_only: bool) -> list[str]:
    found: list[str] = []
    if host.get("PublishAllPorts"):
        found.append("every exposed port published (PublishAllPorts)")
    if not loopback_only:
        return found
    for port, bindings in sorted((host.get("PortBindings") or {}).items()):
        for binding in bindings or [{}]:
            if binding.get("HostIp") != "127.0.0.1":
                found.append(f"port {port} published on {binding.get('HostIp') or 'every address'}")
    return found


def _link_violations(host: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for key, what in (
        ("ExtraHosts", "extra hosts"),
        ("Dns", "DNS servers"),
        ("DnsSearch", "DNS search domains"),
        ("DnsOptions", "DNS options"),
        ("VolumesFrom", "volumes from"),
        ("Links", "links"),
    ):
        if host.get(key):
            found.append(f"{what}: {', '.join(map(str, host[key]))}")
    return found
