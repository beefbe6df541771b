"""CLI comfort against the real engine: `dotbox list` (the API's answer, no heavy
import), `dotbox psql` (piped and at a terminal), shell completion of sandbox ids
(through bash itself), and create taking its defaults from the configuration."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import dotbox
from dotbox import api
from dotbox.engine import client
from tests.integration.conftest import run_cli

REPO = Path(__file__).resolve().parents[2]


def cli_env() -> dict[str, str]:
    """This session's environment (its DOTBOX_HOME), read when a test runs."""
    return os.environ | {"PYTHONPATH": str(REPO)}


@pytest.fixture(scope="module")
def sb() -> Iterator[dotbox.Sandbox]:
    with dotbox.sandbox() as sandbox:
        yield sandbox


def runners(sandbox_id: str) -> list[str]:
    found = client.containers({"dotbox.role": "runner", "dotbox.id": sandbox_id})
    return [c.name for c in found]


def psql(sandbox_id: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dotbox", "psql", sandbox_id, "--", *args],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=120,
    )


def test_list_json_is_the_api_answer(sb: dotbox.Sandbox) -> None:
    listed = json.loads(run_cli("list", "--json", check=True).stdout)
    assert sb.id in [s["id"] for s in listed]
    # the API's record, and where a client on this host connects (host and port)
    where = [{k: s.pop(k) for k in ("host", "port")} for s in listed]
    assert listed == [s.as_json() for s in api.list_sandboxes()]
    assert where[[s["id"] for s in listed].index(sb.id)] == {
        "host": str(sb.info.socket_dir),
        "port": 5432,
    }
    text = run_cli("list", check=True).stdout
    assert any(line.startswith(sb.id) and " ready " in line for line in text.splitlines())


def test_list_imports_neither_docker_sdk_nor_pydantic_nor_psycopg(sb: dotbox.Sandbox) -> None:
    code = (
        "import sys, atexit\n"
        "heavy = ('docker', 'pydantic', 'psycopg', 'requests')\n"
        "atexit.register(lambda: print('HEAVY', sorted(m for m in heavy if m in sys.modules)))\n"
        "sys.argv = ['dotbox', 'list']\n"
        "from dotbox.cli.toplevel import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=cli_env()
    )
    assert done.returncode == 0, done.stderr
    assert sb.id in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "HEAVY []"


def test_psql_passes_output_and_exit_code_through(sb: dotbox.Sandbox) -> None:
    sb.query("INSERT INTO runtime.block (code, title) VALUES ('P1', 'from psql')")
    ok = psql(sb.id, "-XAt", "-c", "SELECT title FROM runtime.block WHERE code = 'P1'")
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "from psql\n", "")
    bad = psql(sb.id, "-X", "-c", "SELECT nope")
    assert bad.returncode == 1 and 'column "nope" does not exist' in bad.stderr
    assert bad.stdout == ""
    script = "SELECT 40 + 2;\nSELECT 1/0;\nSELECT 'not reached';\n"
    piped = psql(sb.id, "-XAt", "-v", "ON_ERROR_STOP=1", stdin=script)
    assert piped.returncode == 3  # psql's own code for a script stopped by an error
    assert piped.stdout == "42\n" and "division by zero" in piped.stderr
    assert runners(sb.id) == []


def test_psql_refuses_what_is_not_a_sandbox() -> None:
    done = psql("postgresql://u:p@10.0.0.1/db", "-c", "select 1")
    assert done.returncode == 4 and "looks like a connection string" in done.stderr


def test_psql_at_a_terminal_is_interactive_and_follows_its_size(sb: dotbox.Sandbox) -> None:
    pid, fd = pty.fork()
    if pid == 0:  # the child: dotbox psql on a terminal of 40 rows, 100 columns
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
        os.execve(
            sys.executable, [sys.executable, "-m", "dotbox", "psql", sb.id, "--", "-X"], cli_env()
        )
    seen = b""

    def until(token: bytes) -> bool:
        nonlocal seen
        deadline = time.monotonic() + 60
        while token not in seen and time.monotonic() < deadline:
            if select.select([fd], [], [], 0.5)[0]:
                try:
                    seen += os.read(fd, 4096)
                except OSError:
                    break
        return token in seen

    try:
        assert until(b"sandbox=>"), seen
        os.write(fd, b"SELECT 6 * 7 AS answer;\n")
        assert until(b"42"), seen
        os.write(fd, b"\\! stty size\n")
        assert until(b"40 100"), seen  # the runner's terminal has the size of ours
        os.write(fd, b"\\q\n")
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0
    assert runners(sb.id) == []


def test_bash_completes_sandbox_ids(sb: dotbox.Sandbox, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "dotbox"
    wrapper.write_text(f'#!/bin/sh\nexec {sys.executable} -m dotbox "$@"\n')
    wrapper.chmod(0o755)
    env = cli_env() | {
        "HOME": str(home),
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "SHELL": "bash",
    }
    bash = shutil.which("bash")
    assert bash
    # typer finds the shell to install for among its parent processes: run it from bash (a
    # second command keeps bash from exec'ing the first, so bash stays its parent).
    installed = subprocess.run(
        [bash, "--norc", "-c", "dotbox --install-completion && :"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert installed.returncode == 0, installed.stderr
    script = home / ".bash_completions" / "dotbox.sh"
    assert str(script) in (home / ".bashrc").read_text()
    prefix = sb.id[:5]
    probe = (
        f"source {script}\n"
        f"COMP_WORDS=(dotbox show {prefix}); COMP_CWORD=2; _dotbox_completion dotbox\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run([bash, "--norc", "-c", probe], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    offered = done.stdout.split()
    assert sb.id in offered and all(o.startswith(prefix) for o in offered)
    assert offered == sorted(s.id for s in api.list_sandboxes() if s.id.startswith(prefix))


def test_create_takes_its_defaults_from_the_configuration(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.dotbox]\nttl = "7m"\nmemory = "300m"\n')
    env = cli_env() | {"DOTBOX_MEMORY": "320m"}
    env.pop("DOTBOX_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-m", "dotbox", "create", "--json", "--cpus", "0.5"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    made = json.loads(done.stdout)
    try:
        container = client.containers({"dotbox.id": made["id"], "dotbox.role": "sandbox"})[0]
        limits = json.loads(container.labels["dotbox.limits"])
        assert limits["memory_bytes"] == 320 << 20  # the variable beats the file
        assert limits["cpus"] == 0.5  # the flag beats both
        created = container.labels["dotbox.created"]
        lifetime = dotbox.get(made["id"]).info.expires - dotbox.get(made["id"]).info.created
        assert lifetime.total_seconds() == 7 * 60, created  # from the file
    finally:
        dotbox.drop(made["id"])
    bad = subprocess.run(
        [sys.executable, "-m", "dotbox", "create"],
        capture_output=True,
        text=True,
        env=env | {"DOTBOX_TTL": "forever"},
        cwd=tmp_path,
    )
    assert bad.returncode == 2
    assert bad.stderr.startswith("dotbox: error: DOTBOX_TTL invalid TTL 'forever' (allowed:")


def test_pool_fill_takes_its_size_from_the_configuration(tmp_path: Path) -> None:
    (tmp_path / "dotbox.toml").write_text("pool_size = 1\n")
    env = cli_env()
    env.pop("DOTBOX_POOL_SIZE", None)
    env.pop("DOTBOX_CONFIG", None)
    dotbox_cmd = [sys.executable, "-m", "dotbox"]
    try:
        done = subprocess.run(
            [*dotbox_cmd, "pool", "fill", "--json"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        status = json.loads(done.stdout)["status"]
        assert (status["size"], status["ready"]) == (1, 1)
    finally:
        subprocess.run([*dotbox_cmd, "pool", "drain"], capture_output=True, env=env, cwd=tmp_path)
