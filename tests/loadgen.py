"""Load: many create → query → drop cycles at once, from several processes, through the Python API.

Used by tests/integration/test_load.py and bench/load.py. Each worker is its own Python process
(``python -m tests.loadgen CYCLES``) that prints one JSON line per operation; the driver gives
every worker a deadline and kills it when the deadline passes (a hang is counted, never waited
out). Afterwards it reads the engine and the run directory back for anything left.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Outcome:
    """What one load run did: operations by (operation, result), and what it left behind."""

    cycles: int = 0  # cycles attempted (a cycle is create, query, drop)
    ops: Counter[tuple[str, str]] = field(default_factory=Counter)  # (op, "ok" | error class)
    hung: list[int] = field(default_factory=list)  # workers killed at their deadline
    crashed: list[str] = field(default_factory=list)  # workers that died (tracebacks)
    left: dict[str, list[str]] = field(default_factory=dict)  # kind -> objects still there
    examples: dict[str, str] = field(default_factory=dict)  # failure kind -> its first message
    seconds: float = 0.0

    def failures(self) -> Counter[str]:
        """Failed operations by kind: "create:NotReady", "drop:EngineUnavailable", …"""
        return Counter({f"{op}:{r}": n for (op, r), n in self.ops.items() if r != "ok"})

    def undeclared(self) -> Counter[str]:
        """Failures that were not a DotboxError (a traceback escaped dotbox)."""
        return Counter({k: n for k, n in self.failures().items() if k.split(":")[1] == "other"})

    def succeeded(self, op: str) -> int:
        return self.ops[(op, "ok")]

    def merge(self, other: Outcome) -> None:
        self.cycles += other.cycles
        self.ops.update(other.ops)
        self.hung += other.hung
        self.crashed += other.crashed
        for kind, objects in other.left.items():
            self.left.setdefault(kind, []).extend(objects)
        for kind, message in other.examples.items():
            self.examples.setdefault(kind, message)
        self.seconds += other.seconds


def split(cycles: int, workers: int) -> list[int]:
    """``cycles`` spread over ``workers`` as evenly as possible (50 over 8: 7,7,6,6,6,6,6,6)."""
    return [cycles // workers + (1 if i < cycles % workers else 0) for i in range(workers)]


def run_round(cycles: int = 50, workers: int = 8, *, deadline: float = 120.0) -> Outcome:
    """One round: ``cycles`` create/query/drop cycles spread over ``workers`` processes, all
    started at once. Every worker is killed if still running ``deadline`` seconds in."""
    started = time.monotonic()
    pythonpath = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    env = os.environ | {"PYTHONPATH": pythonpath}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.loadgen", str(n)],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in split(cycles, workers)
        if n
    ]
    out = Outcome(cycles=cycles)
    for i, proc in enumerate(procs):
        try:
            left = max(0.1, started + deadline - time.monotonic())
            stdout, stderr = proc.communicate(timeout=left)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
            out.hung.append(i)
        for line in stdout.splitlines():
            record = json.loads(line)
            out.ops[(record["op"], record["result"])] += 1
            if record["result"] != "ok":
                out.examples.setdefault(f"{record['op']}:{record['result']}", record["detail"])
        if proc.returncode != 0 and i not in out.hung:
            out.crashed.append(f"worker {i} exited {proc.returncode}: {stderr.strip()[-400:]}")
    out.seconds = time.monotonic() - started
    out.left = leftovers()
    return out


def leftovers(home: str | None = None, run_dir: Path | None = None) -> dict[str, list[str]]:
    """Every dotbox object of a DOTBOX_HOME (default: this process's) still there, read from the
    engine (docker CLI, not dotbox's own code) and from its run directory."""
    from dotbox.core import paths

    home = home or str(paths.data_home())

    def docker(*args: str) -> list[str]:
        proc = subprocess.run(["docker", *args], capture_output=True, text=True, check=True)
        return proc.stdout.split()

    run_dir = run_dir or paths.run_root()
    found = {
        "containers": docker("ps", "-aq", "--filter", f"label=dotbox.home={home}"),
        "volumes": docker("volume", "ls", "-q", "--filter", f"label=dotbox.home={home}"),
        "networks": docker("network", "ls", "-q", "--filter", f"label=dotbox.home={home}"),
        "socket dirs": sorted(str(p) for p in run_dir.iterdir()) if run_dir.exists() else [],
    }
    return {kind: objects for kind, objects in found.items() if objects}


def _result(exc: BaseException | None) -> str:
    from dotbox.core.errors import DotboxError

    if exc is None:
        return "ok"
    return type(exc).__name__ if isinstance(exc, DotboxError) else "other"


def worker(cycles: int) -> None:
    """Run ``cycles`` create → query → drop cycles; one JSON line per operation on stdout."""
    import dotbox

    def report(op: str, exc: BaseException | None, detail: str = "") -> None:
        line = {"op": op, "result": _result(exc), "detail": detail or (str(exc) if exc else "")}
        print(json.dumps(line), flush=True)

    for _ in range(cycles):
        try:
            sb = dotbox.sandbox(ttl="10m")
        except Exception as exc:
            report("create", exc)
            continue
        report("create", None, sb.id)
        try:
            assert sb.query("SELECT 1") == [(1,)]
            report("query", None, sb.id)
        except Exception as exc:
            report("query", exc)
        try:
            sb.drop()
            report("drop", None, sb.id)
        except Exception as exc:
            report("drop", exc)


if __name__ == "__main__":
    worker(int(sys.argv[1]))
