"""Run pytest sessions of their own (a user's suite) with the dotbox plugin, each with its own
DOTBOX_HOME and socket root, so that what they leave in the engine can be read back by label."""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path


def plugin_args() -> list[str]:
    """``-p dotbox.pytest_plugin`` unless the installed dotbox already loads it by entry point
    (loading it both ways would register it twice)."""
    for ep in importlib.metadata.entry_points(group="pytest11"):
        if ep.value == "dotbox.pytest_plugin":
            return []
    return ["-p", "dotbox.pytest_plugin"]


@dataclass
class Suite:
    """A directory holding a user's test suite, and the environment its pytest runs in."""

    root: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def home(self) -> str:
        return self.env["DOTBOX_HOME"]

    @property
    def ids_file(self) -> Path:
        return Path(self.env["IDS_FILE"])

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.write_text(textwrap.dedent(text))
        return path

    def records(self) -> list[list[str]]:
        """Lines the suite's tests appended to IDS_FILE, split on blanks."""
        if not self.ids_file.exists():
            return []
        return [line.split() for line in self.ids_file.read_text().splitlines() if line.strip()]

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "pytest", *plugin_args(), "-p", "no:cacheprovider", *args]

    def run(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(*args),
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command(*args),
            cwd=self.root,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group, as a terminal's job would be
            preexec_fn=terminal_signals,
        )

    def dotbox(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dotbox", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )


def make_suite(root: Path) -> Suite:
    """A suite in ``root`` whose pytest runs with a DOTBOX_HOME and socket root of its own and
    otherwise the outer session's environment (PYTHONPATH, DOCKER_HOST, …)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pytest.ini").write_text("[pytest]\n")
    run = tempfile.mkdtemp(prefix="dbx-")  # short: socket paths must fit 107 bytes
    env = dict(os.environ)
    for key in ("PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT"):
        env.pop(key, None)
    env.update(
        DOTBOX_HOME=str(root / "dotbox-home"),
        DOTBOX_RUN_DIR=str(Path(run) / "r"),
        IDS_FILE=str(root / "ids.txt"),
        PYTHONPATH=os.pathsep.join(
            p for p in (str(Path(__file__).resolve().parent.parent), env.get("PYTHONPATH")) if p
        ),
    )
    return Suite(root=root, env=env)


def remove_run_dir(suite: Suite) -> None:
    shutil.rmtree(Path(suite.env["DOTBOX_RUN_DIR"]).parent, ignore_errors=True)


_COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|deselected)")


def outcomes(output: str) -> dict[str, int]:
    """Counts from pytest's final summary line: {'passed': 3, 'failed': 1, 'error': 2}."""
    last = next(
        (line for line in reversed(output.splitlines()) if _COUNT.search(line) and " in " in line),
        "",
    )
    return {("error" if k.startswith("error") else k): int(n) for n, k in _COUNT.findall(last)}


def terminal_signals() -> None:
    """SIGINT and SIGQUIT as a terminal gives them: a shell starts a background job (``make test
    &``, nohup) with both ignored, which its children inherit, and a pytest so started would
    never see the Ctrl-C the interrupt tests send."""
    for sig in (signal.SIGINT, signal.SIGQUIT):
        signal.signal(sig, signal.SIG_DFL)
