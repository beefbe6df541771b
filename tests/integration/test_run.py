"""dotbox run: exit code and output passed through, cwd read-only unless --rw, the guard first,
the runner removed at the end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import dotbox
from dotbox.engine import client


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.run(
        [sys.executable, "-m", "dotbox", "run", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


def test_run_passes_output_and_exit_code_through(tmp_path: Path) -> None:
    (tmp_path / "count.sql").write_text("SELECT count(*) FROM runtime.block;\n")
    with dotbox.sandbox() as sb:
        sb.query("INSERT INTO runtime.block (code, title) VALUES ('C7', 'seven')")
        proc = run(
            sb.id, "--", "sh", "-c", "psql -XAtf count.sql; echo oops >&2; exit 7", cwd=tmp_path
        )
        assert (proc.returncode, proc.stdout, proc.stderr) == (7, "1\n", "oops\n")
        proc = run(sb.id, "--", "touch", "written", cwd=tmp_path)
        assert proc.returncode == 1 and "Read-only file system" in proc.stderr
        assert not (tmp_path / "written").exists()
        proc = run(sb.id, "--rw", "--", "touch", "written", cwd=tmp_path)
        assert proc.returncode == 0 and (tmp_path / "written").exists()
        proc = run(
            sb.id,
            "--tcp",
            "--",
            "python3",
            "-c",
            "import os; print(os.environ['DATABASE_URL'].split('@')[1])",
            cwd=tmp_path,
        )
        assert proc.stdout == "127.0.0.1:5432/sandbox\n"
        proc = run(sb.id, "--", "grep", "-E", "^Cap(Eff|Bnd)", "/proc/self/status", cwd=tmp_path)
        assert proc.stdout.split() == ["CapEff:", "0" * 16, "CapBnd:", "0" * 16]  # no capability
        assert sb.run(["sh", "-c", "psql -XAtc 'SELECT 1' && exit 3"]) == 3  # the Python API
        assert client.containers({"dotbox.id": sb.id, "dotbox.role": "runner"}) == []


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["postgresql://u:p@127.0.0.1:5432/db", "--", "true"], 4, "connection string"),
        (["sb-ffffffff", "--", "true"], 3, "unknown sandbox"),
    ],
)
def test_run_refuses_what_is_not_a_sandbox(
    tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    proc = run(*args, cwd=tmp_path)
    assert proc.returncode == code and message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
