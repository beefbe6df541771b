"""`make bench`: every speed number of issue 7 in one run, against its target.

    python3 bench/suite.py [--runs 20] [--peer-runs 20] [--gitlab-peer-runs 20] [--no-peer]

Measures, as median and p95 of ``--runs`` runs each, in one process and one run:
- the floor: a container that runs `true` with network mode none and is removed (docker SDK,
  through dotbox.engine.client), on each snapshot's own baked image;
- dotbox create → first query, and drop → confirmed gone, for the bundled default, pagila
  (PostgreSQL 15, tests/corpora/pagila.sql) and gitlab (1,401 tables);
- a warm-pool checkout (dotbox.sandbox() taking a pooled sandbox), and checkout → first query;
- testcontainers-python's PostgresContainer start → first query, empty and with the pagila and
  gitlab DDL in /docker-entrypoint-initdb.d, on the official-like image of the same base
  (bench/official-like, bench/peer.py), with TESTCONTAINERS_RYUK_DISABLED=true.
Writes bench/results/suite.json and suite.png and prints the ratios against the targets.
It runs in a DOTBOX_HOME of its own, so a user's pools and sandboxes are neither used nor
touched. Timings only: no thresholds anywhere but in the printed comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from dotbox.core.labels import Label

REPO = Path(__file__).resolve().parent.parent
CORPORA = REPO / "tests" / "corpora"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
os.environ["TESTCONTAINERS_RYUK_DISABLED"] = "true"
_TMP = Path(tempfile.mkdtemp(prefix="dbx-bench-"))
os.environ["DOTBOX_HOME"] = str(_TMP / "home")
os.environ["DOTBOX_RUN_DIR"] = str(_TMP / "r")

import dotbox  # noqa: E402
from dotbox import images, pool  # noqa: E402
from dotbox.engine import client  # noqa: E402
from dotbox.snapshots import store  # noqa: E402

# name -> (corpus file or None for the bundled default, PostgreSQL major or None for its own)
SNAPSHOTS: dict[str, tuple[str | None, int | None]] = {
    "default": (None, None),
    "pagila": ("pagila.sql", 15),
    "gitlab": ("gitlab.sql", None),
}
TARGETS = {  # from issue 7: (what, limit, "max" or "min")
    "create default / floor": (1.15, "max"),
    "create pagila / floor": (1.15, "max"),
    "create gitlab / floor": (1.15, "max"),
    "pool checkout (s)": (0.020, "max"),
    "drop default (s)": (0.1, "max"),
    "drop pagila (s)": (0.1, "max"),
    "drop gitlab (s)": (0.1, "max"),
    "testcontainers empty / dotbox default": (12.0, "min"),
    "testcontainers pagila / dotbox pagila": (12.0, "min"),
    "testcontainers gitlab / dotbox gitlab": (50.0, "min"),
}


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def floor_once(image: str) -> float:
    """`docker run --rm --network none IMAGE true` through the SDK: create, attach, start,
    wait, remove."""
    spec = client.ContainerSpec(
        image=image,
        name=f"dotbox-bench-floor-{os.getpid()}-{time.monotonic_ns()}",
        labels={Label.MANAGED_BY: "dotbox", "dotbox.role": "bench-floor"},
        entrypoint=["true"],
        network_mode="none",
    )
    t = time.perf_counter()
    code = client.run_attached(spec, lambda out, err: None)
    elapsed = time.perf_counter() - t
    if code != 0:
        raise RuntimeError(f"floor container exited {code}")
    return elapsed


def create_once(snapshot: str) -> tuple[float, float]:
    """(create → first query, drop → confirmed gone), in seconds."""
    t = time.perf_counter()
    sb = dotbox.sandbox(snapshot)
    sb.query("SELECT 1")
    created = time.perf_counter() - t
    t = time.perf_counter()
    report = sb.drop()
    dropped = time.perf_counter() - t
    if not report.confirmed:
        raise RuntimeError(f"drop of {sb.id} not confirmed")
    return created, dropped


def wait_pool_full(size: int) -> None:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        s = pool.status_of("default")
        if s.ready >= size and not s.filling:
            return
        time.sleep(0.05)
    raise RuntimeError(f"the pool never refilled: {pool.status_of('default')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--peer-runs", type=int, default=20, help="testcontainers empty, pagila")
    parser.add_argument("--gitlab-peer-runs", type=int, default=20, help="testcontainers gitlab")
    parser.add_argument("--no-peer", action="store_true", help="skip testcontainers")
    args = parser.parse_args()
    samples: dict[str, list[float]] = {}
    try:
        run(args, samples)
    finally:
        pool.drain()
        shutil.rmtree(_TMP, ignore_errors=True)


def run(args: argparse.Namespace, samples: dict[str, list[float]]) -> None:
    began = time.monotonic()
    client.ping()
    tags, majors = bake_all()
    measure_create_drop(args, samples, tags)
    measure_pool(args, samples)
    failures = {} if args.no_peer else measure_peer(args, samples, majors)
    report(args, samples, tags, majors, failures, time.monotonic() - began)


def bake_all() -> tuple[dict[str, str], dict[str, int]]:
    """Each snapshot imported and its image baked (or found): its tag and PostgreSQL major."""
    tags: dict[str, str] = {}
    majors: dict[str, int] = {}
    for name, (corpus, major) in SNAPSHOTS.items():
        if corpus is not None:
            dotbox.import_snapshot(CORPORA / corpus, name, pg_major=major, replace=True)
        manifest = store.get(name)
        print(f"baking/finding the image of {name} (PostgreSQL {manifest.pg_major}) ...")
        tags[name] = images.sandbox_image(manifest).tags[0]
        majors[name] = manifest.pg_major
    return tags, majors


def measure_create_drop(
    args: argparse.Namespace, samples: dict[str, list[float]], tags: dict[str, str]
) -> None:
    for name in SNAPSHOTS:
        for _ in range(2):  # warm the page cache and the engine; not counted
            floor_once(tags[name])
            create_once(name)
        floors, creates, drops = [], [], []
        for _ in range(args.runs):  # interleaved, so drift in the machine's load hits all three
            floors.append(floor_once(tags[name]))
            c, d = create_once(name)
            creates.append(c)
            drops.append(d)
        samples[f"floor {name}"] = floors
        samples[f"dotbox create {name}"] = creates
        samples[f"dotbox drop {name}"] = drops
        print(f"{name}: create median {statistics.median(creates) * 1000:.0f} ms")


def measure_pool(args: argparse.Namespace, samples: dict[str, list[float]]) -> None:
    size = 3
    pool.fill("default", size)
    checkouts, to_query = [], []
    for _ in range(args.runs):
        wait_pool_full(size)  # each checkout from a full pool, with no refill running
        t = time.perf_counter()
        sb = dotbox.sandbox()
        checkouts.append(time.perf_counter() - t)
        sb.query("SELECT 1")
        to_query.append(time.perf_counter() - t)
        if sb.id in pool.status_of("default").ids:
            raise RuntimeError("a claimed sandbox is still in the pool")
        sb.drop()
    pool.drain()
    samples["pool checkout"] = checkouts
    samples["pool checkout -> first query"] = to_query
    print(f"pool checkout median {statistics.median(checkouts) * 1000:.1f} ms")


def measure_peer(
    args: argparse.Namespace, samples: dict[str, list[float]], majors: dict[str, int]
) -> dict[str, str]:
    """testcontainers-python on the same snapshots; returns what failed, by label."""
    import peer

    peer_tags = {m: peer.build_peer_image(m) for m in sorted(set(majors.values()))}
    plan = [
        ("empty", None, majors["default"], args.peer_runs),
        ("pagila", "pagila.sql", majors["pagila"], args.peer_runs),
        ("gitlab", "gitlab.sql", majors["gitlab"], args.gitlab_peer_runs),
    ]
    failures: dict[str, str] = {}
    for label, corpus, major, runs in plan:
        if runs <= 0:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            ddl = None
            if corpus is not None:
                ddl = Path(tmp) / "schema.sql"
                shutil.copyfile(CORPORA / corpus, ddl)
            starts, stops = [], []
            try:
                for _ in range(runs):
                    s, st = peer.testcontainers_once(ddl, peer_tags[major])
                    starts.append(s)
                    stops.append(st)
            except Exception as exc:  # e.g. its 120 s wait runs out on a loaded machine
                failures[f"testcontainers {label}"] = f"run {len(starts) + 1}: {exc}"[:300]
                print(f"testcontainers {label} failed: {failures[f'testcontainers {label}']}")
            if not starts:
                continue
            samples[f"testcontainers {label}"] = starts
            samples[f"testcontainers stop {label}"] = stops
            print(f"testcontainers {label}: median {statistics.median(starts):.2f} s")
    return failures


def report(
    args: argparse.Namespace,
    samples: dict[str, list[float]],
    tags: dict[str, str],
    majors: dict[str, int],
    failures: dict[str, str],
    seconds: float,
) -> None:
    med = {k: statistics.median(v) for k, v in samples.items()}
    ratios: dict[str, float] = {}
    for name in SNAPSHOTS:
        ratios[f"create {name} / floor"] = med[f"dotbox create {name}"] / med[f"floor {name}"]
        ratios[f"drop {name} (s)"] = med[f"dotbox drop {name}"]
    ratios["pool checkout (s)"] = med["pool checkout"]
    for label, name in (("empty", "default"), ("pagila", "pagila"), ("gitlab", "gitlab")):
        if f"testcontainers {label}" in med:
            ratios[f"testcontainers {label} / dotbox {name}"] = (
                med[f"testcontainers {label}"] / med[f"dotbox create {name}"]
            )
    verdicts = {}
    for key, (limit, kind) in TARGETS.items():
        if key in ratios:
            ok = ratios[key] <= limit if kind == "max" else ratios[key] >= limit
            verdicts[key] = {"value": ratios[key], "target": limit, "kind": kind, "met": ok}
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    result = {
        "when": datetime.now(UTC).isoformat(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "engine": client.version().get("Version"),
            "note": "shared machine: other sessions ran containers during this run",
        },
        "runs": {k: len(v) for k, v in samples.items()},
        "images": tags,
        "pg_major": majors,
        "median_s": med,
        "p95_s": {k: p95(v) for k, v in samples.items()},
        "targets": verdicts,
        "failures": failures,
        "samples_s": samples,
        "total_seconds": round(seconds, 1),
    }
    (out / "suite.json").write_text(json.dumps(result, indent=2) + "\n")
    print()
    for k in samples:
        print(
            f"{k:<34} n={len(samples[k]):<3} median {med[k] * 1000:9.1f} ms"
            f"   p95 {result['p95_s'][k] * 1000:9.1f} ms"
        )
    print()
    for key, v in verdicts.items():
        sign = "<=" if v["kind"] == "max" else ">="
        print(
            f"{key:<40} {v['value']:9.3f}  target {sign} {v['target']:<6} "
            f"{'met' if v['met'] else 'MISSED'}"
        )
    chart(samples, med, result["p95_s"], out / "suite.png")
    print(f"\nwritten {out / 'suite.json'} and {out / 'suite.png'} ({seconds:.0f} s in all)")


def chart(
    samples: dict[str, list[float]], med: dict[str, float], p95s: dict[str, float], path: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [k for k in samples if "stop" not in k][::-1]
    colours = [
        "#888888"
        if k.startswith("floor")
        else "#d62728"
        if k.startswith("testcontainers")
        else "#2ca02c"
        if k.startswith("pool")
        else "#1f77b4"
        for k in names
    ]
    fig, ax = plt.subplots(figsize=(10, 0.38 * len(names) + 1.5))
    ax.barh(
        names,
        [med[n] for n in names],
        xerr=[[0] * len(names), [p95s[n] - med[n] for n in names]],
        color=colours,
    )
    for i, n in enumerate(names):
        ax.text(med[n] * 1.05, i, f"{med[n] * 1000:.0f} ms", va="center", fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("seconds (bar: median, whisker: p95; log scale)")
    ax.set_title(
        f"dotbox vs the floor and testcontainers-python, same base image, {os.cpu_count()} cores"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
