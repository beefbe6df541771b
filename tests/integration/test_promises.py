"""Promises of the README that had no test: a runner removed on Ctrl-C, a drop removing the
sandbox's runners, a ledger whose id is used again continuing the same chain. Each on the real
engine, read back from the engine's labels; names carry this session's suffix."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dotbox import evidence
from tests.integration.conftest import cli_json, run_cli
from tests.pytest_runs import terminal_signals

SUFFIX = uuid.uuid4().hex[:6]
STARTED = "started"
# Prints a line once the command runs inside the runner, then sleeps until it is ended.
SLEEPER = ["sh", "-c", f"echo {STARTED}; exec sleep 300"]


def containers(sandbox_id: str, role: str | None = None) -> list[str]:
    """Ids of the containers the engine holds with dotbox's label for ``sandbox_id`` (and
    ``role``), running or not: read with the docker CLI, not with dotbox's own code."""
    labels = ["dotbox.managed-by=dotbox", f"dotbox.id={sandbox_id}"]
    if role is not None:
        labels.append(f"dotbox.role={role}")
    filters = [arg for label in labels for arg in ("--filter", f"label={label}")]
    out = subprocess.run(
        ["docker", "ps", "-a", "-q", "--no-trunc", *filters],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split()


def running(container: str) -> bool:
    out = subprocess.run(
        ["docker", "inspect", "--format", "{{.State.Running}}", container],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.strip() == "true"


@contextmanager
def sandbox(name: str) -> Iterator[str]:
    run_cli("create", "--name", name, check=True)
    try:
        yield name
    finally:
        run_cli("drop", name)


@contextmanager
def sleeping_run(sandbox_id: str, cwd: Path) -> Iterator[subprocess.Popen[str]]:
    """``dotbox run SANDBOX -- sh -c 'echo started; exec sleep 300'``, handed over once the
    command runs in its runner (its first line read); killed at the end if still going."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "dotbox", "run", sandbox_id, "--", *SLEEPER],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env=os.environ.copy(),
        preexec_fn=terminal_signals,  # Ctrl-C reaches it even if this suite runs in the background
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == f"{STARTED}\n", proc.stderr and proc.stderr.read()
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=120)


def test_run_removes_its_runner_on_ctrl_c(tmp_path: Path) -> None:
    with sandbox(f"ctrl-c-{SUFFIX}") as sid, sleeping_run(sid, tmp_path) as proc:
        (runner,) = containers(sid, "runner")  # control: while the command runs, its runner
        assert running(runner)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 130 and err == "dotbox: interrupted\n"
        assert containers(sid, "runner") == []
        assert containers(sid, "sandbox") != []  # the sandbox itself is left as it was


def test_drop_removes_the_sandboxs_runners(tmp_path: Path) -> None:
    sid = f"drop-runners-{SUFFIX}"
    run_cli("create", "--name", sid, check=True)
    try:
        with sleeping_run(sid, tmp_path) as proc:
            (runner,) = containers(sid, "runner")  # control: a runner still going
            assert running(runner)
            dropped = cli_json("drop", sid)
            assert isinstance(dropped, dict) and dropped["errors"] == []
            assert containers(sid) == []  # runner, sandbox, anything of it
            _, err = proc.communicate(timeout=120)  # its command is gone: the run ends
            assert proc.returncode != 0, err
        assert containers(sid) == []
    finally:
        run_cli("drop", sid)


def test_a_ledger_whose_id_is_used_again_continues_the_same_chain() -> None:
    """The ledger is keyed by the sandbox id (``ledgers/ID.jsonl``): a second sandbox of that
    name appends to its first one's chain, and the whole chain verifies."""
    sid = f"ledger-again-{SUFFIX}"
    with sandbox(sid):
        pass
    with sandbox(sid):
        proc = run_cli("evidence", "verify", sid, "--json")  # the second one live: re-checked
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["verify"]["checks"]["chain_ok"] is True
    assert run_cli("evidence", "verify", sid).returncode == 0
    records = evidence.read(evidence.ledger_path(sid))
    assert [r["primitive"] for r in records] == [
        "sandbox-create",
        "sandbox-drop",
        "sandbox-create",
        "evidence-readback",
        "sandbox-drop",
        "evidence-readback",
    ]
    assert [r["seq"] for r in records] == [1, 2, 3, 4, 5, 6]
    assert records[0]["prev"] == evidence.GENESIS  # control: the first life starts the chain
    assert records[2]["prev"] == records[1]["hash"] != evidence.GENESIS  # the second goes on
    assert all(r["prev"] == p["hash"] for p, r in zip(records, records[1:], strict=False))
