"""The engine's HTTP API over its Unix socket, with the standard library only: listing
containers by label, which is all that ``dotbox list`` and shell completion need.

Split from ``dotbox.engine.client`` (which re-exports all of it) so that those paths import neither
the docker SDK nor engine's container specs. Any other ``DOCKER_HOST`` (tcp://, ssh://) goes
through the SDK in ``dotbox.engine.client``.
"""

from __future__ import annotations

import json
import os
import socket
from typing import Any
from urllib.parse import quote

from dotbox.core.errors import EngineUnavailable, InvalidInput, NotFound

DEFAULT_TIMEOUT = 120.0  # seconds any one engine request may take (DOTBOX_ENGINE_TIMEOUT)


def engine_hint() -> str:
    """What to do when the engine does not answer, naming the engine dotbox tried."""
    where = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    return f"is dockerd running at {where}? 'docker info' tells; see README 'Prerequisites'"


def request_timeout() -> float:
    """Seconds one engine request may take before dotbox gives up: a hung engine is an error
    within this deadline, never a hang."""
    raw = os.environ.get("DOTBOX_ENGINE_TIMEOUT", "")
    try:
        value = float(raw) if raw else DEFAULT_TIMEOUT
    except ValueError:
        value = DEFAULT_TIMEOUT
    return value if value > 0 else DEFAULT_TIMEOUT


DEFAULT_SOCKET = "/var/run/docker.sock"


def unix_socket() -> str | None:
    """The engine's Unix socket from ``DOCKER_HOST`` (unset: the default socket), or None when
    the engine is reached otherwise (tcp://, ssh://, npipe://)."""
    host = os.environ.get("DOCKER_HOST", "").strip()
    if not host:
        return DEFAULT_SOCKET
    if host.startswith("unix://"):
        return host[len("unix://") :]
    return None


def _get_json(socket_path: str, query: str, action: str) -> Any:
    """GET ``query`` from the engine's HTTP API over its Unix socket (HTTP/1.0: one request,
    the answer delimited by the connection's end)."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(request_timeout())
            sock.connect(socket_path)
            sock.sendall(f"GET {query} HTTP/1.0\r\nHost: docker\r\n\r\n".encode())
            chunks = []
            while chunk := sock.recv(1 << 16):
                chunks.append(chunk)
    except OSError as exc:
        raise EngineUnavailable(
            f"{action}: Docker engine unreachable at {socket_path} ({exc})", hint=engine_hint()
        ) from None
    if not chunks:  # the engine (or what stands for it) hung up without an answer
        raise EngineUnavailable(
            f"{action}: Docker engine unreachable at {socket_path} (no answer)",
            hint=engine_hint(),
        )
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise EngineUnavailable(f"{action}: not an HTTP answer from {socket_path}: {status_line!r}")
    try:
        data = json.loads(body) if body.strip() else None
    except ValueError:
        data = body.decode("utf-8", "replace").strip()
    status = int(parts[1])
    if status >= 400:
        message = data.get("message", data) if isinstance(data, dict) else data
        error = NotFound if status == 404 else EngineUnavailable
        raise error(f"{action}: {message}")
    return data


def _label_filters(labels: dict[str, str]) -> list[str]:
    return [f"{k}={v}" if v else k for k, v in labels.items()]


def socket_records(
    socket_path: str, labels: dict[str, str], *, all_states: bool = True
) -> list[dict[str, Any]]:
    """The engine's own listing (``GET /containers/json``) of containers carrying every given
    label, read from its Unix socket."""
    filters = quote(json.dumps({"label": _label_filters(labels)}))
    query = f"/containers/json?all={int(all_states)}&filters={filters}"
    data = _get_json(socket_path, query, "list containers")
    if not isinstance(data, list):
        raise EngineUnavailable(f"list containers: unexpected answer from the engine: {data!r}")
    return data


def socket_volumes(socket_path: str, labels: dict[str, str]) -> list[dict[str, Any]]:
    """The engine's own listing (``GET /volumes``) of volumes carrying every given label, read
    from its Unix socket."""
    filters = quote(json.dumps({"label": _label_filters(labels)}))
    data = _get_json(socket_path, f"/volumes?filters={filters}", "list volumes")
    if not isinstance(data, dict):
        raise EngineUnavailable(f"list volumes: unexpected answer from the engine: {data!r}")
    return list(data.get("Volumes") or [])


def api_path(ref: str) -> str:
    """``ref`` (a container, or an image with its repository path) as URL path segments, each
    quoted; a ref with an empty, '.' or '..' segment is refused, so it cannot climb the API."""
    segments = ref.split("/")
    if any(s in ("", ".", "..") for s in segments):
        raise InvalidInput(f"invalid engine reference {ref!r}")
    return "/".join(quote(s, safe=":@") for s in segments)


def socket_inspect(socket_path: str, kind: str, ref: str) -> dict[str, Any] | None:
    """The engine's inspect (``GET /containers/REF/json``, ``/images/REF/json``) of ``ref``,
    read from its Unix socket; None if it has no such object."""
    try:
        data = _get_json(socket_path, f"/{kind}/{api_path(ref)}/json", f"inspect {ref}")
    except NotFound:
        return None
    if not isinstance(data, dict):
        raise EngineUnavailable(f"inspect {ref}: unexpected answer from the engine: {data!r}")
    return data


def socket_info(socket_path: str) -> dict[str, Any]:
    """The engine's ``GET /info`` (what ``docker info`` shows), read from its Unix socket."""
    data = _get_json(socket_path, "/info", "read the engine's info")
    if not isinstance(data, dict):
        raise EngineUnavailable(f"read the engine's info: unexpected answer: {data!r}")
    return data
