"""The engine's HTTP API over its Unix socket (dotbox.engine.transport), against a tiny fake
engine: JSON answers, the engine's statuses kept (404 NotFound, 409 Conflict), and an engine
that hangs up, answers garbage, hangs or is not there each one EngineUnavailable line."""

from __future__ import annotations

import json
import shutil
import socketserver
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from dotbox.core.errors import Conflict, EngineUnavailable, NotFound
from dotbox.core.labels import Label
from dotbox.engine import transport


class FakeEngine(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    answer: bytes = b""  # what every request gets; b"" hangs up without a word
    stall = threading.Event()  # set: the engine hangs instead (until released)
    requests: list[str]

    @property
    def path(self) -> str:
        return str(self.server_address)


class _Handler(socketserver.StreamRequestHandler):
    server: FakeEngine

    def handle(self) -> None:
        lines = []
        while (line := self.rfile.readline()) not in (b"\r\n", b"\n", b""):
            lines.append(line.decode().rstrip("\r\n"))
        self.server.requests.append(lines[0] if lines else "")
        length = [int(h.split(":", 1)[1]) for h in lines if h.lower().startswith("content-length:")]
        self.rfile.read(length[0] if length else 0)  # a request's body, read before answering
        if self.server.stall.is_set():
            time.sleep(5)
            return
        self.wfile.write(self.server.answer)


def http(status: str, body: bytes, *, chunked: bool = False) -> bytes:
    if chunked:
        framing, body = b"Transfer-Encoding: chunked", b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    else:
        framing = b"Content-Length: %d" % len(body)
    return b"HTTP/1.1 %s\r\nContent-Type: application/json\r\n%s\r\n\r\n%s" % (
        status.encode(),
        framing,
        body,
    )


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeEngine]:
    directory = Path(tempfile.mkdtemp(prefix="dbxt-"))  # short: a socket path fits 107 bytes
    server = FakeEngine(str(directory / "engine.sock"), _Handler)
    server.requests, server.stall = [], threading.Event()
    monkeypatch.setenv("DOCKER_HOST", f"unix://{server.path}")
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.mark.parametrize("chunked", [False, True])
def test_a_json_answer_is_read_over_http_1_1(engine: FakeEngine, chunked: bool) -> None:
    engine.answer = http("200 OK", b'{"LoggingDriver": "json-file"}', chunked=chunked)
    assert transport.socket_info(engine.path) == {"LoggingDriver": "json-file"}
    assert engine.requests == ["GET /info HTTP/1.1"]


def test_a_listing_asks_by_label(engine: FakeEngine) -> None:
    engine.answer = http("200 OK", json.dumps([{"Id": "abc"}]).encode())
    labels = {Label.MANAGED_BY: "dotbox", "dotbox.id": ""}
    assert transport.socket_records(engine.path, labels, all_states=False) == [{"Id": "abc"}]
    method, target, _ = engine.requests[0].split(" ")
    url = urlsplit(target)
    assert (method, url.path) == ("GET", "/containers/json")
    query = parse_qs(url.query)
    assert query["all"] == ["0"]
    assert json.loads(query["filters"][0]) == {"label": ["dotbox.managed-by=dotbox", "dotbox.id"]}


def test_an_inspect_quotes_its_ref_and_a_404_is_none(engine: FakeEngine) -> None:
    engine.answer = http("404 Not Found", b'{"message": "No such container: x?y"}')
    assert transport.socket_inspect(engine.path, "containers", "x?y") is None
    assert engine.requests == ["GET /containers/x%3Fy/json HTTP/1.1"]
    with pytest.raises(NotFound, match="list volumes: No such container: x\\?y"):
        transport.socket_volumes(engine.path, {})


def test_a_409_is_a_conflict_by_its_status(engine: FakeEngine) -> None:
    engine.answer = http("409 Conflict", b'{"message": "name in use"}')
    with pytest.raises(Conflict, match="read the engine's info: name in use") as err:
        transport.socket_info(engine.path)
    assert err.value.exit_code == Conflict.exit_code


def test_a_create_posts_its_name_and_returns_the_id(engine: FakeEngine) -> None:
    engine.answer = http("201 Created", b'{"Id": "abc", "Warnings": []}')
    assert transport.socket_create(engine.path, "dotbox-x y", {"Image": "i"}) == "abc"
    assert engine.requests == ["POST /containers/create?name=dotbox-x%20y HTTP/1.1"]
    engine.answer = http("201 Created", b'{"Warnings": []}')
    with pytest.raises(EngineUnavailable, match="unexpected answer"):
        transport.socket_create(engine.path, "dotbox-x", {"Image": "i"})


@pytest.mark.parametrize(
    ("status", "removed"), [("204 No Content", True), ("404 Not Found", False)]
)
def test_a_removal_says_whether_there_was_anything(
    engine: FakeEngine, status: str, removed: bool
) -> None:
    engine.answer = http(status, b"")
    assert transport.socket_remove_container(engine.path, "abc", volumes=True) is removed
    assert transport.socket_remove_volume(engine.path, "dotbox-sock-x") is removed
    assert engine.requests == [
        "DELETE /containers/abc?force=1&v=1 HTTP/1.1",
        "DELETE /volumes/dotbox-sock-x?force=1 HTTP/1.1",
    ]


def test_a_volume_in_use_is_a_conflict_and_a_started_container_is_not_an_error(
    engine: FakeEngine,
) -> None:
    engine.answer = http("409 Conflict", b'{"message": "volume is in use"}')
    with pytest.raises(Conflict, match="remove volume v: volume is in use"):
        transport.socket_remove_volume(engine.path, "v")
    engine.answer = http("304 Not Modified", b"")
    transport.socket_start(engine.path, "abc")
    assert engine.requests[-1] == "POST /containers/abc/start HTTP/1.1"


def test_another_error_status_is_engine_unavailable_with_its_message(engine: FakeEngine) -> None:
    engine.answer = http("500 Internal Server Error", b"not json at all")
    with pytest.raises(EngineUnavailable, match="read the engine's info: not json at all"):
        transport.socket_info(engine.path)


def test_an_unexpected_shape_is_engine_unavailable(engine: FakeEngine) -> None:
    engine.answer = http("200 OK", b"[]")
    with pytest.raises(EngineUnavailable, match="unexpected answer"):
        transport.socket_info(engine.path)


def test_a_hang_up_without_an_answer_is_one_line(engine: FakeEngine) -> None:
    engine.answer = b""
    with pytest.raises(EngineUnavailable) as err:
        transport.socket_info(engine.path)
    line = err.value.one_line()
    assert f"Docker engine unreachable at {engine.path} (no answer)" in line
    assert "docker info" in line and "\n" not in line


@pytest.mark.parametrize("garbage", [b"hello there\r\n\r\n", b"SSH-2.0-OpenSSH_9.6\r\n"])
def test_garbage_is_not_an_http_answer(engine: FakeEngine, garbage: bytes) -> None:
    engine.answer = garbage
    with pytest.raises(EngineUnavailable, match="not an HTTP answer from") as err:
        transport.socket_info(engine.path)
    assert "\n" not in err.value.one_line()


def test_a_torn_answer_is_engine_unavailable(engine: FakeEngine) -> None:
    engine.answer = b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"Id"'
    with pytest.raises(EngineUnavailable, match="a broken HTTP answer"):
        transport.socket_info(engine.path)


def test_a_hung_engine_times_out(engine: FakeEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    engine.stall.set()
    monkeypatch.setenv("DOTBOX_ENGINE_TIMEOUT", "0.3")
    started = time.monotonic()
    with pytest.raises(EngineUnavailable, match="timed out"):
        transport.socket_info(engine.path)
    assert time.monotonic() - started < 3


def test_an_absent_engine_is_unreachable(tmp_path: Path) -> None:
    with pytest.raises(EngineUnavailable, match="Docker engine unreachable at .*nothing.sock"):
        transport.socket_info(str(tmp_path / "nothing.sock"))


@pytest.mark.parametrize(
    ("status", "kind"), [(404, NotFound), (409, Conflict), (500, EngineUnavailable)]
)
def test_the_sdk_route_keeps_the_engines_status(status: int, kind: type[Exception]) -> None:
    import docker.errors
    import requests

    from dotbox.engine import client

    response = requests.Response()
    response.status_code = status
    exc = docker.errors.APIError("boom", response=response, explanation="name in use")
    translated = client._translate("create container x", exc)
    assert type(translated) is kind and str(translated) == "create container x: name in use"
