"""What users feel: one 200-test suite (each test creates a table, writes rows, reads them back)
on the bundled default snapshot and on pagila, serially and with ``-n 2``, with

- dotbox, a database per test (``dotbox_database``: cloned inside one sandbox per worker);
- dotbox, a sandbox per test from a warm pool (``dotbox_sandbox``, pool filled first);
- dotbox, a sandbox per test without a pool;
- pytest-postgresql (``postgresql_proc`` on Debian's PostgreSQL of the same major on the host,
  the schema loaded once into its template; a database per test);
- testcontainers-python (a PostgresContainer per test on an image built from the same base,
  the schema loaded by its init scripts), which runs ``--peer-tests`` tests and is extrapolated.

    make bench-suite            # python3 bench/suite_race.py [--tests 200] [--peer-tests 20]

Each timed suite starts once the machine is quiet (what the last run left going, such as a
container's removal, is not billed to the next). Reports each run's wall time and the per-test
overhead (a test's setup + teardown as pytest measures it; median and p95), writes
bench/results/suite_race.json and a chart bench/results/suite_race.png. Timings only: no
thresholds. Every snapshot is imported for PostgreSQL 15, the major of Debian 12's server that
pytest-postgresql runs.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import pwd
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

from bench.plugin_overhead import RECORDER, per_test  # noqa: E402
from tests.pytest_runs import make_suite, outcomes, remove_run_dir  # noqa: E402

MAJOR = 15
PEER_IMAGE = f"dotbox/bench-official:pg{MAJOR}"
BENCH_USER = "dotbox-bench"  # PostgreSQL refuses to run as root: pytest-postgresql runs as it
PEER_VENV = Path("/var/tmp/dotbox-bench-venv")
SCHEMAS = {
    "default": REPO / "dotbox" / "data" / "default.sql",
    "pagila": REPO / "tests" / "corpora" / "pagila.sql",
}

TEST_BODY = """
@pytest.mark.parametrize("n", range({n}))
def test_rows(n, {fixture}):
    run({fixture}, "create table bench_t (id int primary key, note text)")
    run({fixture}, "insert into bench_t select i, 'row ' || i from generate_series(1, 10) i")
    assert run({fixture}, "select count(*), max(id) from bench_t") == [(10, 10)]
"""

RUN_ON_A_CONNECTION = """
def run(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        rows = cur.fetchall() if cur.description else None
    conn.commit()
    return rows
"""

# Like pytest-postgresql's ``postgresql`` fixture: one connection per test, opened in its set-up.
DOTBOX_SUITE = (
    """
import pytest

@pytest.fixture
def conn({dotbox_fixture}):
    with {dotbox_fixture}.connect() as connection:
        yield connection
"""
    + RUN_ON_A_CONNECTION
    + TEST_BODY
)

PG_SUITE = "\nimport pytest\n" + RUN_ON_A_CONNECTION + TEST_BODY

PG_CONFTEST = """
import os
from pathlib import Path
from pytest_postgresql import factories

postgresql_proc = factories.postgresql_proc(
    executable="/usr/lib/postgresql/{major}/bin/pg_ctl", load=[Path(os.environ["BENCH_DDL"])]
)
postgresql = factories.postgresql("postgresql_proc")
"""

PEER_SUITE = (
    """
import psycopg
import pytest
from testcontainers.postgres import PostgresContainer

@pytest.fixture
def pg():
    container = PostgresContainer("{image}", username="postgres", driver=None).with_volume_mapping(
        "{ddl}", "/docker-entrypoint-initdb.d/schema.sql"
    )
    container.start()
    try:
        with psycopg.connect(container.get_connection_url(), autocommit=True) as conn:
            yield conn
    finally:
        container.stop()

def run(conn, sql):
    cur = conn.execute(sql)
    return cur.fetchall() if cur.description else None
"""
    + TEST_BODY
)


def _check(proc: subprocess.CompletedProcess[str], what: str) -> None:
    counts = outcomes(proc.stdout)
    if proc.returncode or counts.get("failed") or counts.get("error") or not counts.get("passed"):
        raise SystemExit(f"{what} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")


def _rows(out_file: Path) -> list[list[object]]:
    return [json.loads(line) for line in out_file.read_text().splitlines()]


def dotbox_run(root: Path, fixture: str, snapshot: str, n: int, args: list[str], pool: int):
    """A dotbox suite in a DOTBOX_HOME of its own holding ``snapshot`` (pool filled first,
    not timed, when ``pool``)."""
    suite = make_suite(root)
    suite.write("conftest.py", RECORDER)
    suite.write("test_suite.py", DOTBOX_SUITE.format(n=n, fixture="conn", dotbox_fixture=fixture))
    suite.env["BENCH_OUT"] = str(root / "durations.jsonl")
    ddl, name = SCHEMAS[snapshot], snapshot
    imported = suite.dotbox("snapshot", "import", str(ddl), "--name", name, "--pg", str(MAJOR))
    _check_cli(imported, "snapshot import")
    try:
        if pool:
            _check_cli(suite.dotbox("pool", "fill", name, "--size", str(pool)), "pool fill")
        settle()
        t = time.perf_counter()
        proc = suite.run("-q", "-p", "no:randomly", "--dotbox-snapshot", name, *args, timeout=7200)
        wall = time.perf_counter() - t
    finally:
        if pool:
            suite.dotbox("pool", "drain")
        remove_run_dir(suite)
    _check(proc, f"dotbox {fixture} on {snapshot}")
    return wall, _rows(root / "durations.jsonl")


def settle(most: float = 60.0) -> None:
    """Wait, at most ``most`` seconds, until the machine is quiet before a timed suite: what the
    last run left going (a container's removal, a fill's last server starting) would otherwise
    be billed to the next. Quiet: at most one runnable task (this one), on average over 1 s."""
    deadline = time.monotonic() + most
    while time.monotonic() < deadline:
        samples = []
        for _ in range(10):
            samples.append(int(Path("/proc/loadavg").read_text().split()[3].split("/")[0]))
            time.sleep(0.1)
        if statistics.mean(samples) <= 1.5:
            return


def _check_cli(proc: subprocess.CompletedProcess[str], what: str) -> None:
    if proc.returncode:
        raise SystemExit(f"{what} failed: {proc.stderr.strip()}")


def pg_run(root: Path, snapshot: str, n: int, args: list[str]):
    """pytest-postgresql's suite, run as BENCH_USER with the peer venv's Python."""
    root.mkdir(parents=True)
    (root / "pytest.ini").write_text("[pytest]\n")
    (root / "conftest.py").write_text(PG_CONFTEST.format(major=MAJOR) + RECORDER)
    (root / "test_suite.py").write_text(PG_SUITE.format(n=n, fixture="postgresql"))
    ddl = root / "schema.sql"
    shutil.copy(SCHEMAS[snapshot], ddl)
    user = pwd.getpwnam(BENCH_USER)
    for path in [root, *root.iterdir()]:
        os.chown(path, user.pw_uid, user.pw_gid)
    env = {
        "PATH": f"{PEER_VENV}/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": str(root),
        "BENCH_OUT": str(root / "durations.jsonl"),
        "BENCH_DDL": str(ddl),
    }
    command = [f"{PEER_VENV}/bin/python", "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    if os.getuid() == 0:
        command = ["runuser", "-u", BENCH_USER, "--", "env", *[f"{k}={v}" for k, v in env.items()],
                   *command]  # fmt: skip
    settle()
    t = time.perf_counter()
    proc = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=7200)
    wall = time.perf_counter() - t
    _check(proc, f"pytest-postgresql on {snapshot}")
    return wall, _rows(root / "durations.jsonl")


def peer_run(root: Path, snapshot: str, n: int, args: list[str]):
    suite = make_suite(root)
    suite.write("conftest.py", RECORDER)
    suite.write(
        "test_suite.py",
        PEER_SUITE.format(n=n, fixture="pg", image=PEER_IMAGE, ddl=SCHEMAS[snapshot]),
    )
    suite.env["BENCH_OUT"] = str(root / "durations.jsonl")
    suite.env["TESTCONTAINERS_RYUK_DISABLED"] = "true"
    settle()
    t = time.perf_counter()
    proc = suite.run("-q", "-p", "no:randomly", *args, timeout=7200)
    wall = time.perf_counter() - t
    remove_run_dir(suite)
    _check(proc, f"testcontainers on {snapshot}")
    return wall, _rows(root / "durations.jsonl")


def setup_peers() -> None:
    """The peers' set-up: Debian's PostgreSQL server, a user it may run as, a venv of the
    system Python with pytest-postgresql, and the testcontainers image."""
    if not Path(f"/usr/lib/postgresql/{MAJOR}/bin/pg_ctl").exists():
        subprocess.run(["apt-get", "install", "-y", "-q", f"postgresql-{MAJOR}"], check=True)
    if os.getuid() == 0:
        try:
            pwd.getpwnam(BENCH_USER)
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", BENCH_USER], check=True)
    if not (PEER_VENV / "bin" / "python").exists():
        subprocess.run(["/usr/bin/python3", "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run(
            [f"{PEER_VENV}/bin/pip", "install", "-q", "pytest", "pytest-xdist",
             "pytest-postgresql", "psycopg[binary]"],
            check=True,
        )  # fmt: skip
    subprocess.run(
        ["docker", "build", "-q", "--build-arg", f"BASE=dotbox/base:pg{MAJOR}", "-t", PEER_IMAGE,
         str(REPO / "bench" / "official-like")],
        check=True, capture_output=True,
    )  # fmt: skip


def summary(wall: float, rows: list[list[object]], n: int, ran: int) -> dict[str, object]:
    overhead = sorted(per_test(rows, ("setup", "teardown")))
    entry: dict[str, object] = {
        "tests": ran,
        "wall_s": round(wall, 2),
        "overhead_median_ms": round(1000 * statistics.median(overhead), 1),
        "overhead_p95_ms": round(1000 * overhead[int(0.95 * (len(overhead) - 1))], 1),
    }
    if ran != n:
        entry["wall_s_extrapolated_to"] = {"tests": n, "wall_s": round(wall * n / ran, 1)}
    return entry


def chart(results: dict[str, dict[str, dict[str, object]]], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(7 * len(results), 5))
    for ax, (case, runs) in zip(axes, results.items(), strict=True):
        labels = list(runs)
        values = [float(r["overhead_median_ms"]) for r in runs.values()]  # type: ignore[arg-type]
        ax.barh(labels, values)
        ax.set_xscale("log")
        ax.set_xlabel("per-test overhead, median (ms, log scale)")
        ax.set_title(case)
        for y, v in enumerate(values):
            ax.text(v, y, f" {v:.0f}", va="center")
    fig.tight_layout()
    fig.savefig(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tests", type=int, default=200)
    parser.add_argument("--peer-tests", type=int, default=20)
    parser.add_argument("--schemas", nargs="+", default=list(SCHEMAS))
    parser.add_argument("--skip", nargs="*", default=[], help="variants to leave out")
    args = parser.parse_args()
    setup_peers()
    tmp = Path(tempfile.mkdtemp(prefix="dotbox-race-", dir="/var/tmp"))
    atexit.register(shutil.rmtree, tmp, True)  # a failed run's too
    os.chmod(tmp, 0o755)
    n = args.tests
    variants = {
        "dotbox per-test database": lambda r, s, a: dotbox_run(r, "dotbox_database", s, n, a, 0),
        "dotbox sandbox, pool": lambda r, s, a: dotbox_run(r, "dotbox_sandbox", s, n, a, n),
        "dotbox sandbox, no pool": lambda r, s, a: dotbox_run(r, "dotbox_sandbox", s, n, a, 0),
        "pytest-postgresql": lambda r, s, a: pg_run(r, s, n, a),
        "testcontainers": lambda r, s, a: peer_run(r, s, args.peer_tests, a),
    }
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    saved = out / "suite_race.json"
    report: dict[str, object] = {"when": datetime.now(UTC).isoformat(), "cpus": os.cpu_count()}
    # a run of some schemas keeps the other schemas' last results
    results: dict[str, dict[str, dict[str, object]]] = (
        json.loads(saved.read_text()).get("results", {}) if saved.exists() else {}
    )
    for schema in args.schemas:
        for mode, extra in (("serial", []), ("-n 2", ["-n", "2"])):
            case = f"{schema}, {mode}"
            results[case] = {}
            for label, run in variants.items():
                if label in args.skip:
                    continue
                root = tmp / f"{schema}-{mode}-{label}".replace(" ", "_").replace(",", "")
                wall, rows = run(root, schema, extra)
                ran = args.peer_tests if label == "testcontainers" else n
                results[case][label] = summary(wall, rows, n, ran)
                print(f"{case:<16} {label:<26} {json.dumps(results[case][label])}", flush=True)
                report["results"] = results
                report["load_after"] = os.getloadavg()
                saved.write_text(json.dumps(report, indent=2) + "\n")
    chart(results, out / "suite_race.png")
    print(f"written {saved} and {out / 'suite_race.png'}")


if __name__ == "__main__":
    main()
