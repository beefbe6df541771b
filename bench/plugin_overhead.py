"""The pytest plugin in numbers: fixture overhead per test, and a suite's wall time against the
same suite on testcontainers-python's PostgresContainer.

    python3 bench/plugin_overhead.py [--tests 200] [--peer-tests 40] [--overhead-tests 30]

1. Overhead per test: one suite run twice, with ``dotbox_sandbox`` and without; each test's
   setup + teardown time as pytest measures it (median). Setup is create → ready, teardown is
   drop → confirmed gone.
   The same with a warm pool filled to the number of tests first: setup is a checkout.
2. Wall time of a ``--tests``-test suite (each test: create a table, insert, count) with
   ``dotbox_sandbox``, serially and with ``-n 4``; the same suite with a function-scoped
   PostgresContainer per test on an image built from the same base (bench/official-like/,
   as bench/peer.py builds it). The peer suite runs ``--peer-tests`` tests and is extrapolated
   linearly to ``--tests`` (said so in the output) when fewer.
Writes bench/results/plugin.json. Timings only: no thresholds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.pytest_runs import Suite, make_suite, outcomes, remove_run_dir  # noqa: E402

PEER_IMAGE = "dotbox/bench-official:pg17"

# With xdist the controller gets every worker's reports through this hook too: it records
# them there, once (the workers' own calls are skipped).
RECORDER = """
import json, os

def pytest_runtest_logreport(report):
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    with open(os.environ["BENCH_OUT"], "a") as fh:
        fh.write(json.dumps([report.nodeid, report.when, report.duration]) + "\\n")
"""

DOTBOX_SUITE = """
import pytest

@pytest.mark.parametrize("n", range({n}))
def test_db(n, dotbox_sandbox):
    dotbox_sandbox.query("create table t (x int)")
    dotbox_sandbox.query("insert into t values (%s)", (n,))
    assert dotbox_sandbox.query("select count(*) from t") == [(1,)]
"""

PLAIN_SUITE = """
import pytest

@pytest.mark.parametrize("n", range({n}))
def test_db(n):
    assert n >= 0
"""

PEER_SUITE = """
import psycopg
import pytest
from testcontainers.community.postgres import PostgresContainer

@pytest.fixture
def pg_dsn():
    container = PostgresContainer("{image}", driver=None)
    container.start()
    try:
        yield container.get_connection_url()
    finally:
        container.stop()

@pytest.mark.parametrize("n", range({n}))
def test_db(n, pg_dsn):
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("create table t (x int)")
        conn.execute("insert into t values (%s)", (n,))
        assert conn.execute("select count(*) from t").fetchone() == (1,)
"""


def run_suite(root: Path, body: str, *args: str, pool: int = 0) -> tuple[float, list[list[object]]]:
    """Run ``body`` as a pytest suite; with ``pool``, in a DOTBOX_HOME whose warm pool of the
    default snapshot was filled to that size first (not timed) and is drained after."""
    suite: Suite = make_suite(root)
    suite.write("conftest.py", RECORDER)
    suite.write("test_suite.py", body)
    out_file = root / "durations.jsonl"
    suite.env["BENCH_OUT"] = str(out_file)
    suite.env["TESTCONTAINERS_RYUK_DISABLED"] = "true"

    def pool_cli(*words: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "dotbox", "pool", *words],
            env=suite.env, check=True, capture_output=True, timeout=1800,
        )  # fmt: skip

    try:
        if pool:
            pool_cli("fill", "default", "--size", str(pool))
        t = time.perf_counter()
        proc = suite.run("-q", "-p", "no:randomly", *args, timeout=7200)
        wall = time.perf_counter() - t
    finally:
        if pool:
            pool_cli("drain")
        remove_run_dir(suite)
    counts = outcomes(proc.stdout)
    if counts.get("failed") or counts.get("error") or not counts.get("passed"):
        raise SystemExit(f"suite failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
    rows = [json.loads(line) for line in out_file.read_text().splitlines()]
    return wall, rows


def per_test(rows: list[list[object]], when: tuple[str, ...]) -> list[float]:
    seen: set[tuple[str, str]] = set()
    by_test: dict[str, float] = {}
    for nodeid, phase, duration in rows:
        if (str(nodeid), str(phase)) in seen:
            raise ValueError(f"{nodeid} {phase} recorded twice")
        seen.add((str(nodeid), str(phase)))
        if phase in when:
            by_test[str(nodeid)] = by_test.get(str(nodeid), 0.0) + float(duration)  # type: ignore[arg-type]
    return list(by_test.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tests", type=int, default=200)
    parser.add_argument("--peer-tests", type=int, default=40)
    parser.add_argument("--overhead-tests", type=int, default=30)
    parser.add_argument("--skip-peer", action="store_true")
    args = parser.parse_args()
    subprocess.run(
        ["docker", "build", "-q", "-t", PEER_IMAGE, str(REPO / "bench" / "official-like")],
        check=True,
        capture_output=True,
    )
    tmp = Path(tempfile.mkdtemp(prefix="dotbox-bench-plugin-"))
    report: dict[str, object] = {
        "when": datetime.now(UTC).isoformat(),
        "cpus": os.cpu_count(),
        "load_before": os.getloadavg(),
    }

    # warm-up: the default snapshot's image exists and the page cache is warm
    run_suite(tmp / "warm", DOTBOX_SUITE.format(n=3))

    # 1. overhead per test
    _, with_rows = run_suite(tmp / "over", DOTBOX_SUITE.format(n=args.overhead_tests))
    _, plain_rows = run_suite(tmp / "plain", PLAIN_SUITE.format(n=args.overhead_tests))
    setup = per_test(with_rows, ("setup",))
    teardown = per_test(with_rows, ("teardown",))
    overhead = per_test(with_rows, ("setup", "teardown"))
    baseline = per_test(plain_rows, ("setup", "teardown"))
    report["overhead"] = {
        "tests": args.overhead_tests,
        "median_setup_plus_teardown_s": statistics.median(overhead),
        "median_without_fixture_s": statistics.median(baseline),
        "median_overhead_s": statistics.median(overhead) - statistics.median(baseline),
        "median_setup_create_s": statistics.median(setup),
        "median_teardown_drop_s": statistics.median(teardown),
        "p95_setup_plus_teardown_s": sorted(overhead)[int(0.95 * (len(overhead) - 1))],
    }
    print(json.dumps(report["overhead"], indent=2))

    # 1b. the same with a warm pool holding a sandbox for every test (checkout, no create)
    _, pooled_rows = run_suite(
        tmp / "pooled", DOTBOX_SUITE.format(n=args.overhead_tests), pool=args.overhead_tests
    )
    pooled = per_test(pooled_rows, ("setup", "teardown"))
    report["overhead_from_pool"] = {
        "tests": args.overhead_tests,
        "median_setup_plus_teardown_s": statistics.median(pooled),
        "median_overhead_s": statistics.median(pooled) - statistics.median(baseline),
        "median_setup_checkout_s": statistics.median(per_test(pooled_rows, ("setup",))),
        "median_teardown_drop_s": statistics.median(per_test(pooled_rows, ("teardown",))),
    }
    print(json.dumps(report["overhead_from_pool"], indent=2))

    # 2. suite wall times
    walls: dict[str, object] = {}
    for label, extra in (("dotbox serial", ()), ("dotbox -n 4", ("-n", "4"))):
        wall, _ = run_suite(
            tmp / label.replace(" ", "_"), DOTBOX_SUITE.format(n=args.tests), *extra
        )
        walls[label] = {"tests": args.tests, "wall_s": wall}
        print(f"{label:<28} {args.tests} tests  {wall:8.1f} s")
    if not args.skip_peer:
        for label, extra in (("testcontainers serial", ()), ("testcontainers -n 4", ("-n", "4"))):
            n = args.peer_tests
            wall, rows = run_suite(
                tmp / label.replace(" ", "_"), PEER_SUITE.format(n=n, image=PEER_IMAGE), *extra
            )
            entry: dict[str, object] = {
                "tests": n,
                "wall_s": wall,
                "median_setup_plus_teardown_s": statistics.median(
                    per_test(rows, ("setup", "teardown"))
                ),
            }
            if n != args.tests:
                entry["extrapolated_to"] = args.tests
                entry["extrapolated_wall_s"] = wall * args.tests / n
            walls[label] = entry
            shown = entry.get("extrapolated_wall_s", wall)
            note = f" (ran {n}, extrapolated linearly)" if n != args.tests else ""
            print(f"{label:<28} {args.tests} tests  {shown:8.1f} s{note}")
    report["suites"] = walls
    report["load_after"] = os.getloadavg()
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "plugin.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"written {out / 'plugin.json'}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
