"""A Unix-socket proxy in front of the Docker engine that can "kill" it, for fault tests.

dotbox is pointed at the proxy with ``DOCKER_HOST=unix://PROXY``; the real engine is never
touched. The proxy forwards bytes both ways untouched and can be *cut*: its listener and every
connection it holds are closed at once, so a client sees exactly what it sees when dockerd dies
(connections reset, new connections refused). It cuts on command or when it sees a request
that matches a rule:

- ``when="before"``: the matching request is never forwarded (the engine died before it);
- ``when="after"``: the request is forwarded and the proxy cuts as soon as the engine starts to
  answer, before any byte of the answer reaches the client (the engine did it, then died);
- ``when="stall"``: from that request on nothing more is forwarded, connections stay open
  (the engine hangs).

``restart()`` listens again on the same path ("the engine came back"). ``stall()`` keeps every
connection open but forwards nothing more (an engine that hangs).
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

ENGINE = "/var/run/docker.sock"
_REQUEST_LINE = re.compile(rb"(?:^|\r\n)([A-Z]+) (\S+) HTTP/1\.[01]\r\n")


@dataclass(frozen=True)
class Rule:
    method: str  # "POST"
    path: str  # a regular expression searched in the request path, e.g. r"/containers/create"
    when: str = "before"  # or "after", "stall"
    armed_by: str | None = None  # the rule holds only once a request matching this was seen

    def matches(self, method: str, path: str, seen: list[tuple[str, str]]) -> bool:
        armed = self.armed_by is None or any(re.search(self.armed_by, p) for _, p in seen)
        return armed and method == self.method and re.search(self.path, path) is not None


class _Link:
    """One client connection and its upstream connection to the engine."""

    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.client, self.upstream = client, upstream
        self.cut_on_answer = False

    def close(self) -> None:
        for s in (self.client, self.upstream):
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            with suppress(OSError):
                s.close()


class FaultProxy:
    def __init__(self, path: Path, upstream: str = ENGINE) -> None:
        self.path, self.upstream = path, upstream
        self.rules: list[Rule] = []
        self.seen: list[tuple[str, str]] = []  # (method, path) of every request forwarded
        self.cuts = 0  # how many times the engine "died"
        self.fired: Rule | None = None
        self._links: set[_Link] = set()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._stalled = False

    @property
    def docker_host(self) -> str:
        return f"unix://{self.path}"

    @property
    def up(self) -> bool:
        return self._listener is not None

    def start(self) -> FaultProxy:
        self.path.unlink(missing_ok=True)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(self.path))
        listener.listen(64)
        self._listener, self._stalled = listener, False
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def restart(self) -> FaultProxy:
        """The engine comes back (after dying, or after hanging: it is cut first)."""
        self.cut()
        return self.start()

    def cut_on(
        self, method: str, path: str, *, when: str = "before", armed_by: str | None = None
    ) -> None:
        """Cut the next time a request ``method`` ``path`` (a regex) goes through (once a
        request whose path matches ``armed_by`` has gone through, if given)."""
        assert when in ("before", "after", "stall")
        with self._lock:
            self.rules.append(Rule(method, path, when, armed_by))

    def cut(self) -> None:
        """The engine dies: stop listening and drop every connection."""
        with self._lock:
            listener, self._listener = self._listener, None
            links, self._links = set(self._links), set()
            self.rules.clear()
            self.cuts += 1 if listener is not None and not self._stalled else 0
        if listener is not None:
            with suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        for link in links:
            link.close()

    def stall(self) -> None:
        """The engine hangs: connections stay open, nothing more is forwarded either way."""
        self._stalled = True

    def close(self) -> None:
        self.cut()
        self.path.unlink(missing_ok=True)

    # ---- plumbing ------------------------------------------------------------------------

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                upstream.connect(self.upstream)
            except OSError:
                client.close()
                continue
            link = _Link(client, upstream)
            with self._lock:
                if self._listener is not listener:
                    link.close()
                    return
                self._links.add(link)
            threading.Thread(target=self._to_engine, args=(link,), daemon=True).start()
            threading.Thread(target=self._to_client, args=(link,), daemon=True).start()

    def _to_engine(self, link: _Link) -> None:
        while True:
            try:
                data = link.client.recv(65536)
            except OSError:
                return
            if not data:
                with suppress(OSError):
                    link.upstream.shutdown(socket.SHUT_WR)
                return
            for m in _REQUEST_LINE.finditer(data):
                method, path = m.group(1).decode(), m.group(2).decode("latin-1")
                rule = self._match(method, path)
                if rule is not None and rule.when == "before":
                    self.cut()
                    return
                if rule is not None and rule.when == "stall":
                    self.stall()
                elif rule is not None:
                    link.cut_on_answer = True
                self.seen.append((method, path))
            if not self._send(link.upstream, data):
                return

    def _to_client(self, link: _Link) -> None:
        while True:
            try:
                data = link.upstream.recv(65536)
            except OSError:
                return
            if not data:
                with suppress(OSError):
                    link.client.shutdown(socket.SHUT_WR)
                return
            if link.cut_on_answer:
                self.cut()
                return
            if not self._send(link.client, data):
                return

    def _send(self, sock: socket.socket, data: bytes) -> bool:
        while self._stalled:
            if sock.fileno() < 0:
                return False
            threading.Event().wait(0.05)
        try:
            sock.sendall(data)
        except OSError:
            return False
        return True

    def _match(self, method: str, path: str) -> Rule | None:
        with self._lock:
            for rule in self.rules:
                if rule.matches(method, path, self.seen):
                    self.rules.remove(rule)
                    self.fired = rule
                    return rule
        return None


@contextmanager
def fault_proxy(directory: Path) -> Iterator[FaultProxy]:
    proxy = FaultProxy(directory / "engine.sock").start()
    try:
        yield proxy
    finally:
        proxy.close()
