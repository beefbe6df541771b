"""Time of each governed primitive on pagila and gitlab, medians of N fresh sandboxes.

    python3 bench/primitives.py [--runs 5] [--snapshots pagila gitlab]

Per run: a new sandbox, then vocab-build (first build), verify, harness --auto, evidence verify
(chain + re-checks), each through the lifecycle runner as the CLI runs it (guard, plan, apply,
read-back verify, evidence). Writes bench/results/primitives.json. Timings only: no thresholds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import dotbox  # noqa: E402

CORPORA = {"pagila": ("pagila.sql", 15), "gitlab": ("gitlab.sql", None)}
VOCAB = REPO / "bench" / "corpus-vocab.yaml"


def timed(fn: object) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()  # type: ignore[operator]
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--snapshots", nargs="+", default=list(CORPORA))
    args = parser.parse_args()
    results: dict[str, dict[str, object]] = {}
    for name in args.snapshots:
        file, major = CORPORA[name]
        dotbox.import_snapshot(
            REPO / "tests" / "corpora" / file, name, pg_major=major, replace=True
        )
        dotbox.sandbox(name).drop()  # bake outside the timings
        times: dict[str, list[float]] = {
            "vocab-build": [],
            "verify": [],
            "harness --auto": [],
            "evidence verify": [],
        }
        cases = 0
        for _ in range(args.runs):
            with dotbox.sandbox(name, ttl="30m") as sb:
                for label, call in (
                    ("vocab-build", lambda: sb.vocab_build(VOCAB)),
                    ("verify", lambda: sb.verify()),
                    ("harness --auto", lambda: sb.harness(auto=True)),
                    ("evidence verify", lambda: sb.evidence()),
                ):
                    seconds, outcome = timed(call)
                    times[label].append(seconds)
                    if label == "harness --auto":
                        cases = outcome.outputs["cases"]  # type: ignore[attr-defined]
        results[name] = {
            "median_seconds": {k: round(statistics.median(v), 3) for k, v in times.items()},
            "runs": {k: [round(x, 3) for x in v] for k, v in times.items()},
            "harness_cases": cases,
        }
        print(
            f"{name}: "
            + ", ".join(f"{k} {statistics.median(v):.2f}s" for k, v in times.items())
            + f" ({cases} harness cases)"
        )
    out = REPO / "bench" / "results" / "primitives.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps(
            {"when": datetime.now(UTC).isoformat(), "runs": args.runs, "results": results}, indent=2
        )
        + "\n"
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
