"""The engine dies during create and during drop, hangs, or is not there at all. dotbox is
pointed at a proxy in front of the real engine (tests/faultproxy.py) that "kills" it by closing
every connection; the real dockerd is never touched. Each fault must give one line and exit 5
within a deadline; once the engine is back, 'list' tells the truth (a half-made sandbox is
creating or broken, never ready) and 'gc' or 'drop' leaves nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from dotbox.core.errors import EngineUnavailable
from dotbox.core.labels import Label
from dotbox.engine import client
from tests.conftest import unique
from tests.faultproxy import FaultProxy, fault_proxy
from tests.loadgen import leftovers

DEADLINE = 60.0  # seconds any one CLI call may take before the test calls it a hang


@pytest.fixture
def proxy() -> Iterator[FaultProxy]:
    directory = Path(tempfile.mkdtemp(prefix="dbxfp-"))  # short: a socket path fits 107 bytes
    with fault_proxy(directory) as p:
        yield p
    directory.rmdir()


def dotbox_cli(
    *args: str, docker_host: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    full_env = os.environ | env
    if docker_host:
        full_env["DOCKER_HOST"] = docker_host
    try:
        return subprocess.run(
            [sys.executable, "-m", "dotbox", *args],
            capture_output=True,
            text=True,
            env=full_env,
            timeout=DEADLINE,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"dotbox {' '.join(args)} hung for {DEADLINE:.0f}s")


def assert_one_line_error(proc: subprocess.CompletedProcess[str], code: int) -> str:
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == code, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("dotbox: error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


def states(docker_host: str) -> dict[str, str]:
    proc = dotbox_cli("list", "--json", docker_host=docker_host)
    assert proc.returncode == 0, proc.stderr
    return {s["id"]: s["state"] for s in json.loads(proc.stdout)}


def collect(docker_host: str) -> list[dict[str, object]]:
    """Run 'dotbox gc' (it acts on this session's home only) and return its actions, none of
    which may have failed."""
    proc = dotbox_cli("gc", "--json", docker_host=docker_host)
    assert proc.returncode == 0, proc.stderr
    actions: list[dict[str, object]] = json.loads(proc.stdout)
    assert [a for a in actions if a["error"]] == []
    return actions


def wait_past_ready_by(name: str) -> None:
    """Sleep until the sandbox's create deadline (its ready-by label) has passed."""
    (container,) = client.containers({Label.ID: name})
    ready_by = datetime.fromisoformat(container.labels[Label.READY_BY])
    time.sleep(max(0.0, ready_by.timestamp() - time.time()) + 1)


READ_BACK = r"/containers/[0-9a-f]{64}/json"  # create reads its new container back
# the sandbox's name (with the session's suffix): the request the engine dies at (armed by a
# request)
CREATE_FAULTS = {
    "before-container-create": ("POST", r"/containers/create", "before", None),
    "after-container-create": ("POST", r"/containers/create", "after", None),
    "before-start": ("POST", r"/containers/[^/]+/start", "before", None),
    "after-start": ("POST", r"/containers/[^/]+/start", "after", None),
    # the server answered, the ready marker is written; create reads its container back (the
    # runner's verify judges that read-back: it asks the engine nothing more)
    "at-read-back": ("GET", READ_BACK, "before", None),
}


@pytest.mark.parametrize("fault", list(CREATE_FAULTS))
def test_engine_dies_during_create(proxy: FaultProxy, fault: str) -> None:
    method, path, when, armed_by = CREATE_FAULTS[fault]
    name = unique(fault)
    proxy.cut_on(method, path, when=when, armed_by=armed_by)
    proc = dotbox_cli(
        "create", "--name", name, docker_host=proxy.docker_host, DOTBOX_READY_DEADLINE="1"
    )
    assert proxy.cuts == 1, f"the fault was not injected: {proxy.seen}"
    line = assert_one_line_error(proc, EngineUnavailable.exit_code)
    assert "Docker engine unreachable" in line and proxy.docker_host in line

    proxy.restart()  # the engine is back
    made = name in {c.labels[Label.ID] for c in client.containers({Label.ID: name})}
    # a half-made sandbox is creating (or broken: its server found no socket directory), never
    # ready; a sandbox the engine never made is not listed at all
    assert states(proxy.docker_host).get(name) in (("creating", "broken") if made else (None,))
    if made:
        wait_past_ready_by(name)
        assert states(proxy.docker_host)[name] == "broken"
    actions = collect(proxy.docker_host)
    if made:
        assert any(a["target"] == name and a["done"] for a in actions), actions
    assert name not in states(proxy.docker_host)
    assert leftovers() == {}


def test_engine_dies_before_drop_removes_anything(proxy: FaultProxy) -> None:
    name = unique("eng-drop-before")
    assert dotbox_cli("create", "--name", name, docker_host=proxy.docker_host).returncode == 0
    proxy.cut_on("DELETE", r"/containers/", when="before")
    proc = dotbox_cli("drop", name, docker_host=proxy.docker_host)
    assert proxy.cuts == 1
    assert_one_line_error(proc, EngineUnavailable.exit_code)

    proxy.restart()
    # nothing was removed, and list says so: the sandbox is still there and still answers
    assert states(proxy.docker_host)[name] == "ready"
    query = dotbox_cli("run", name, "--", "psql", "-Atc", "SELECT 1", docker_host=proxy.docker_host)
    assert query.stdout.strip() == "1", query.stderr
    assert dotbox_cli("drop", name, docker_host=proxy.docker_host).returncode == 0
    assert leftovers() == {}


def test_engine_dies_after_removing_the_container_during_drop(proxy: FaultProxy) -> None:
    name = unique("eng-drop-after")
    assert dotbox_cli("create", "--name", name, docker_host=proxy.docker_host).returncode == 0
    proxy.cut_on("DELETE", r"/containers/", when="after")
    proc = dotbox_cli("drop", name, docker_host=proxy.docker_host)
    assert proxy.cuts == 1
    assert_one_line_error(proc, EngineUnavailable.exit_code)

    proxy.restart()
    assert name not in states(proxy.docker_host)  # the container went before the engine died
    left = leftovers()
    assert set(left) <= {"socket dirs"}, left  # what drop did not get to: its directory
    actions = collect(proxy.docker_host)
    assert any(a["kind"] == "directory" and name in str(a["target"]) for a in actions), actions
    assert leftovers() == {}


def test_engine_hangs_during_create(proxy: FaultProxy) -> None:
    name = unique("eng-hang")
    proxy.cut_on("POST", r"/containers/create", when="stall")
    proc = dotbox_cli(
        "create", "--name", name, docker_host=proxy.docker_host, DOTBOX_ENGINE_TIMEOUT="3"
    )
    line = assert_one_line_error(proc, EngineUnavailable.exit_code)
    assert "timed out" in line.lower()
    proxy.restart()
    assert name not in states(proxy.docker_host)
    assert leftovers() == {}


@pytest.mark.parametrize("command", [["create"], ["list"], ["drop", "nobody"], ["gc"]])
def test_engine_down(command: list[str], tmp_path: Path) -> None:
    dead = f"unix://{tmp_path}/no-client.sock"
    proc = dotbox_cli(*command, docker_host=dead)
    line = assert_one_line_error(proc, EngineUnavailable.exit_code)
    assert dead in line and "docker info" in line  # which engine, and what to do
    assert leftovers() == {}
