"""A create killed at its last step leaves a sandbox that is never 'ready' and that gc removes.

The moment is made exact from outside the product: create talks to the engine through a proxy
that holds (forwards nothing more from) the read-back of the started container, which create
makes after the server answered and the bootstrap took, just before its ready marker."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import dotbox
from dotbox.maintenance import janitor
from dotbox.sandboxes import lifecycle
from tests.faultproxy import FaultProxy, fault_proxy


@pytest.fixture
def proxy() -> Iterator[FaultProxy]:
    directory = Path(tempfile.mkdtemp(prefix="dbxcs-"))  # short: a socket path fits 107 bytes
    with fault_proxy(directory) as p:
        yield p
    directory.rmdir()


def test_create_killed_before_ready_is_never_ready_and_gc_removes_it(proxy: FaultProxy) -> None:
    name = f"killed-{secrets.token_hex(3)}"
    proxy.cut_on("GET", r"/containers/[^/]+/json", when="stall", armed_by=r"/containers/.+/start")
    env = os.environ | {"DOCKER_HOST": proxy.docker_host, "DOTBOX_READY_DEADLINE": "2"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dotbox", "create", "--name", name],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while proxy.fired is None:  # create is held at its read-back, after the bootstrap
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        info = lifecycle.info_of(lifecycle.resolve(name))
        assert (info.socket_dir / ".s.PGSQL.5432").exists()  # the server was up and answering
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert dotbox.get(name).info.state == "creating"
        time.sleep(8)  # past ready-by (2 s + 5 s slack)
        assert dotbox.get(name).info.state == "broken"
        actions = janitor.plan_and_run()
        assert any(a.target == name and a.done for a in actions)
        assert [s for s in dotbox.list_sandboxes() if s.id == name] == []
    finally:
        proc.kill()
        subprocess.run([sys.executable, "-m", "dotbox", "drop", name], capture_output=True)
