"""Create → first query and drop → confirmed gone, against the engine's floor, in one run.

    python3 bench/create_drop.py [--runs 15] [--snapshot pagila]

The floor is `docker run --rm --network none IMAGE true` on the same baked image. Prints medians
and ratios and writes bench/results/create_drop.json. Timings only: no thresholds here.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import dotbox  # noqa: E402
from dotbox import images  # noqa: E402
from dotbox.engine import client  # noqa: E402
from dotbox.snapshots import store  # noqa: E402


def ensure_snapshot(name: str) -> None:
    if name == "pagila":
        corpus = REPO / "tests" / "corpora" / "pagila.sql"
        dotbox.import_snapshot(corpus, "pagila", pg_major=15, replace=True)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--snapshot", default="pagila")
    args = parser.parse_args()

    ensure_snapshot(args.snapshot)
    manifest = store.get(args.snapshot)
    image = images.sandbox_image(manifest)
    client.ping()
    tag = image.tags[0]

    floor, create, drop = [], [], []
    for _ in range(2):  # warm the page cache and the engine
        subprocess.run(
            ["docker", "run", "--rm", "--network", "none", "--entrypoint", "true", tag],
            check=True,
            capture_output=True,
        )
        dotbox.sandbox(args.snapshot).drop()
    for _ in range(args.runs):
        t = time.perf_counter()
        subprocess.run(
            ["docker", "run", "--rm", "--network", "none", "--entrypoint", "true", tag],
            check=True,
            capture_output=True,
        )
        floor.append(time.perf_counter() - t)

        t = time.perf_counter()
        sb = dotbox.sandbox(args.snapshot)
        sb.query("SELECT 1")
        create.append(time.perf_counter() - t)

        t = time.perf_counter()
        report = sb.drop()
        assert report.confirmed
        drop.append(time.perf_counter() - t)

    result = {
        "when": datetime.now(UTC).isoformat(),
        "machine": {
            "cpus": __import__("os").cpu_count(),
            "python": platform.python_version(),
            "engine": client.version().get("Version"),
        },
        "snapshot": args.snapshot,
        "image": tag,
        "runs": args.runs,
        "median_s": {
            "floor": statistics.median(floor),
            "create": statistics.median(create),
            "drop": statistics.median(drop),
        },
        "p95_s": {"floor": p95(floor), "create": p95(create), "drop": p95(drop)},
    }
    result["ratio_create_to_floor"] = result["median_s"]["create"] / result["median_s"]["floor"]
    out = REPO / "bench" / "results" / "create_drop.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    m = result["median_s"]
    print(
        f"{args.snapshot}, {args.runs} runs (medians): floor {m['floor'] * 1000:.0f} ms, "
        f"create->first query {m['create'] * 1000:.0f} ms "
        f"({result['ratio_create_to_floor']:.2f}x floor), drop->confirmed {m['drop'] * 1000:.0f} ms"
    )
    print(f"written {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
