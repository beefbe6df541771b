"""Faults of the host rather than the engine: a full disk under DOTBOX_HOME or the run
directory, and a snapshot whose PostgreSQL major has no base image. Each is one line that
names what to do, and nothing half-made is left."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dotbox.core.errors import EXIT_CODES, BakeFailed, StorageFailed
from tests.conftest import under_ci, unique
from tests.loadgen import leftovers

DEFAULT_SQL = Path(__file__).resolve().parents[2] / "dotbox" / "data" / "default.sql"
DEADLINE = 120.0


@dataclass
class Disk:
    root: Path

    def fill(self) -> None:
        """Fill the file system to the last byte."""
        with open(self.root / "filler", "wb", buffering=0) as fh:
            for size in (65536, 4096, 1):
                try:
                    while fh.write(b"\0" * size):
                        pass
                except OSError:
                    pass
        with pytest.raises(OSError), open(self.root / "probe", "wb", buffering=0) as fh:
            fh.write(b"x")


@pytest.fixture
def small_disk() -> Iterator[Disk]:
    """A 256 KiB file system of the test's own (tmpfs; needs root)."""
    root = Path(tempfile.mkdtemp(prefix="dbxdisk-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(root)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        root.rmdir()
        reason = f"cannot mount a small tmpfs (root needed): {mounted.stderr.strip()}"
        if under_ci():
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield Disk(root)
    finally:
        subprocess.run(["umount", "-l", str(root)], check=False)
        root.rmdir()


def dotbox_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            [sys.executable, "-m", "dotbox", *args],
            capture_output=True,
            text=True,
            env=os.environ | env,
            timeout=DEADLINE,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"dotbox {' '.join(args)} hung for {DEADLINE:.0f}s")


def one_line_error(proc: subprocess.CompletedProcess[str], code: int) -> str:
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == code, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("dotbox: error: "), proc.stderr
    return lines[0]


def test_import_on_a_full_disk_fails_in_one_line_and_stores_nothing(small_disk: Disk) -> None:
    home = small_disk.root / "home"
    small_disk.fill()
    proc = dotbox_cli(
        "snapshot", "import", str(DEFAULT_SQL), "--name", "full", DOTBOX_HOME=str(home)
    )
    line = one_line_error(proc, StorageFailed.exit_code)
    assert str(home) in line and "No space left on device" in line and "df -h" in line
    listed = dotbox_cli("snapshot", "list", "--json", DOTBOX_HOME=str(home))
    assert json.loads(listed.stdout) == []
    stored = [p for p in (home / "snapshots").rglob("*") if p.is_file()]
    assert stored == [], stored  # no DDL blob, no temporary file


def test_create_with_its_ledger_on_a_full_disk_leaves_no_sandbox(small_disk: Disk) -> None:
    home, run = small_disk.root / "home", Path(os.environ["DOTBOX_RUN_DIR"])
    env = {"DOTBOX_HOME": str(home)}
    assert dotbox_cli("snapshot", "import", str(DEFAULT_SQL), "--name", "ok", **env).returncode == 0
    small_disk.fill()  # the snapshot is there; the sandbox's evidence record cannot be written
    name = unique("full-ledger")
    proc = dotbox_cli("create", "--snapshot", "ok", "--name", name, **env)
    line = one_line_error(proc, StorageFailed.exit_code)
    assert str(home / "ledgers" / f"{name}.jsonl") in line and "DOTBOX_HOME" in line
    assert json.loads(dotbox_cli("list", "--json", **env).stdout) == []
    assert leftovers(str(home), run) == {}


def test_create_with_its_socket_dir_on_a_full_disk_leaves_no_sandbox(small_disk: Disk) -> None:
    run = small_disk.root / "run"
    env = {"DOTBOX_RUN_DIR": str(run)}
    small_disk.fill()
    proc = dotbox_cli("create", "--name", unique("full-run"), **env)
    line = one_line_error(proc, StorageFailed.exit_code)
    assert str(run / unique("full-run")) in line and "DOTBOX_RUN_DIR" in line
    assert json.loads(dotbox_cli("list", "--json", **env).stdout) == []
    assert leftovers(run_dir=run) == {}


def docker_out(*args: str) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True).stdout


def test_a_major_without_a_base_image_is_one_line_naming_the_build() -> None:
    """PostgreSQL 16 has no dotbox/base:pg16 image on this engine, nor an offline recipe."""
    assert docker_out("images", "-q", "dotbox/base:pg16") == "", "needs an engine without it"
    imported = dotbox_cli("snapshot", "import", str(DEFAULT_SQL), "--name", "pg16", "--pg", "16")
    assert imported.returncode == 0, imported.stderr
    proc = dotbox_cli("create", "--snapshot", "pg16", "--name", unique("no-base"))
    # building the missing base fails, and a failed build is a failed bake: exit 6
    assert BakeFailed.exit_code == 6 and 6 in EXIT_CODES
    line = one_line_error(proc, BakeFailed.exit_code)
    assert "dotbox/base:pg16" in line
    assert "build.sh" in line or "image build" in line  # the command that makes one
    assert leftovers() == {}
    bakes = docker_out(
        "ps", "-a", "--filter", "label=dotbox.role=bake", "--format", '{{.Label "dotbox.image"}}'
    )
    assert "pg16" not in bakes
    assert docker_out("images", "-q", "dotbox/base:pg16") == ""
