"""What isolation costs: the guard's overhead per primitive, and create with --tcp against
without; also one 'dotbox run' round trip.

    python3 bench/isolation.py [--runs 10]

Prints medians and writes bench/results/isolation.json. Timings only: no thresholds here.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import dotbox  # noqa: E402
from dotbox.sandboxes import guard, runner  # noqa: E402


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    for name, make in (
        ("DOTBOX_HOME", lambda: tempfile.mkdtemp(prefix="dotbox-bench-")),
        ("DOTBOX_RUN_DIR", lambda: tempfile.mkdtemp(prefix="dbx-") + "/r"),
    ):
        if name not in os.environ:  # of its own, removed at exit
            os.environ[name] = make()
            atexit.register(shutil.rmtree, os.environ[name].removesuffix("/r"), True)
    dotbox.sandbox().drop()  # bake once, outside the timings

    creates: dict[str, list[float]] = {"socket": [], "tcp": []}
    for _ in range(args.runs):
        for kind in ("socket", "tcp"):
            t0 = time.perf_counter()
            sb = dotbox.sandbox(tcp=kind == "tcp")
            creates[kind].append(time.perf_counter() - t0)
            sb.drop()

    guard_s: list[float] = []
    run_s: list[float] = []
    with dotbox.sandbox() as sb:
        for _ in range(args.runs * 5):
            t0 = time.perf_counter()
            guard.require_live(sb.id)
            guard_s.append(time.perf_counter() - t0)
        for _ in range(args.runs):
            t0 = time.perf_counter()
            runner.run(sb.id, ["true"], on_output=lambda out, err: None)
            run_s.append(time.perf_counter() - t0)

    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "runs": args.runs,
        "guard_require_live_median_ms": median_ms(guard_s),
        "create_median_ms": median_ms(creates["socket"]),
        "create_tcp_median_ms": median_ms(creates["tcp"]),
        "run_true_median_ms": median_ms(run_s),
    }
    out = REPO / "bench" / "results" / "isolation.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
