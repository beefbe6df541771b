"""dotbox psql keeps what is typed before the session attaches: at a terminal (a pseudo-terminal
here, written to before any prompt appears) and from a pipe."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
from pathlib import Path

import dotbox
from dotbox.engine import client

ROOT = str(Path(__file__).resolve().parents[2])
ANSWER = re.compile(r"^\s*42\s*$", re.MULTILINE)
SILENCE = 60.0  # seconds without output after which a session that never ends is killed


def _env() -> dict[str, str]:
    return os.environ | {"PYTHONPATH": ROOT, "TERM": "dumb"}


def _at_terminal(sandbox_id: str, typed: bytes) -> tuple[str, int]:
    """Run ``dotbox psql SANDBOX`` on a new pseudo-terminal, write ``typed`` to it at once and
    return everything it showed and its exit code."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: dotbox on the pseudo-terminal
        os.execvpe(sys.executable, [sys.executable, "-m", "dotbox", "psql", sandbox_id], _env())
    os.write(fd, typed)
    shown = b""
    while select.select([fd], [], [], SILENCE)[0]:
        try:
            data = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        shown += data
    else:  # silent that long: psql still waits for what it never got
        os.kill(pid, signal.SIGTERM)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return shown.decode(errors="replace").replace("\r\n", "\n"), os.waitstatus_to_exitcode(status)


def test_psql_at_a_terminal_keeps_what_was_typed_before_it_attached() -> None:
    with dotbox.sandbox() as sb:
        shown, code = _at_terminal(sb.id, b"select 41+1;\n\\q\n")
        assert ANSWER.search(shown), shown
        assert code == 0
        # control: another sum, so the pattern is met by the answer only (not the echo, banner)
        shown, code = _at_terminal(sb.id, b"select 41+2;\n\\q\n")
        assert not ANSWER.search(shown) and "43" in shown and code == 0
        assert client.containers({"dotbox.id": sb.id, "dotbox.role": "runner"}) == []


def test_psql_from_a_pipe() -> None:
    with dotbox.sandbox() as sb:
        proc = subprocess.run(
            [sys.executable, "-m", "dotbox", "psql", sb.id],
            input="select 41+1;",
            capture_output=True,
            text=True,
            env=_env(),
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        assert ANSWER.search(proc.stdout), proc.stdout
        proc = subprocess.run(  # control: psql's own failure is dotbox's exit code
            [sys.executable, "-m", "dotbox", "psql", sb.id, "--", "-v", "ON_ERROR_STOP=1"],
            input="select nope;",
            capture_output=True,
            text=True,
            env=_env(),
            timeout=120,
        )
        assert proc.returncode == 3 and not ANSWER.search(proc.stdout)
