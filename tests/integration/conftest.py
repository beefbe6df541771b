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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session", autouse=True)
def docker_engine() -> None:
    try:
        client.ping()
    except EngineUnavailable as exc:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI=true and the Docker engine is missing: {exc}", pytrace=False)
        pytest.skip(f"no Docker engine: {exc}")


def engine_objects() -> dict[str, set[str]]:
    """Every container, image, volume and network the engine holds, by id.

    With DOTBOX_TEST_SHARED_ENGINE=1 (several test sessions on one engine, never in CI) only
    the containers this session's DOTBOX_HOME made are compared.
    """

    def ids(*args: str) -> set[str]:
        out = subprocess.run(
            ["docker", *args, "-q", "--no-trunc"], capture_output=True, text=True, check=True
        ).stdout
        return set(out.split())

    if os.environ.get("DOTBOX_TEST_SHARED_ENGINE") == "1":
        mine = f"label=dotbox.home={_home()}"
        return {
            "containers": ids("ps", "-a", "--filter", mine),
            "volumes": set(
                subprocess.run(
                    ["docker", "volume", "ls", "-q", "--filter", mine],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout.split()
            ),
        }

    return {
        "containers": ids("ps", "-a"),
        "images": ids("images", "-a"),
        "volumes": set(
            subprocess.run(
                ["docker", "volume", "ls", "-q"], capture_output=True, text=True, check=True
            ).stdout.split()
        ),
        "networks": ids("network", "ls"),
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
