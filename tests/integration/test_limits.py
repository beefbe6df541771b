"""Resource limits: a sandbox that exhausts its memory or its disk fails alone; its neighbour
keeps answering with its data."""

from __future__ import annotations

import json
import os
import re
import subprocess

import psycopg
import pytest

import dotbox
from dotbox.core import limits
from dotbox.engine import client
from tests.integration.conftest import run_cli, run_root

EXHAUST_MEMORY = (
    "SELECT count(*) FROM (SELECT g, repeat('x', 100) r FROM generate_series(1, 3000000) g"
    " ORDER BY 2 DESC, 1 DESC) s"
)
FILL_DISK = "CREATE TABLE fill AS SELECT repeat('x', 1000) r FROM generate_series(1, 200000)"


def host_config(sandbox_id: str) -> dict[str, object]:
    container = client.containers({"dotbox.id": sandbox_id, "dotbox.role": "sandbox"})[0]
    out = subprocess.run(
        ["docker", "inspect", "-f", "{{json .HostConfig}}", container.id],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    config: dict[str, object] = json.loads(out)
    return config


def server_log(sandbox_id: str) -> str:
    """What the sandbox's PostgreSQL wrote to its container's stderr."""
    container = client.containers({"dotbox.id": sandbox_id, "dotbox.role": "sandbox"})[0]
    return subprocess.run(
        ["docker", "logs", container.id], capture_output=True, text=True, check=True
    ).stderr


def test_defaults_are_applied() -> None:
    with dotbox.sandbox() as sb:
        config = host_config(sb.id)
        assert config["Memory"] == limits.DEFAULT.memory_bytes
        assert config["NanoCpus"] == int(limits.DEFAULT.cpus * 1e9)
        assert config["PidsLimit"] == limits.DEFAULT.pids
        image = client.image(sb.info.image)
        assert image is not None and config["Tmpfs"] == limits.scratch(image.labels, limits.DEFAULT)
        assert config["Tmpfs"]  # the scratch tablespace's, half the memory, counted in it


def test_memory_exhaustion_kills_only_its_own_sandbox() -> None:
    with dotbox.sandbox(memory="64m") as small, dotbox.sandbox() as neighbour:
        assert host_config(small.id)["Memory"] == 64 << 20
        neighbour.query("INSERT INTO runtime.block (code, title) VALUES ('C9', 'neighbour')")
        with small.connect(autocommit=True) as conn:
            conn.execute("SET work_mem = '2GB'")
            with pytest.raises(psycopg.OperationalError, match="server closed the connection"):
                conn.execute(EXHAUST_MEMORY)  # the backend is OOM-killed inside its cgroup
        # killed by the kernel (SIGKILL) while running that query, not cancelled or refused by
        # the server: a PostgreSQL "out of memory" error or a timeout would keep the connection
        log = server_log(small.id)
        killed = re.search(r"server process \(PID \d+\) was terminated by signal 9: Killed", log)
        assert killed, log
        assert f"Failed process was running: {EXHAUST_MEMORY}" in log[killed.end() :], log
        assert neighbour.query("SELECT code FROM runtime.block") == [("C9",)]


def test_a_full_data_directory_fails_only_its_own_sandbox() -> None:
    with dotbox.sandbox(disk="96m") as small, dotbox.sandbox() as neighbour:
        config = host_config(small.id)
        assert config["Tmpfs"][limits.CAPPED_DATA] == f"size={96 << 20},mode=1777"
        assert config["Memory"] == limits.DEFAULT.memory_bytes + (96 << 20)
        neighbour.query("INSERT INTO runtime.block (code, title) VALUES ('C9', 'neighbour')")
        with pytest.raises(psycopg.errors.DiskFull, match="No space left on device"):
            small.query(FILL_DISK)
        assert small.query("SELECT 1") == [(1,)]  # the statement failed, the server did not
        assert neighbour.query("SELECT code FROM runtime.block") == [("C9",)]


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--memory", "1k", "below the minimum"),
        ("--memory", "lots", "is not a size"),
        ("--disk", "10m", "below the minimum"),
        ("--pids", "3", "below the minimum"),
        ("--cpus", "0", "between"),
    ],
)
def test_bad_limits_are_refused_and_nothing_is_made(flag: str, value: str, message: str) -> None:
    mine = {"dotbox.role": "sandbox", "dotbox.home": os.environ["DOTBOX_HOME"]}
    before = client.containers(mine)
    dirs = sorted(run_root().iterdir())
    proc = run_cli("create", flag, value)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert client.containers(mine) == before
    assert sorted(run_root().iterdir()) == dirs
