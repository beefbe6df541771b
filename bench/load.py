"""Load: concurrent create → query → drop cycles from several processes, then what is left.

    python3 bench/load.py [--cycles 50] [--workers 8] [--rounds 3]

Prints cycles run, failures by kind, objects left (containers, volumes, networks and socket
directories of this DOTBOX_HOME) and wall time; writes bench/results/load.json. Runs in a fresh
DOTBOX_HOME and run directory unless DOTBOX_HOME is set.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.loadgen import Outcome, run_round  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cycles", type=int, default=50, help="cycles per round")
    parser.add_argument("--workers", type=int, default=8, help="processes per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--deadline", type=float, default=240.0, help="seconds per round")
    args = parser.parse_args()
    scratch: list[Path] = []
    if "DOTBOX_HOME" not in os.environ:
        home = Path(tempfile.mkdtemp(prefix="dotbox-load-"))
        run = Path(tempfile.mkdtemp(prefix="dbx-"))
        scratch += [home, run]
        os.environ["DOTBOX_HOME"], os.environ["DOTBOX_RUN_DIR"] = str(home), str(run / "r")
    total = Outcome()
    try:
        for number in range(1, args.rounds + 1):
            outcome = run_round(args.cycles, args.workers, deadline=args.deadline)
            total.merge(outcome)
            print(
                f"round {number}: {outcome.cycles} cycles in {outcome.seconds:.1f}s,"
                f" failures {dict(outcome.failures()) or 'none'},"
                f" hung {len(outcome.hung)}, left {outcome.left or 'nothing'}"
            )
    finally:
        for path in scratch:
            shutil.rmtree(path, ignore_errors=True)
    left = {kind: len(objects) for kind, objects in total.left.items()}
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "rounds": args.rounds,
        "workers": args.workers,
        "cycles": total.cycles,
        "operations": sum(total.ops.values()),
        "succeeded": {op: total.succeeded(op) for op in ("create", "query", "drop")},
        "failures": dict(total.failures()),
        "failure_examples": total.examples,
        "undeclared_failures": dict(total.undeclared()),
        "hung_workers": len(total.hung),
        "crashed_workers": len(total.crashed),
        "objects_left": left,
        "wall_seconds": round(total.seconds, 1),
    }
    print(
        f"cycles {total.cycles} ({args.rounds} rounds x {args.cycles}, {args.workers} processes),"
        f" wall {total.seconds:.1f}s\n"
        f"succeeded {result['succeeded']}\n"
        f"failures by kind {result['failures'] or 'none'}"
        f" (not a DotboxError: {result['undeclared_failures'] or 'none'})\n"
        f"hung {len(total.hung)}, crashed {len(total.crashed)}, objects left {left or 0}"
    )
    for kind, message in total.examples.items():
        print(f"  first {kind}: {message}")
    out = REPO / "bench" / "results" / "load.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
