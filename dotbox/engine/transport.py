"""The engine's HTTP API over its Unix socket, with the standard library only (``http.client``
over an ``AF_UNIX`` socket): listing and inspecting containers, volumes and images, which is
all that ``dotbox list``, shell completion and dotbox's read-backs need; and creating, starting
and removing containers and removing volumes, which is all that ``dotbox create`` and ``dotbox
drop`` need besides.

Kept apart from ``dotbox.engine.client`` so that those paths import neither the docker SDK nor
pydantic. Any other ``DOCKER_HOST`` (tcp://, ssh://) goes through the SDK in
``dotbox.engine.client``. What an engine's answer means to dotbox (``status_error``: 404 is
NotFound, 409 Conflict) is decided here for both routes.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
from typing import Any
from urllib.parse import quote

from dotbox.core.errors import Conflict, DotboxError, EngineUnavailable, InvalidInput, NotFound

DEFAULT_SOCKET = "/var/run/docker.sock"
DEFAULT_TIMEOUT = 120.0  # seconds any one engine request may take (DOTBOX_ENGINE_TIMEOUT)


def engine_hint() -> str:
    """What to do when the engine does not answer, naming the engine dotbox tried."""
    where = os.environ.get("DOCKER_HOST") or f"unix://{DEFAULT_SOCKET}"
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


def unix_socket() -> str | None:
    """The engine's Unix socket from ``DOCKER_HOST`` (unset: the default socket), or None when
    the engine is reached otherwise (tcp://, ssh://, npipe://)."""
    host = os.environ.get("DOCKER_HOST", "").strip()
    if not host:
        return DEFAULT_SOCKET
    if host.startswith("unix://"):
        return host[len("unix://") :]
    return None


def status_error(action: str, status: int, message: str) -> DotboxError:
    """The engine refused ``action`` with HTTP ``status``: 404 is NotFound, 409 (a name taken,
    an object in use) Conflict, anything else EngineUnavailable. The SDK's route asks this too."""
    kind = {404: NotFound, 409: Conflict}.get(status, EngineUnavailable)
    return kind(f"{action}: {message}")


def unreachable(action: str, where: str, why: object) -> EngineUnavailable:
    return EngineUnavailable(
        f"{action}: Docker engine unreachable at {where} ({why})", hint=engine_hint()
    )


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP/1.1 to the engine over its Unix socket; ``timeout`` bounds every socket operation."""

    def __init__(self, socket_path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = socket_path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self.socket_path)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


def get_json(socket_path: str, query: str, action: str) -> Any:
    """GET ``query`` from the engine's HTTP API over its Unix socket: the answer's JSON (or its
    text, if it is none). Every failure is a DotboxError naming ``action``."""
    return request_json(socket_path, "GET", query, action)


def request_json(
    socket_path: str, method: str, query: str, action: str, body: dict[str, Any] | None = None
) -> Any:
    """``method`` ``query`` (with ``body`` as JSON) to the engine's HTTP API over its Unix
    socket: the answer's JSON, its text, or None when it has none. Every failure is a
    DotboxError naming ``action``."""
    conn = UnixHTTPConnection(socket_path, request_timeout())
    payload = None if body is None else json.dumps(body).encode()
    headers = {} if payload is None else {"Content-Type": "application/json"}
    try:
        conn.request(method, query, body=payload, headers=headers)
        answer = conn.getresponse()
        status, text = answer.status, answer.read()
    except http.client.RemoteDisconnected:  # hung up without a word
        raise unreachable(action, socket_path, "no answer") from None
    except http.client.BadStatusLine as exc:
        line = str(exc).strip()  # the line that came instead of a status line
        raise EngineUnavailable(
            f"{action}: not an HTTP answer from {socket_path}: {line!r}"
        ) from None
    except http.client.HTTPException as exc:  # a torn or oversized answer
        raise EngineUnavailable(
            f"{action}: a broken HTTP answer from {socket_path} ({type(exc).__name__})"
        ) from None
    except OSError as exc:  # refused, absent, reset, timed out
        raise unreachable(action, socket_path, exc) from None
    finally:
        conn.close()
    try:
        data = json.loads(text) if text.strip() else None
    except ValueError:
        data = text.decode("utf-8", "replace").strip()
    if status >= 400:
        message = data.get("message", data) if isinstance(data, dict) else data
        raise status_error(action, status, str(message))
    return data


def label_filters(labels: dict[str, str]) -> list[str]:
    """The engine's label filter for ``labels`` (a value of '' matches any value)."""
    return [f"{k}={v}" if v else k for k, v in labels.items()]


def socket_records(
    socket_path: str, labels: dict[str, str], *, all_states: bool = True
) -> list[dict[str, Any]]:
    """The engine's own listing (``GET /containers/json``) of containers carrying every given
    label, read from its Unix socket."""
    filters = quote(json.dumps({"label": label_filters(labels)}))
    query = f"/containers/json?all={int(all_states)}&filters={filters}"
    data = get_json(socket_path, query, "list containers")
    if not isinstance(data, list):
        raise EngineUnavailable(f"list containers: unexpected answer from the engine: {data!r}")
    return data


def socket_volumes(socket_path: str, labels: dict[str, str]) -> list[dict[str, Any]]:
    """The engine's own listing (``GET /volumes``) of volumes carrying every given label, read
    from its Unix socket."""
    filters = quote(json.dumps({"label": label_filters(labels)}))
    data = get_json(socket_path, f"/volumes?filters={filters}", "list volumes")
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
        data = get_json(socket_path, f"/{kind}/{api_path(ref)}/json", f"inspect {ref}")
    except NotFound:
        return None
    if not isinstance(data, dict):
        raise EngineUnavailable(f"inspect {ref}: unexpected answer from the engine: {data!r}")
    return data


def socket_info(socket_path: str) -> dict[str, Any]:
    """The engine's ``GET /info`` (what ``docker info`` shows), read from its Unix socket."""
    data = get_json(socket_path, "/info", "read the engine's info")
    if not isinstance(data, dict):
        raise EngineUnavailable(f"read the engine's info: unexpected answer: {data!r}")
    return data


def socket_create(socket_path: str, name: str, body: dict[str, Any]) -> str:
    """``POST /containers/create`` of container ``name`` (``body``: the engine's container
    configuration, ``dotbox.engine.spec.create_body``); its id."""
    query = f"/containers/create?name={quote(name)}"
    data = request_json(socket_path, "POST", query, body=body, action=f"create container {name}")
    if not isinstance(data, dict) or not isinstance(data.get("Id"), str):
        raise EngineUnavailable(f"create container {name}: unexpected answer: {data!r}")
    return str(data["Id"])


def socket_start(socket_path: str, container_id: str) -> None:
    """``POST /containers/ID/start`` (a container started already is not an error)."""
    query = f"/containers/{api_path(container_id)}/start"
    request_json(socket_path, "POST", query, f"start container {container_id[:12]}")


def socket_remove_container(socket_path: str, container_id: str, *, volumes: bool) -> bool:
    """Force-remove a container (with its anonymous volumes if ``volumes``); False if it was
    gone already."""
    query = f"/containers/{api_path(container_id)}?force=1&v={int(volumes)}"
    try:
        request_json(socket_path, "DELETE", query, f"remove container {container_id[:12]}")
    except NotFound:
        return False
    return True


def socket_remove_volume(socket_path: str, name: str) -> bool:
    """Force-remove a volume; False if it was gone already (one in use is a Conflict)."""
    try:
        query = f"/volumes/{api_path(name)}?force=1"
        request_json(socket_path, "DELETE", query, f"remove volume {name}")
    except NotFound:
        return False
    return True
