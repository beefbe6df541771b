"""Density: N idle sandboxes at once, the memory of each from the engine's stats, all answering.

    python3 bench/density.py [--count 100] [--parallel 4] [--snapshot default]

Starts ``--count`` sandboxes (``--parallel`` at a time), lets them settle, reads each one's
memory use from the engine's stats (cgroup usage less page cache, as `docker stats` shows it),
runs a query in every one with its own credentials, then drops them all and confirms nothing
is left. Writes bench/results/density.json. Runs in a DOTBOX_HOME of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
_TMP = Path(tempfile.mkdtemp(prefix="dbx-dens-"))
os.environ["DOTBOX_HOME"] = str(_TMP / "home")
os.environ["DOTBOX_RUN_DIR"] = str(_TMP / "r")

import dotbox  # noqa: E402
from dotbox.core import paths  # noqa: E402
from dotbox.engine import client  # noqa: E402
from dotbox.sandbox import inventory, lifecycle  # noqa: E402

MIB = 1 << 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--snapshot", default="default")
    parser.add_argument("--settle", type=float, default=10.0, help="seconds idle before stats")
    args = parser.parse_args()
    made: list[dotbox.Sandbox] = []
    try:
        run(args, made)
    finally:
        for sb in made:
            try:
                sb.drop()
            except dotbox.DotboxError as exc:
                print(f"drop {sb.id}: {exc}")
        shutil.rmtree(_TMP, ignore_errors=True)


def run(args: argparse.Namespace, made: list[dotbox.Sandbox]) -> None:
    client.ping()
    dotbox.sandbox(args.snapshot).drop()  # bake (if needed) and warm, not counted
    t = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.parallel) as workers:
        for sb in workers.map(lambda _: dotbox.sandbox(args.snapshot, ttl="2h"), range(args.count)):
            made.append(sb)
    create_s = time.perf_counter() - t
    print(f"{len(made)} sandboxes up in {create_s:.1f} s ({args.parallel} at a time)")
    time.sleep(args.settle)
    containers = {sb.id: lifecycle.resolve(sb.id).id for sb in made}
    with ThreadPoolExecutor(max_workers=10) as workers:
        memory = dict(
            zip(containers, workers.map(client.container_memory, containers.values()), strict=True)
        )
    answered = 0
    t = time.perf_counter()
    for sb in made:
        if sb.query("SELECT 1") == [(1,)]:
            answered += 1
    query_s = time.perf_counter() - t
    running = len(
        client.containers(
            {inventory.L_ROLE: "sandbox", inventory.L_HOME: str(paths.data_home())},
            all_states=False,
        )
    )
    mib = sorted(m / MIB for m in memory.values())
    t = time.perf_counter()
    for sb in list(made):
        sb.drop()
        made.remove(sb)
    drop_s = time.perf_counter() - t
    left = client.containers({inventory.L_HOME: str(paths.data_home())})
    result = {
        "when": datetime.now(UTC).isoformat(),
        "cpus": os.cpu_count(),
        "note": "shared machine: other sessions ran containers during this run",
        "snapshot": args.snapshot,
        "count": args.count,
        "running_at_once": running,
        "answered_a_query": answered,
        "memory_mib": {
            "median": statistics.median(mib),
            "max": max(mib),
            "min": min(mib),
            "total": sum(mib),
        },
        "under_20_mb": sum(1 for m in memory.values() if m < 20 * 1000 * 1000),
        "create_all_s": round(create_s, 2),
        "query_all_s": round(query_s, 2),
        "drop_all_s": round(drop_s, 2),
        "left_after_drop": len(left),
    }
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "density.json").write_text(json.dumps(result, indent=2) + "\n")
    m = result["memory_mib"]
    print(
        f"{running} running at once, {answered}/{args.count} answered a query;"
        f" memory per sandbox median {m['median']:.1f} MiB, max {m['max']:.1f} MiB"
        f" ({result['under_20_mb']} under 20 MB); all dropped in {drop_s:.1f} s,"
        f" {len(left)} left"
    )
    print(f"written {out / 'density.json'}")


if __name__ == "__main__":
    main()
