"""CLI start time: median wall time of `dotbox --help`, `dotbox list` (0 and 3 sandboxes) and
`dotbox create` + `dotbox drop`, each a fresh `python3 -m dotbox` process.

    PYTHONPATH=$PWD python3 bench/cli_start.py [--runs 21] [--json]

Runs in its own DOTBOX_HOME (a temporary directory), so `list` sees only the sandboxes it made
even on an engine that other sessions share. Uses the bundled default snapshot.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def _dotbox(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dotbox", *args], env=env, capture_output=True, text=True
    )


def _median_ms(argv: list[list[str]], runs: int, env: dict[str, str]) -> float:
    """Median over ``runs`` of the wall time of running each argv in turn (one sample)."""
    samples = []
    for i in range(runs + 1):
        t0 = time.perf_counter()
        for args in argv:
            done = _dotbox(*args, env=env)
            if done.returncode:
                raise SystemExit(f"dotbox {' '.join(args)} failed: {done.stderr.strip()}")
        if i:  # the first run warms the page cache
            samples.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(samples), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--json", action="store_true")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dotbox-bench-") as home:
        env = {**os.environ, "DOTBOX_HOME": home}
        out: dict[str, float] = {}
        out["help"] = _median_ms([["--help"]], opts.runs, env)
        out["list_0"] = _median_ms([["list"]], opts.runs, env)
        made = [f"bench-{os.getpid()}-{i}" for i in range(3)]
        try:
            for name in made:
                _dotbox("create", "--name", name, env=env)
            out["list_3"] = _median_ms([["list"]], opts.runs, env)
        finally:
            _dotbox("drop", *made, env=env)
        name = f"bench-{os.getpid()}-cd"
        out["create_drop"] = _median_ms(
            [["create", "--name", name], ["drop", name]], max(5, opts.runs // 3), env
        )
    if opts.json:
        print(json.dumps(out, indent=2))
    else:
        for key, value in out.items():
            print(f"{key:<12} {value:8.1f} ms (median)")


if __name__ == "__main__":
    main()
