"""CLI start time: medians of the wall and CPU time of `dotbox --help`, `dotbox list` (with 0
and 3 sandboxes) and `dotbox create` + `dotbox drop`, each a fresh `python3 -m dotbox`
process; and of a bare `python3 -c pass` for the floor.

    PYTHONPATH=$PWD python3 bench/cli_start.py [--runs 21] [--json]

Runs in its own DOTBOX_HOME (a temporary directory), so `list` sees only the sandboxes it made
even on an engine that other sessions share. Uses the bundled default snapshot. CPU time (user
+ system of the child) says more than wall time on a machine that other work shares.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

DOTBOX = [sys.executable, "-m", "dotbox"]


def _run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, capture_output=True, text=True)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _medians(commands: list[list[str]], runs: int, env: dict[str, str]) -> dict[str, float]:
    """Medians over ``runs`` samples; a sample runs each command in turn."""
    wall, cpu = [], []
    for i in range(runs + 1):
        t0, c0 = time.perf_counter(), _cpu()
        for argv in commands:
            done = _run(argv, env)
            if done.returncode:
                raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.strip()}")
        if i:  # the first sample only warms the page cache
            wall.append((time.perf_counter() - t0) * 1000)
            cpu.append((_cpu() - c0) * 1000)
    return {
        "wall_ms": round(statistics.median(wall), 1),
        "cpu_ms": round(statistics.median(cpu), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--json", action="store_true")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dotbox-bench-") as home:
        env = {**os.environ, "DOTBOX_HOME": home}
        out: dict[str, dict[str, float]] = {}
        out["python -c pass"] = _medians([[sys.executable, "-c", "pass"]], opts.runs, env)
        out["help"] = _medians([[*DOTBOX, "--help"]], opts.runs, env)
        out["list, 0 sandboxes"] = _medians([[*DOTBOX, "list"]], opts.runs, env)
        made = [f"bench-{os.getpid()}-{i}" for i in range(3)]
        try:
            for name in made:
                _run([*DOTBOX, "create", "--name", name], env)
            out["list, 3 sandboxes"] = _medians([[*DOTBOX, "list"]], opts.runs, env)
        finally:
            _run([*DOTBOX, "drop", *made], env)
        name = f"bench-{os.getpid()}-cd"
        pair = [[*DOTBOX, "create", "--name", name], [*DOTBOX, "drop", name]]
        out["create + drop"] = _medians(pair, max(5, opts.runs // 3), env)
    if opts.json:
        print(json.dumps(out, indent=2))
        return
    for key, value in out.items():
        print(f"{key:<20} {value['wall_ms']:8.1f} ms wall {value['cpu_ms']:8.1f} ms cpu (medians)")


if __name__ == "__main__":
    main()
