"""The attacker's kit: a watched stand-in official server, the addresses by which hostile code
could name it, and the control that proves those routes exist outside dotbox.

Traffic goes only to loopback and to the stand-in (a container and network this test made)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.standin import StandIn, standin

REPO = Path(__file__).resolve().parents[2]

# Tries a TCP connection to each HOST:PORT given; prints "HOST:PORT OPEN|FAIL reason".
PROBE = """\
import socket, sys
for target in sys.argv[1:]:
    host, port = target.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=3).close()
        print(target, "OPEN")
    except OSError as exc:
        print(target, "FAIL", type(exc).__name__, exc.errno)
"""
PROBE_B64 = base64.b64encode(PROBE.encode()).decode()


@dataclass
class Official:
    """A stand-in official server under watch: what it logged and held when the test began."""

    server: StandIn
    canary: list[tuple[object, ...]] = field(default_factory=list)
    connections_before: int = 0

    @property
    def targets(self) -> list[str]:
        """Every HOST:PORT hostile code could use: the server's address, its network's gateway
        (an address of the host) with the inner and published port, the published port on
        loopback, and its container name."""
        s = self.server
        return [
            f"{s.address}:5432",
            f"{s.gateway}:{s.port}",
            f"{s.gateway}:5432",
            f"127.0.0.1:{s.port}",
            f"{s.container}:5432",
        ]

    def dsn(self, target: str) -> str:
        s = self.server
        host, port = target.rsplit(":", 1)
        return f"postgresql://{s.user}:{s.password}@{host}:{port}/{s.database}?connect_timeout=3"

    def connections(self) -> int:
        return self.server.log().count("connection received")

    def assert_untouched(self) -> None:
        assert self.connections() == self.connections_before, "the stand-in saw a connection"
        assert self.server.canary() == self.canary, "the canary changed"

    def control(self) -> None:
        """Prove the probe reaches the stand-in from a container on its own network (and then
        forget those connections: they are the control's, not the attack's)."""
        out = subprocess.run(
            ["docker", "run", "--rm", "--network", self.server.network, "--entrypoint", "sh"]
            + ["dotbox/base:pg17", "-c", f"echo {PROBE_B64} | base64 -d | python3 - $*", "p"]
            + [f"{self.server.address}:5432", f"{self.server.container}:5432"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        assert out.count(" OPEN") == 2, out
        self.connections_before = self.connections()


@contextmanager
def official_server(major: int = 17) -> Iterator[Official]:
    with standin(major) as server:
        watched = Official(server, server.canary())
        watched.connections_before = watched.connections()
        yield watched


def cli(
    *args: str, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it, importing this checkout's dotbox."""
    env = os.environ | {"PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "dotbox", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
    )


def labelled(label: str) -> list[str]:
    """Ids of containers, volumes, networks and images carrying ``label`` (KEY=VALUE)."""
    found: list[str] = []
    for kind in (["ps", "-a"], ["volume", "ls"], ["network", "ls"], ["images"]):
        out = subprocess.run(
            ["docker", *kind, "-q", "--filter", f"label={label}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        found += out.split()
    return found
