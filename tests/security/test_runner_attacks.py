"""Attacks through a runner's working directory (issue items 8 and 9): a runner that mounts a
directory holding the engine's socket drives the engine; one that mounts a directory holding
the run root reaches every sandbox's socket and password. Each route is shown to work without
dotbox (a plain ``docker run`` with the same mount), and to be closed through ``dotbox run``."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import dotbox
from dotbox.core import paths
from dotbox.engine import client
from tests.security.attack import REPO, Official, cli

BASE = "dotbox/base:pg17"
REFUSED = 4

# Connects to each Unix socket path given; prints "PATH OPEN|FAIL reason". Never sends a byte.
UNIX_PROBE = """\
import socket, sys
for path in sys.argv[1:]:
    try:
        s = socket.socket(socket.AF_UNIX); s.settimeout(3); s.connect(path); s.close()
        print(path, "OPEN")
    except OSError as exc:
        print(path, "FAIL", type(exc).__name__)
"""


def plain_run(mount: str, script: str) -> str:
    """What a container without dotbox's defences sees: network none, ``mount`` at /work
    read-only (the mount dotbox's runner made on main), running ``script`` in sh."""
    return subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "-v", f"{mount}:/work:ro"]
        + ["--entrypoint", "sh", BASE, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout


def runners(sandbox_id: str) -> list[client.ContainerInfo]:
    return client.containers({"dotbox.id": sandbox_id, "dotbox.role": "runner"})


def assert_refused(proc: subprocess.CompletedProcess[str], sandbox_id: str) -> None:
    assert proc.returncode == REFUSED, proc.stderr
    line = proc.stderr.strip()
    assert len(line.splitlines()) == 1 and "cd into your project directory" in line, line
    assert runners(sandbox_id) == []


@pytest.fixture
def sandbox() -> Iterator[dotbox.Sandbox]:
    with dotbox.sandbox() as sb:
        yield sb


def test_run_from_root_cannot_reach_the_engine(official: Official, sandbox: dotbox.Sandbox) -> None:
    official.control()
    # Without the defence: a read-only mount of / holds the engine's socket (stat only).
    seen = plain_run("/", "test -S /work/run/docker.sock && echo SOCKET")
    assert seen == "SOCKET\n"
    for cwd in ("/", "/run", "/var/run", "/var"):
        assert_refused(cli("run", sandbox.id, "--", "true", cwd=Path(cwd)), sandbox.id)


def test_run_from_above_or_inside_the_run_root_is_refused(
    official: Official, sandbox: dotbox.Sandbox
) -> None:
    official.control()
    root = paths.run_root()
    # Without the defence: a mount of the run root's parent holds the sandbox's socket.
    seen = plain_run(
        str(root.parent),
        f"test -S /work/{root.name}/{sandbox.id}/sock/.s.PGSQL.5432 && echo SOCKET",
    )
    assert seen == "SOCKET\n"
    for cwd in (root.parent, root, root / sandbox.id, root / sandbox.id / "sock", Path("/tmp")):
        assert_refused(cli("run", sandbox.id, "--", "true", cwd=cwd), sandbox.id)
    home = paths.data_home()
    for cwd in (home, home.parent):
        assert_refused(cli("run", sandbox.id, "--", "true", cwd=cwd), sandbox.id)


def test_a_runner_cannot_reach_another_sandbox(official: Official, tmp_path: Path) -> None:
    official.control()
    root = paths.run_root()
    with dotbox.sandbox() as mine, dotbox.sandbox() as other:
        other_dir = root / other.id
        password = (other_dir / "password").read_text()
        # Control: the other sandbox answers on the host with its own credentials.
        assert other.query("SELECT 1") == [(1,)]
        # Without the defence: a mount of the run root's parent reaches the other sandbox.
        steal = (
            f"PGPASSWORD=$(cat /work/{root.name}/{other.id}/password)"
            f" psql -X -At -h /work/{root.name}/{other.id}/sock -U sandbox -d sandbox"
            " -c 'SELECT 42'"
        )
        assert plain_run(str(root.parent), steal) == "42\n"
        assert_refused(cli("run", mine.id, "--", "sh", "-c", steal, cwd=root.parent), mine.id)
        # Through dotbox, from a project directory: neither the other's socket nor its password.
        attempt = (
            f"ls {root} {other_dir}; cat {other_dir}/password;"
            f" PGPASSWORD='{password}' psql -X -At -h {other_dir}/sock -U sandbox -d sandbox"
            " -c 'SELECT 42'; echo exit=$?"
        )
        proc = cli("run", mine.id, "--", "sh", "-c", attempt, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == "exit=2", proc.stdout
        assert password not in proc.stdout + proc.stderr
        assert "No such file or directory" in proc.stderr
        assert other.query("SELECT 1") == [(1,)]
        assert runners(mine.id) == []


def test_a_runner_script_cannot_reach_the_engine_socket(
    official: Official, sandbox: dotbox.Sandbox, tmp_path: Path
) -> None:
    official.control()
    sockets = ["/var/run/docker.sock", "/run/docker.sock", "/work/run/docker.sock"]
    # Without the defence: the socket is there to connect to (stat only: the engine is not
    # driven).
    assert plain_run("/", "test -S /work/run/docker.sock && echo SOCKET") == "SOCKET\n"
    proc = cli("run", sandbox.id, "--", "python3", "-c", UNIX_PROBE, *sockets, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 3 and all(" FAIL FileNotFoundError" in line for line in lines), lines
    assert runners(sandbox.id) == []


def test_the_password_reaches_the_runner_as_a_private_file_only(
    official: Official, sandbox: dotbox.Sandbox, tmp_path: Path
) -> None:
    official.control()
    password_file = paths.run_root() / sandbox.id / "password"
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    password = password_file.read_text()
    command = ["run", sandbox.id, "--", "sh", "-c", "stat -c %a /run/dotbox/password; sleep 2"]
    env = os.environ | {"PYTHONPATH": str(REPO)}
    with subprocess.Popen(
        [sys.executable, "-m", "dotbox", *command],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        deadline = time.monotonic() + 30
        while not (running := runners(sandbox.id)) and time.monotonic() < deadline:
            time.sleep(0.05)
        inspected = subprocess.run(
            ["docker", "inspect", running[0].id], capture_output=True, text=True, check=True
        ).stdout
        out, err = proc.communicate(timeout=60)
    assert (proc.returncode, out) == (0, "600\n"), err
    assert password not in inspected and "/run/dotbox/password" in inspected
    assert runners(sandbox.id) == []
