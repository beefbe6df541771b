"""Integration tests run against the real Docker engine. Under CI (CI=true) a missing engine
fails the run; elsewhere these tests are skipped with the reason."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dotbox.core.errors import EngineUnavailable
from dotbox.engine import client
from tests.conftest import under_ci


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session", autouse=True)
def docker_engine() -> None:
    try:
        client.ping()
    except EngineUnavailable as exc:
        if under_ci():
            pytest.fail(f"CI=true and the Docker engine is missing: {exc}", pytrace=False)
        pytest.skip(f"no Docker engine: {exc}")


def engine_objects() -> dict[str, set[str]]:
    """The containers, volumes, networks and images this test session made, by id: those that
    carry its DOTBOX_HOME. Everything dotbox makes is labelled with its home (baked and base
    images are shared by content and carry none), so a session never compares, and so never
    depends on, what a user or another session has on the same engine."""
    mine = f"label=dotbox.home={_home()}"

    def ids(*args: str) -> set[str]:
        out = subprocess.run(
            ["docker", *args, "-q", "--filter", mine],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return set(out.split())

    return {
        "containers": ids("ps", "-a", "--no-trunc"),
        "volumes": ids("volume", "ls"),
        "networks": ids("network", "ls", "--no-trunc"),
        "images": ids("images", "-a", "--no-trunc"),
    }


@pytest.fixture
def unchanged_engine() -> Iterator[None]:
    """The test must leave the engine holding exactly what it held before."""
    before = engine_objects()
    yield
    assert engine_objects() == before


def run_cli(*args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it: a subprocess with the test session's environment."""
    proc = subprocess.run(
        [sys.executable, "-m", "dotbox", *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=600,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"dotbox {' '.join(args)} -> {proc.returncode}: {proc.stderr}")
    return proc


def cli_json(*args: str) -> object:
    return json.loads(run_cli(*args, "--json", check=True).stdout)


def interfaces(container: str) -> list[str]:
    """Network interfaces seen inside a container, read from its own /proc."""
    out = subprocess.run(
        ["docker", "exec", container, "cat", "/proc/net/dev"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sorted(line.split(":")[0].strip() for line in out.splitlines()[2:] if ":" in line)


def _home() -> str:
    from dotbox.core import paths

    return str(paths.data_home())


def run_root() -> Path:
    return Path(os.environ["DOTBOX_RUN_DIR"])
