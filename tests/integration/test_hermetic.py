"""The test suite shares an engine with its user and leaves the user's things alone: a sandbox
the user made in their default DOTBOX_HOME (expired, so any gc of that home would drop it), and a
container and a network dotbox never made, all exist before a run of the suite's most sweeping
tests (gc, drop --all, homes) and are there, untouched, after it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO, unique

SWEEPING = [
    "tests/integration/test_gc.py",
    "tests/integration/test_homes.py",
    "tests/integration/test_cli_list.py",
]


def docker(*args: str) -> str:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, check=True
    ).stdout.strip()


@dataclass
class User:
    """A user of this machine: a home directory of their own (so dotbox's defaults apply:
    ``~/.local/share/dotbox`` and ``$XDG_RUNTIME_DIR/dotbox``), one sandbox there, and a
    container and a network of their own that dotbox did not make."""

    env: dict[str, str]
    sandbox: str
    container: str
    network: str

    def dotbox(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dotbox", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    def state(self) -> dict[str, str]:
        return {
            "container": docker("inspect", "-f", "{{.Id}} {{.State.Running}}", self.container),
            "network": docker("network", "inspect", "-f", "{{.Id}}", self.network),
            "sandbox": docker(
                "inspect",
                "-f",
                "{{.Id}} {{.State.Running}}",
                f"dotbox-{self.sandbox}",
            ),
        }


@pytest.fixture
def user() -> Iterator[User]:
    root = Path(tempfile.mkdtemp(prefix="dbx-u"))  # short: socket paths must fit 107 bytes
    (root / "home").mkdir()
    (root / "xdg").mkdir(mode=0o700)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DOTBOX_HOME", "DOTBOX_RUN_DIR", "XDG_DATA_HOME", "PYTEST_ADDOPTS")
        and not k.startswith("PYTEST_XDIST")
    }
    env.update(HOME=str(root / "home"), XDG_RUNTIME_DIR=str(root / "xdg"))
    u = User(env, unique("users-own"), unique("users-container"), unique("users-net"))
    docker("network", "create", "--internal", u.network)
    docker(
        "run", "-d", "--name", u.container, "--network", u.network,
        "dotbox/base:pg17", "sleep", "600",
    )  # fmt: skip
    try:
        made = u.dotbox("create", "--name", u.sandbox, "--ttl", "1s", "--json")
        assert made.returncode == 0, made.stderr
        time.sleep(1.5)  # past its TTL: garbage to its own home's gc
        yield u
    finally:
        u.dotbox("drop", u.sandbox)
        subprocess.run(["docker", "rm", "-f", u.container], capture_output=True)
        subprocess.run(["docker", "network", "rm", u.network], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def test_the_suite_leaves_a_users_sandbox_container_and_network_alone(user: User) -> None:
    listed = json.loads(user.dotbox("list", "--json").stdout)
    assert [s["id"] for s in listed] == [user.sandbox]  # the user's default home holds it
    before = user.state()

    suite = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SWEEPING],
        cwd=REPO,
        env=user.env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert suite.returncode == 0, suite.stdout[-3000:]
    assert " passed" in suite.stdout and " failed" not in suite.stdout

    assert user.state() == before
    assert user.dotbox("run", user.sandbox, "--", "psql", "-Atc", "SELECT 1").stdout == "1\n"
    # the control: the sandbox was garbage all along, and its own home's gc says so
    planned = json.loads(user.dotbox("gc", "--dry-run", "--json").stdout)
    assert any(a["target"] == user.sandbox for a in planned), planned
