"""dotbox against its container-based peer and the engine's floor, in one run, same base image.

    python3 bench/peer.py [--runs 20] [--quick] [--gitlab]

Measures, as medians and p95: the floor (`docker run --rm --network none IMAGE true`, docker CLI),
dotbox create → first query and drop → confirmed gone (Python API) for the bundled default and
pagila (and gitlab with --gitlab), and testcontainers-python's PostgresContainer start → first
query empty and with the same DDL in /docker-entrypoint-initdb.d, on an image built from the same
base whose entrypoint behaves like the official one (bench/official-like/). Everything runs on
PostgreSQL 17. Writes bench/results/peer.json and peer.png and prints the ratios.
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
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPORA = REPO / "tests" / "corpora"
sys.path.insert(0, str(REPO))
os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")

import dotbox  # noqa: E402
from dotbox import images  # noqa: E402
from dotbox.snapshots import store  # noqa: E402

PEER_IMAGE = "dotbox/bench-official:pg17"


def peer_image(major: int) -> str:
    return f"dotbox/bench-official:pg{major}"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def build_peer_image(major: int = 17) -> str:
    """The official-like image on dotbox's own base for ``major`` (same base as the sandboxes)."""
    tag = peer_image(major)
    subprocess.run(
        [
            "docker",
            "build",
            "-q",
            "--build-arg",
            f"BASE=dotbox/base:pg{major}",
            "-t",
            tag,
            str(REPO / "bench" / "official-like"),
        ],
        check=True,
        capture_output=True,
    )
    return tag


def testcontainers_once(ddl: Path | None, image: str = PEER_IMAGE) -> tuple[float, float]:
    """One PostgresContainer: (start → first query, stop) in seconds. The user is ``postgres``,
    as the official image's default and as DDL dumps own their objects by that role."""
    import psycopg
    from testcontainers.postgres import PostgresContainer

    pg = PostgresContainer(image, username="postgres", driver=None)
    if ddl is not None:
        ddl.parent.chmod(0o755)  # the server runs as postgres, not as us
        ddl.chmod(0o644)
        pg.with_volume_mapping(str(ddl.parent), "/docker-entrypoint-initdb.d", "ro")
    t = time.perf_counter()
    try:
        pg.start()
        with psycopg.connect(pg.get_connection_url()) as conn:
            conn.execute("SELECT 1")
            started = time.perf_counter() - t
            tables = conn.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN"
                " ('pg_catalog', 'information_schema')"
            ).fetchone()
        if ddl is not None and not (tables and tables[0] > 0):
            raise RuntimeError(f"the DDL in {ddl} was not applied: no tables")
    except BaseException:
        pg.stop()
        raise
    t = time.perf_counter()
    pg.stop()
    return started, time.perf_counter() - t


def testcontainers_start(ddl: Path | None, image: str = PEER_IMAGE) -> Callable[[], object]:
    return lambda: testcontainers_once(ddl, image)


def create_drop(snapshot: str, runs: int) -> tuple[list[float], list[float]]:
    """Seconds of each create -> first query, and of each drop."""
    creates, drops = [], []
    for _ in range(runs):
        t = time.perf_counter()
        sb = dotbox.sandbox(snapshot)
        sb.query("SELECT 1")
        creates.append(time.perf_counter() - t)
        t = time.perf_counter()
        sb.drop()
        drops.append(time.perf_counter() - t)
    return creates, drops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="5 runs")
    parser.add_argument("--gitlab", action="store_true", help="also the 1,401-table gitlab DDL")
    args = parser.parse_args()
    runs = 5 if args.quick else args.runs

    corpora = {"pagila": CORPORA / "pagila.sql"}
    if args.gitlab:
        corpora["gitlab"] = CORPORA / "gitlab.sql"
    for name, path in corpora.items():
        dotbox.import_snapshot(path, f"bench-{name}", pg_major=17, replace=True)
    build_peer_image()
    tags = {"default": images.sandbox_image(store.get("default")).tags[0]}
    for name in corpora:
        tags[name] = images.sandbox_image(store.get(f"bench-{name}")).tags[0]

    results: dict[str, list[float]] = {}
    floor_cmd = [
        "docker",
        "run",
        "--rm",
        "--network",
        "none",
        "--entrypoint",
        "true",
        tags["default"],
    ]
    results["floor"] = timed(
        lambda: subprocess.run(floor_cmd, check=True, capture_output=True), runs
    )
    for name in ["default", *corpora]:
        snap = "default" if name == "default" else f"bench-{name}"
        results[f"dotbox create {name}"], results[f"dotbox drop {name}"] = create_drop(snap, runs)
    peer_runs = max(3, runs // 4) if not args.quick else 3
    results["testcontainers empty"] = timed(testcontainers_start(None), peer_runs)
    for name, path in corpora.items():
        with tempfile.TemporaryDirectory() as tmp:
            ddl = Path(tmp) / "schema.sql"
            ddl.write_text(path.read_text())
            results[f"testcontainers {name}"] = timed(testcontainers_start(ddl), peer_runs)

    medians = {k: statistics.median(v) for k, v in results.items()}
    ratios = {
        f"create {n} / floor": medians[f"dotbox create {n}"] / medians["floor"]
        for n in ["default", *corpora]
    }
    ratios["testcontainers empty / dotbox default"] = (
        medians["testcontainers empty"] / medians["dotbox create default"]
    )
    for n in corpora:
        ratios[f"testcontainers {n} / dotbox {n}"] = (
            medians[f"testcontainers {n}"] / medians[f"dotbox create {n}"]
        )
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    report = {
        "when": datetime.now(UTC).isoformat(),
        "cpus": os.cpu_count(),
        "runs": runs,
        "peer_runs": peer_runs,
        "median_s": medians,
        "p95_s": {k: p95(v) for k, v in results.items()},
        "ratios": ratios,
        "samples_s": results,
    }
    (out / "peer.json").write_text(json.dumps(report, indent=2) + "\n")
    for k in results:
        print(
            f"{k:<32} median {medians[k] * 1000:8.1f} ms   p95 {report['p95_s'][k] * 1000:8.1f} ms"
        )
    for k, v in ratios.items():
        print(f"{k:<40} {v:6.2f}x")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        names = list(results)
        fig, ax = plt.subplots(figsize=(10, 4.5))
        ax.barh(
            names,
            [medians[n] for n in names],
            xerr=[[0] * len(names), [report["p95_s"][n] - medians[n] for n in names]],
        )
        ax.set_xscale("log")
        ax.set_xlabel("seconds (median, whisker to p95; log scale)")
        ax.set_title(f"dotbox vs testcontainers-python, same base image, {os.cpu_count()} cores")
        fig.tight_layout()
        fig.savefig(out / "peer.png", dpi=110)
        print(f"written {out / 'peer.json'} and {out / 'peer.png'}")
    except ImportError:
        print(f"written {out / 'peer.json'} (pip install matplotlib for the chart)")


if __name__ == "__main__":
    main()
