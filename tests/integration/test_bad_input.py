"""Bad input: one clear line, a documented exit code, and nothing half-made in the engine."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import unique
from tests.integration.conftest import run_cli, run_root


@pytest.fixture(scope="module")
def foreign_container() -> Iterator[str]:
    """A container of the test's own, without dotbox's labels."""
    name = unique("not-a-dotbox-sandbox")
    subprocess.run(["docker", "rm", "-f", name], capture_output=True)
    subprocess.run(
        [
            "docker",
            "run",
            "-d",
            "--name",
            name,
            "--network",
            "none",
            "dotbox/base:pg17",
            "sleep",
            "300",
        ],
        check=True,
        capture_output=True,
    )
    yield name
    subprocess.run(["docker", "rm", "-f", name], check=True, capture_output=True)


def files(tmp: Path) -> dict[str, Path]:
    (tmp / "empty.sql").write_text("")
    (tmp / "garbage.sql").write_text("this is not SQL at all;\n")
    (tmp / "binary.sql").write_bytes(b"\x00\x01\x02PNG")
    return {k: tmp / f"{k}.sql" for k in ("empty", "garbage", "binary", "missing")}


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["create", "--snapshot", "no-such-snapshot"], 3, "unknown snapshot 'no-such-snapshot'"),
        (["create", "--name", "Bad Name!"], 2, "invalid sandbox name 'Bad Name!'"),
        (["create", "--name", "../../etc"], 2, "invalid sandbox name"),
        (["create", "--ttl", "forever"], 2, "invalid TTL 'forever'"),
        (["show", "sb-00000000"], 3, "unknown sandbox 'sb-00000000'"),
        (["drop", "sb-00000000"], 3, "unknown sandbox 'sb-00000000'"),
        (["drop", "{foreign}"], 4, "not a dotbox sandbox"),
        (["show", "{foreign}"], 4, "not a dotbox sandbox"),
        (["drop", "postgresql://u:p@10.0.0.1/db"], 4, "looks like a connection string"),
        (["drop", "host=db.example user=x"], 4, "looks like a connection string"),
        (["drop"], 2, "name the sandboxes to drop"),
        (["snapshot", "import", "{missing}", "--name", "x"], 2, "does not exist"),
        (["snapshot", "import", "{empty}", "--name", "x"], 2, "is empty"),
        (["snapshot", "import", "{garbage}", "--name", "x"], 2, "garbage.sql:1: not valid SQL"),
        (["snapshot", "import", "{binary}", "--name", "x"], 2, "NUL bytes"),
        (["snapshot", "import", "{garbage}", "--name", "Bad/Name"], 2, "invalid snapshot name"),
        (["snapshot", "show", "nope"], 3, "unknown snapshot 'nope'"),
    ],
)
def test_bad_input_is_one_line_with_exit_code_and_leaves_nothing(
    args: list[str],
    code: int,
    message: str,
    tmp_path: Path,
    foreign_container: str,
    unchanged_engine: None,
) -> None:
    paths = files(tmp_path)
    names = {"foreign": foreign_container, **{k: str(v) for k, v in paths.items()}}
    argv = [a.format(**names) for a in args]
    proc = run_cli(*argv)
    assert proc.returncode == code, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dotbox: error: "), proc.stderr
    assert message in lines[0]
    assert "Traceback" not in proc.stderr
    assert not run_root().exists() or list(run_root().iterdir()) == []


def test_foreign_container_survives_a_drop_attempt(foreign_container: str) -> None:
    run_cli("drop", foreign_container)
    state = subprocess.run(
        ["docker", "inspect", "-f", "{{.State.Running}}", foreign_container],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert state == "true"
