"""Per-test databases in numbers, on the bundled default snapshot and on pagila, same run:

1. The clone strategy: ``CREATE DATABASE … TEMPLATE sandbox_template`` with STRATEGY WAL_LOG
   and with FILE_COPY (each followed by its DROP), alternating, ``--clones`` of each; the
   template's size. dotbox.pg.databases picks the strategy by size from these.
2. ``Sandbox.database()`` overhead, ``--runs`` times (default 50): the time of
   ``sb.database()`` (create: a spare renamed and given its own role) and of ``db.drop()``
   (DROP DATABASE … WITH (FORCE) and DROP ROLE), median and p95.
   "spares ready": each run waits until the background filler has its spares back, as a test
   that runs longer than a clone would; "back to back": no wait, so the spares run out and
   database() clones while the caller waits. The API's ``with`` block waits for both.
3. What the ``dotbox_database`` fixture costs a test: back to back, create, then the drop
   handed to a background thread (as the plugin's remover does); the overhead is create plus
   the hand-off, and the background drops compete with the next creates.

    PYTHONPATH=$PWD python3 bench/per_test_db.py [--runs 50] [--clones 15] [--json]

Runs in its own DOTBOX_HOME (a temporary directory). Writes bench/results/per_test_db.json.
Timings only: no thresholds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _stats(samples: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples)
    p95 = statistics.quantiles(ms, n=20)[18] if len(ms) >= 2 else ms[0]
    return {"median_ms": round(statistics.median(ms), 1), "p95_ms": round(p95, 1), "n": len(ms)}


def _strategies(sb: Any, clones: int) -> dict[str, Any]:
    from dotbox.pg import databases as sql_db
    from dotbox.sandboxes import databases

    times: dict[str, list[float]] = {"WAL_LOG": [], "FILE_COPY": []}
    with sql_db.admin_connect(databases.admin_credentials(sb.info)) as conn:
        sql_db.ensure_template(conn, sb.info.database)
        size = sql_db.template_size(conn) or 0
        for _ in range(clones):
            for strategy in ("WAL_LOG", "FILE_COPY"):
                t0 = time.perf_counter()
                name = sql_db.clone(conn, strategy)  # type: ignore[arg-type]
                times[strategy].append(time.perf_counter() - t0)
                sql_db.drop(conn, name)
    return {
        "template_bytes": size,
        "picked": sql_db.strategy_for(size),
        **{k: _stats(v) for k, v in times.items()},
    }


def _wait_for_spares(sb: Any) -> None:
    found = sb._databases
    with found._wake:
        found._wake.wait_for(lambda: len(found._ready) >= found.want, timeout=60)


def _overhead(sb: Any, runs: int, *, wait: bool) -> dict[str, Any]:
    create, drop, total = [], [], []
    for _ in range(runs):
        if wait and sb._databases is not None:
            _wait_for_spares(sb)
        t0 = time.perf_counter()
        db = sb.database()
        t1 = time.perf_counter()
        db.query("SELECT 1")  # the test's body (not timed)
        t2 = time.perf_counter()
        db.drop()
        t3 = time.perf_counter()
        create.append(t1 - t0)
        drop.append(t3 - t2)
        total.append((t1 - t0) + (t3 - t2))
    return {"create": _stats(create), "drop": _stats(drop), "create_plus_drop": _stats(total)}


def _fixture(sb: Any, runs: int) -> dict[str, Any]:
    import queue
    import threading

    drops: queue.Queue[Any] = queue.Queue()

    def remover() -> None:
        while (db := drops.get()) is not None:
            db.drop()

    thread = threading.Thread(target=remover)
    thread.start()
    overhead = []
    for _ in range(runs):
        t0 = time.perf_counter()
        db = sb.database()
        t1 = time.perf_counter()
        db.query("SELECT 1")
        t2 = time.perf_counter()
        drops.put(db)
        overhead.append((t1 - t0) + (time.perf_counter() - t2))
    t0 = time.perf_counter()
    drops.put(None)
    thread.join()
    return {"overhead": _stats(overhead), "drain_s": round(time.perf_counter() - t0, 2)}


def measure(snapshot: str, runs: int, clones: int) -> dict[str, Any]:
    import dotbox

    with dotbox.sandbox(snapshot) as sb:
        strategies = _strategies(sb, clones)
        sb.database().drop()  # the first: the filler starts
        return {
            "snapshot": snapshot,
            "pg_major": sb.info.pg_major,
            "strategy": strategies,
            "spares_ready": _overhead(sb, runs, wait=True),
            "back_to_back": _overhead(sb, runs, wait=False),
            "fixture": _fixture(sb, runs),
        }


def _line(label: str, s: dict[str, float]) -> str:
    return f"  {label:<34} median {s['median_ms']:>7.1f} ms   p95 {s['p95_ms']:>7.1f} ms"


def report(results: list[dict[str, Any]]) -> None:
    for r in results:
        st = r["strategy"]
        print(f"{r['snapshot']} (PostgreSQL {r['pg_major']}, template {st['template_bytes']} B)")
        print(_line("clone WAL_LOG", st["WAL_LOG"]))
        print(_line("clone FILE_COPY", st["FILE_COPY"]))
        print(f"  picked by size: {st['picked']}")
        for mode in ("spares_ready", "back_to_back"):
            for part in ("create", "drop", "create_plus_drop"):
                print(_line(f"{mode}: {part}", r[mode][part]))
        fx = r["fixture"]
        print(_line("fixture (background drop): overhead", fx["overhead"]))
        print(f"  the background drops finished {fx['drain_s']} s after the last test")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--clones", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dotbox-bench-db-") as home:
        os.environ["DOTBOX_HOME"] = home
        import dotbox

        dotbox.import_snapshot(REPO / "tests" / "corpora" / "pagila.sql", "pagila")
        results = [measure(s, args.runs, args.clones) for s in ("default", "pagila")]
    out = {"when": datetime.now(UTC).isoformat(), "cpus": os.cpu_count(), "results": results}
    path = REPO / "bench" / "results" / "per_test_db.json"
    path.write_text(json.dumps(out, indent=2) + "\n")
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        report(results)
        print(f"written to {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
