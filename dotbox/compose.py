"""Compose files of review environments: check an application's ordinary compose file, then
transform it so that every container has network mode ``none`` and talks only through Unix
sockets (pure functions, no I/O besides reading the file).

For each application service APP:
  * APP itself gets ``network_mode: none`` (its ports are removed, its PG* variables default to
    the sandbox's credentials on localhost:5432);
  * ``dotbox-APP-db`` joins APP's namespace and relays 127.0.0.1:5432 to the sandbox's socket;
  * ``dotbox-APP-PORT`` joins APP's namespace and relays a Unix socket in the environment's
    ingress volume to 127.0.0.1:PORT;
and one ``dotbox-forwarder`` — the only container with a network — publishes each ingress socket
on 127.0.0.1 (an ephemeral host port, read back after start).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from dotbox.errors import InvalidInput, Refused

TOOLS_IMAGE = "dotbox/review-tools:pg17"
DB_SOCKET_DIR = "/dotbox/db"
INGRESS_DIR = "/dotbox/ingress"
INGRESS_VOLUME = "dotbox-ingress"
FORWARDER = "dotbox-forwarder"
FIRST_FORWARD_PORT = 10000
PART_LABEL = "dotbox.part"  # app | db-relay | ingress | forwarder

# Keys of a service that are kept as they are (paths in them are made absolute).
_KEPT = {
    "image", "build", "command", "entrypoint", "environment", "env_file", "working_dir", "user",
    "volumes", "depends_on", "labels", "healthcheck", "restart", "stop_signal",
    "stop_grace_period", "tty", "stdin_open", "init", "tmpfs", "read_only", "cap_drop",
    "shm_size", "mem_limit", "cpus", "pids_limit", "ulimits", "logging",
}  # fmt: skip
# Keys that only matter on a network: dropped (the service has none).
_DROPPED = {"ports", "expose", "networks", "links", "external_links", "dns", "dns_search",
            "extra_hosts", "hostname", "domainname", "mac_address", "container_name"}  # fmt: skip
_HOST_NAMESPACES = ("pid", "ipc", "uts", "userns_mode", "cgroup")
_DOCKER_SOCKETS = ("docker.sock", "containerd.sock", "podman.sock")
_SAFE_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]*")


@dataclass(frozen=True)
class Port:
    service: str
    port: int  # the port the application listens on inside its namespace
    forward: int  # the forwarder's own port for it (published on 127.0.0.1)

    @property
    def socket(self) -> str:
        return f"{INGRESS_DIR}/{self.service}-{self.port}.sock"


@dataclass(frozen=True)
class App:
    """A checked application compose file."""

    path: Path
    services: dict[str, dict[str, Any]]
    volumes: dict[str, Any]
    ports: tuple[Port, ...]


def load(path: Path) -> App:
    """Read and check ``path``; every reason for refusal is named in one error."""
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise InvalidInput(f"cannot read compose file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
        raise InvalidInput(f"{path} has no 'services' mapping: is it a compose file?")
    if not data["services"]:
        raise InvalidInput(f"{path} declares no services")
    return check(data, path.resolve().parent, path)


def check(data: dict[str, Any], project: Path, path: Path) -> App:
    reasons: list[str] = []
    for key in data:
        if key not in ("version", "name", "services", "volumes", "networks"):
            reasons.append(f"top-level '{key}' is not supported")
    volumes = data.get("volumes") or {}
    for vname, vdef in volumes.items():
        if isinstance(vdef, dict) and (vdef.get("driver_opts") or vdef.get("external")):
            reasons.append(f"volume {vname}: driver_opts/external volumes reach outside")
    services: dict[str, dict[str, Any]] = {}
    ports: list[Port] = []
    for name, svc in data["services"].items():
        name = str(name)
        if not isinstance(svc, dict):
            reasons.append(f"service {name}: not a mapping")
            continue
        if not _SAFE_NAME.fullmatch(name) or name.startswith("dotbox"):
            reasons.append(f"service {name}: names are a-z0-9._- and may not start with 'dotbox'")
        svc_reasons = _check_service(svc, project)
        reasons += [f"service {name}: {r}" for r in svc_reasons]
        for port in _ports(svc, reasons, name):
            ports.append(Port(name, port, FIRST_FORWARD_PORT + len(ports)))
        services[name] = {k: _absolute(k, v, project) for k, v in svc.items() if k in _KEPT}
    if reasons:
        raise Refused(f"{path} refused: " + "; ".join(reasons), hint="nothing was started")
    return App(path=path, services=services, volumes=dict(volumes), ports=tuple(ports))


def _check_service(svc: dict[str, Any], project: Path) -> list[str]:
    reasons = []
    mode = svc.get("network_mode")
    if mode == "host":
        reasons.append("network_mode: host shares the host's network (the official server too)")
    elif mode not in (None, "none"):
        reasons.append(f"network_mode: {mode} joins a namespace dotbox does not control")
    if svc.get("privileged"):
        reasons.append("privileged: true gives the container the host's devices and kernel")
    if svc.get("devices") or svc.get("device_cgroup_rules"):
        reasons.append("devices: host devices are not passed into a review environment")
    if svc.get("cap_add"):
        reasons.append(f"cap_add: {svc['cap_add']} (extra capabilities are not granted)")
    for ns in _HOST_NAMESPACES:
        if str(svc.get(ns, "")).startswith("host"):
            reasons.append(f"{ns}: host shares a host namespace")
    for opt in svc.get("security_opt") or []:
        reasons.append(f"security_opt: {opt} (not accepted)")
    for key in svc:
        if key not in _KEPT and key not in _DROPPED and key not in (
            "network_mode", "privileged", "devices", "cap_add", "security_opt", *_HOST_NAMESPACES,
        ):  # fmt: skip
            reasons.append(f"'{key}' is not supported")
    if "image" not in svc and "build" not in svc:
        reasons.append("needs an image or a build")
    for vol in svc.get("volumes") or []:
        reasons += _check_volume(vol, project)
    return reasons


def _volume_parts(vol: Any) -> tuple[str, str, str | None]:
    """(type, source, target) of a short or long volume entry."""
    if isinstance(vol, dict):
        return str(vol.get("type", "volume")), str(vol.get("source", "")), vol.get("target")
    parts = str(vol).split(":")
    if len(parts) == 1:
        return "volume", "", parts[0]
    source = parts[0]
    kind = "bind" if source.startswith(("/", ".", "~")) else "volume"
    return kind, source, parts[1]


def _check_volume(vol: Any, project: Path) -> list[str]:
    kind, source, _target = _volume_parts(vol)
    if kind in ("volume", "tmpfs"):
        return []
    if kind != "bind":
        return [f"volume type {kind!r} is not supported"]
    if source.startswith("~"):
        return [f"bind mount {source}: the home directory is outside the project"]
    resolved = (project / source).resolve()
    if any(resolved.name == s for s in _DOCKER_SOCKETS) or "docker.sock" in source:
        return [f"bind mount {source}: the Docker socket controls the whole engine"]
    if resolved != project and project not in resolved.parents:
        return [f"bind mount {source}: outside the project directory {project}"]
    return []


def _absolute(key: str, value: Any, project: Path) -> Any:
    """Relative paths of the app's file, made absolute (the generated file lives elsewhere)."""
    if key == "volumes":
        out: list[Any] = []
        for vol in value:
            kind, source, _ = _volume_parts(vol)
            if kind == "bind" and isinstance(vol, dict):
                out.append({**vol, "source": str((project / source).resolve())})
            elif kind == "bind":
                rest = str(vol).split(":", 1)[1]
                out.append(f"{(project / source).resolve()}:{rest}")
            else:
                out.append(vol)
        return out
    if key == "build":
        if isinstance(value, str):
            return str((project / value).resolve())
        return {**value, "context": str((project / value.get("context", ".")).resolve())}
    if key == "env_file":
        files = [value] if isinstance(value, str) else value
        return [str((project / f).resolve()) for f in files]
    return value


def _ports(svc: dict[str, Any], reasons: list[str], name: str) -> list[int]:
    found: list[int] = []
    for entry in svc.get("ports") or []:
        if isinstance(entry, dict):
            target, proto = str(entry.get("target", "")), str(entry.get("protocol", "tcp"))
        else:
            text, _, proto = str(entry).partition("/")
            target, proto = text.rsplit(":", 1)[-1], proto or "tcp"
        if proto != "tcp" or not target.isdigit() or not 0 < int(target) < 65536:
            reasons.append(f"service {name}: port {entry!r}: only single TCP ports are relayed")
            continue
        if int(target) not in found:
            found.append(int(target))
    return found


def transform(
    app: App,
    *,
    review_id: str,
    labels: dict[str, str],
    db_socket_dir: Path,
    db_env: dict[str, str],
) -> dict[str, Any]:
    """The review environment's compose project (a dict ready for YAML)."""
    hardened = {"cap_drop": ["ALL"], "security_opt": ["no-new-privileges:true"], "read_only": True}
    services: dict[str, Any] = {}
    for name, svc in app.services.items():
        out = dict(svc)
        out["network_mode"] = "none"
        out["labels"] = {**_as_dict(svc.get("labels")), **labels, PART_LABEL: "app"}
        env = _as_dict(svc.get("environment"))
        out["environment"] = {**env, **db_env}  # the sandbox's credentials are the only ones
        services[name] = out
        services[f"dotbox-{name}-db"] = {
            "image": TOOLS_IMAGE,
            "network_mode": f"service:{name}",
            "user": "65534:65534",
            "command": [
                "socat",
                "TCP-LISTEN:5432,bind=127.0.0.1,fork,reuseaddr",
                f"UNIX-CONNECT:{DB_SOCKET_DIR}/.s.PGSQL.5432",
            ],
            "volumes": [f"{db_socket_dir}:{DB_SOCKET_DIR}:ro"],
            "labels": {**labels, PART_LABEL: "db-relay"},
            **hardened,
        }
    for p in app.ports:
        services[f"dotbox-{p.service}-{p.port}"] = {
            "image": TOOLS_IMAGE,
            "network_mode": f"service:{p.service}",
            "command": [
                "socat",
                f"UNIX-LISTEN:{p.socket},fork,unlink-early,mode=600",
                f"TCP:127.0.0.1:{p.port}",
            ],
            "volumes": [f"{INGRESS_VOLUME}:{INGRESS_DIR}"],
            "labels": {**labels, PART_LABEL: "ingress"},
            **hardened,
        }
    volumes: dict[str, Any] = {
        v: {**(d or {}), "labels": {**_as_dict((d or {}).get("labels")), **labels}}
        for v, d in app.volumes.items()
    }
    project: dict[str, Any] = {"services": services, "volumes": volumes}
    if app.ports:
        relays = " & ".join(
            shlex.join(
                ["socat", f"TCP-LISTEN:{p.forward},fork,reuseaddr", f"UNIX-CONNECT:{p.socket}"]
            )
            for p in app.ports
        )
        services[FORWARDER] = {
            "image": TOOLS_IMAGE,
            "command": ["sh", "-c", f"{relays} & wait"],
            "ports": [f"127.0.0.1::{p.forward}" for p in app.ports],
            "volumes": [f"{INGRESS_VOLUME}:{INGRESS_DIR}"],
            "labels": {**labels, PART_LABEL: "forwarder"},
            **hardened,
        }
        volumes[INGRESS_VOLUME] = {"labels": labels}
        # A network of its own, not the engine's default bridge: there, any other container
        # could reach the forwarder's ports, and through them the application.
        project["networks"] = {"default": {"labels": labels}}
    del review_id  # named in the labels already
    return project


def _as_dict(value: Any) -> dict[str, str]:
    """A compose mapping-or-list (environment, labels) as a dict."""
    if not value:
        return {}
    if isinstance(value, dict):
        return {str(k): "" if v is None else str(v) for k, v in value.items()}
    out = {}
    for item in value:
        key, _, val = str(item).partition("=")
        out[key] = val
    return out


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump(project: dict[str, Any]) -> str:
    text: str = yaml.dump(project, Dumper=_NoAliases, sort_keys=False, default_flow_style=False)
    return text
