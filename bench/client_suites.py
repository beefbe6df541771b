"""Do client libraries' own test suites see a sandbox as a plain PostgreSQL? (issue 18)

Two suites from their PyPI sdists, each run twice in one run on the same base image and major:

- SQLAlchemy's PostgreSQL dialect suite (``test/dialect/postgresql``), run as its
  README.unittests.rst says: pytest in the sdist's root, its own plugin (``test/conftest.py``
  loads ``sqlalchemy.testing.plugin``), ``--dburi postgresql+psycopg://…/test``;
- psycopg2's suite (``tests/``, ``PSYCOPG2_TESTDB*`` as its install docs say), run by pytest
  (its ``test_suite()`` aggregators deselected).

psycopg 3's own suite is in none of its PyPI artifacts (the sdists of psycopg, psycopg-c and
psycopg-pool hold no tests; psycopg-binary is wheels only); each run checks psycopg's sdist
again and records what it found. SQLAlchemy's suite drives psycopg 3.

The two sides:

- a dotbox sandbox (``dotbox create --tcp --json`` in a DOTBOX_HOME of its own), reached as the
  handed-out role, which is not a superuser;
- a plain PostgreSQL from the same base image, ``docker run`` of initdb + postgres published on
  127.0.0.1, reached as the superuser ``scott``/``tiger`` that SQLAlchemy's docs set up
  (the official image's POSTGRES_USER is a superuser), with their optional
  ``max_prepared_transactions = 10`` (fsync off: no test can see it).

On each side the suite's own role makes what the docs ask for: ``CREATE DATABASE test ENCODING
'utf8' TEMPLATE template0`` with the schemas test_schema and test_schema_2 and the extensions
hstore and citext; ``psycopg2_test`` likewise, with hstore.

Outcomes are compared test by test (pytest's ``--junitxml``). Writes
bench/results/client_suites.json and prints each side's totals and every test whose outcome
differs, with the first line of its message and, where it is known, why. Removes everything it
made (sandbox, its baked image, the plain server's container, temporary directories); the
peers' venv (/var/tmp/dotbox-clients-venv, with the sdists it fetched) is kept for the next run.

    make bench-clients          # python3 bench/client_suites.py [--pg 17 15] [--suites ...]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parent.parent
VENV = Path("/var/tmp/dotbox-clients-venv")
SQLALCHEMY = "2.1.9"
PSYCOPG = "3.3.9"
PSYCOPG2 = "2.9.13"
PEERS = [
    "pytest==9.2.0",
    "greenlet==3.5.6",
    "typing_extensions==4.16.0",
    f"psycopg[binary]=={PSYCOPG}",
    f"psycopg2-binary=={PSYCOPG2}",
]
PLAIN_USER, PLAIN_PASSWORD = "scott", "tiger"
PLAIN_SCRIPT = f"""set -e
echo {PLAIN_PASSWORD} > /tmp/pw
initdb -D /tmp/pgdata -U {PLAIN_USER} --pwfile=/tmp/pw -A scram-sha-256 -E UTF8 \
  --locale=C.UTF-8 >/dev/null
echo 'host all all all scram-sha-256' >> /tmp/pgdata/pg_hba.conf
exec postgres -D /tmp/pgdata -c listen_addresses='*' -c unix_socket_directories=/tmp \
  -c max_prepared_transactions=10 -c fsync=off
"""
SNAPSHOT_DDL = "-- the suites make their own databases, as their docs say\nCREATE SCHEMA clients;\n"
PASSWORD_TEST = "test_multiple_host_real_connect"
WHY = (
    (
        re.compile(r"superuser", re.I),
        "by design: the handed-out role is not a superuser",
    ),
    (
        re.compile(PASSWORD_TEST),
        "the test's artefact: it fills a URL template by replacing the letters H and P after "
        "the password is in it; a sandbox's random password (token_urlsafe(24)) holds an H or "
        "a P in 64% of sandboxes (the docs' 'tiger' never), and then the password it sends is "
        "not the password",
    ),
)

WATCHED = {
    "two-phase commit": re.compile(r"twophase|two_phase|tpc", re.I),
    "collation": re.compile(r"collat", re.I),
}


@dataclass(frozen=True)
class Server:
    side: str
    port: int
    user: str
    password: str

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"


@dataclass(frozen=True)
class Suite:
    name: str
    sdist: str
    database: str
    setup: tuple[str, ...]
    argv: Callable[[Server], list[str]]
    env: Callable[[Server], dict[str, str]] = lambda server: {}


SUITES = {
    "sqlalchemy": Suite(
        name="sqlalchemy",
        sdist=f"sqlalchemy=={SQLALCHEMY}",
        database="test",
        setup=(
            "CREATE SCHEMA test_schema",
            "CREATE SCHEMA test_schema_2",
            "CREATE EXTENSION hstore",
            "CREATE EXTENSION citext",
        ),
        argv=lambda s: [
            "test/dialect/postgresql",
            "--dburi",
            s.url("test").replace("postgresql://", "postgresql+psycopg://"),
        ],
    ),
    "psycopg2": Suite(
        name="psycopg2",
        sdist=f"psycopg2=={PSYCOPG2}",
        database="psycopg2_test",
        setup=("CREATE EXTENSION hstore",),
        argv=lambda s: ["tests", "-k", "not test_suite"],
        env=lambda s: {
            "PSYCOPG2_TESTDB": "psycopg2_test",
            "PSYCOPG2_TESTDB_HOST": "127.0.0.1",
            "PSYCOPG2_TESTDB_PORT": str(s.port),
            "PSYCOPG2_TESTDB_USER": s.user,
            "PSYCOPG2_TESTDB_PASSWORD": s.password,
        },
    ),
}


@dataclass
class Sandbox:
    """A sandbox of a snapshot imported for ``major``, in a DOTBOX_HOME under ``root``."""

    root: Path
    major: int
    env: dict[str, str] = field(default_factory=dict)
    sandbox_id: str = ""

    def dotbox(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "dotbox", *args], env=self.env, capture_output=True, text=True
        )
        if done.returncode:
            raise SystemExit(f"dotbox {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def start(self) -> Server:
        run_dir = tempfile.mkdtemp(prefix="dbx-")  # short: socket paths must fit 107 bytes
        self.env = dict(os.environ)
        self.env.update(
            DOTBOX_HOME=str(self.root / "dotbox-home"),
            DOTBOX_RUN_DIR=str(Path(run_dir) / "r"),
            PYTHONPATH=os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p),
        )
        ddl = self.root / "clients.sql"
        ddl.write_text(SNAPSHOT_DDL)
        name = f"clients{self.major}"
        self.dotbox("snapshot", "import", str(ddl), "--name", name, "--pg", str(self.major))
        made = json.loads(self.dotbox("create", "--snapshot", name, "--tcp", "--json"))
        self.sandbox_id = made["id"]
        port = int(made["tcp_dsn"].rsplit(":", 1)[1].split("/")[0])
        return Server("sandbox", port, made["user"], made["password"])

    def stop(self) -> None:
        if self.sandbox_id:
            self.dotbox("drop", self.sandbox_id)
        baked = [
            image["tag"]
            for image in json.loads(self.dotbox("image", "list", "--json"))
            if image["kind"] == "baked" and image["snapshot"] == f"clients{self.major}"
            and image.get("snapshot_here")
        ]  # fmt: skip
        if baked:
            self.dotbox("image", "rm", *baked)
        shutil.rmtree(Path(self.env["DOTBOX_RUN_DIR"]).parent, ignore_errors=True)


@dataclass
class Plain:
    """A plain PostgreSQL from the base image: initdb + postgres, published on 127.0.0.1."""

    major: int
    name: str = field(default_factory=lambda: f"client-suites-plain-{secrets.token_hex(4)}")

    def start(self) -> Server:
        subprocess.run(
            ["docker", "run", "-d", "--name", self.name, "--label", "dotbox-bench=client-suites",
             "-p", "127.0.0.1::5432", "--user", "postgres", "--entrypoint", "sh",
             f"dotbox/base:pg{self.major}", "-c", PLAIN_SCRIPT],
            check=True, capture_output=True,
        )  # fmt: skip
        published = subprocess.run(
            ["docker", "port", self.name, "5432/tcp"], check=True, capture_output=True, text=True
        ).stdout.split()[0]
        server = Server("plain", int(published.rsplit(":", 1)[1]), PLAIN_USER, PLAIN_PASSWORD)
        _wait_ready(server, self.name)
        return server

    def stop(self) -> None:
        subprocess.run(["docker", "rm", "-f", "-v", self.name], capture_output=True)


def _wait_ready(server: Server, container: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            psycopg.connect(server.url("postgres"), connect_timeout=3).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline or not _running(container):
                logs = subprocess.run(["docker", "logs", container], capture_output=True, text=True)
                raise SystemExit(f"{container} never answered:\n{logs.stderr[-2000:]}") from None
            time.sleep(0.5)


def _running(container: str) -> bool:
    state = subprocess.run(
        ["docker", "inspect", "-f", "{{.State.Running}}", container], capture_output=True, text=True
    )
    return state.stdout.strip() == "true"


def _say(what: str) -> None:
    print(f"{datetime.now(UTC):%H:%M:%S} {what}", flush=True)


def prepare(server: Server, suite: Suite) -> None:
    """What the suite's docs ask for, made by the role the suite runs as."""
    with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {suite.database} ENCODING 'utf8' TEMPLATE template0")
    with psycopg.connect(server.url(suite.database), autocommit=True) as conn:
        for statement in suite.setup:
            conn.execute(statement)


def facts(server: Server) -> dict[str, object]:
    query = """select current_setting('server_version'), current_setting('max_connections'),
                      current_setting('max_prepared_transactions'), rolsuper, rolcreatedb,
                      datcollate, pg_encoding_to_char(encoding)
               from pg_roles, pg_database
               where rolname = current_user and datname = current_database()"""
    with psycopg.connect(server.url("postgres")) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None
    keys = ("server_version", "max_connections", "max_prepared_transactions", "superuser",
            "createdb", "collate", "encoding")  # fmt: skip
    return {"user": server.user, **dict(zip(keys, row, strict=True))}


def setup_peers() -> dict[str, str]:
    """The peers' venv (the system Python; pytest, the drivers), and what it holds."""
    if not (VENV / "bin" / "python").exists():
        subprocess.run(["/usr/bin/python3", "-m", "venv", str(VENV)], check=True)
    subprocess.run([f"{VENV}/bin/pip", "install", "-q", *PEERS], check=True)
    listed = subprocess.run(
        [f"{VENV}/bin/pip", "list", "--format", "json"], check=True, capture_output=True, text=True
    ).stdout
    return {p["name"]: p["version"] for p in json.loads(listed)}


def fetch(requirement: str, into: Path) -> Path:
    """The sdist of ``requirement``, unpacked under ``into``. pip prepares an sdist's metadata
    (a build environment: minutes for SQLAlchemy's), so the archives are kept beside the venv."""
    name, version = requirement.split("==")
    kept = VENV / "sdists"
    archive = _archive(kept, name, version)
    if archive is None:
        subprocess.run(
            [f"{VENV}/bin/pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
             requirement, "-d", str(kept)],
            check=True,
        )  # fmt: skip
        archive = _archive(kept, name, version)
    assert archive is not None, f"pip download {requirement} left no archive"
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into / archive.name.removesuffix(".tar.gz")


def _archive(folder: Path, name: str, version: str) -> Path | None:
    names = {f"{name}-{version}.tar.gz", f"{name.replace('-', '_')}-{version}.tar.gz"}
    return next((folder / n for n in names if (folder / n).exists()), None)


def psycopg3_tests(into: Path) -> dict[str, object]:
    """Whether psycopg 3's sdist carries its test suite."""
    source = fetch(f"psycopg=={PSYCOPG}", into)
    tests = sorted(str(p.relative_to(source)) for p in source.rglob("test_*.py"))
    return {"sdist": source.name, "files": sum(1 for _ in source.rglob("*")), "test_files": tests}


@dataclass(frozen=True)
class Run:
    wall_s: float
    exit: int
    tests: dict[str, list[str]]

    def summary(self) -> dict[str, object]:
        counts = Counter(outcome for outcome, _ in self.tests.values())
        totals = {k: counts.get(k, 0) for k in ("passed", "failed", "error", "skipped")}
        return {"wall_s": self.wall_s, "exit": self.exit, **totals, "total": len(self.tests)}


def run_suite(
    suite: Suite, source: Path, server: Server, out: Path, extra: tuple[str, ...] = ()
) -> Run:
    xml = out / f"{suite.name}-{server.side}-{secrets.token_hex(3)}.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")} | suite.env(server)
    command = [f"{VENV}/bin/python", "-m", "pytest", "-p", "no:cacheprovider", "-q",
               f"--junitxml={xml}", *suite.argv(server), *extra]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, cwd=source, env=env, capture_output=True, text=True,
                          timeout=7200)  # fmt: skip
    wall = time.perf_counter() - started
    if not xml.exists():
        raise SystemExit(f"{suite.name} on {server.side}: no report\n{done.stdout[-3000:]}")
    return Run(round(wall, 1), done.returncode, outcomes(xml, server))


def outcomes(xml: Path, server: Server) -> dict[str, list[str]]:
    """Each test's outcome (passed, failed, error, skipped) and its message's first line."""
    result: dict[str, list[str]] = {}
    for case in ET.parse(xml).getroot().iter("testcase"):
        node = f"{case.get('classname')}::{case.get('name')}"
        outcome, reason = "passed", ""
        for tag, word in (("skipped", "skipped"), ("error", "error"), ("failure", "failed")):
            found = case.find(tag)
            if found is not None:
                outcome, reason = word, _first_line(found.get("message") or found.text or "")
        result[node] = [outcome, reason.replace(server.password, "***")]
    return result


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")[:300]


def password_control(
    suite: Suite, source: Path, server: Server, out: Path, differences: list[dict[str, str]]
) -> None:
    """The password artefact's explanation, tried: the tests that differ run again on the same
    sandbox while its role's password holds no H and no P (the role sets its own password,
    and sets it back afterwards)."""
    hit = [d for d in differences if PASSWORD_TEST in d["test"] and d["sandbox"] == "failed"]
    if not hit:
        return
    clean = replace(server, password=secrets.token_hex(16))
    _set_password(server, clean.password)
    try:
        again = run_suite(suite, source, clean, out, ("-k", PASSWORD_TEST)).tests
    finally:
        _set_password(clean, server.password)
    for d in hit:
        d["control"] = again.get(d["test"], ["absent"])[0]
        d["why"] += f"; control: {d['control']} with the role's password set to hex digits"


def _set_password(server: Server, password: str) -> None:
    statement = sql.SQL("ALTER ROLE {} PASSWORD {}")
    with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
        conn.execute(statement.format(sql.Identifier(server.user), sql.Literal(password)))


def watched(tests: dict[str, list[str]]) -> dict[str, dict[str, int]]:
    """Outcomes of the tests behind issue 18's exceptions (two-phase commit, collations)."""
    return {
        what: dict(Counter(o for node, (o, _) in tests.items() if pattern.search(node)))
        for what, pattern in WATCHED.items()
    }


def compare(sandbox: dict[str, list[str]], plain: dict[str, list[str]]) -> list[dict[str, str]]:
    missing = ["absent", ""]
    differences = []
    for node in sorted(set(sandbox) | set(plain)):
        ours, theirs = sandbox.get(node, missing), plain.get(node, missing)
        if ours[0] == theirs[0]:
            continue
        said = f"{node} {ours[1]} {theirs[1]}"
        why = next((text for pattern, text in WHY if pattern.search(said)), "not explained")
        differences.append(
            {"test": node, "sandbox": ours[0], "plain": theirs[0], "sandbox_reason": ours[1],
             "plain_reason": theirs[1], "why": why}
        )  # fmt: skip
    return differences


def one_major(major: int, names: list[str], sources: dict[str, Path], tmp: Path) -> dict[str, Any]:
    """Both sides of every suite on ``major``; everything made is removed on the way out."""
    result: dict[str, object] = {"base_image": f"dotbox/base:pg{major}"}
    (tmp / f"sandbox-{major}").mkdir()
    with ExitStack() as cleanup:
        sandbox, plain = Sandbox(tmp / f"sandbox-{major}", major), Plain(major)
        cleanup.callback(sandbox.stop)
        cleanup.callback(plain.stop)
        _say(f"pg{major}: a sandbox (snapshot import, bake, create --tcp) and a plain server")
        servers = [sandbox.start(), plain.start()]
        for name in names:
            for server in servers:
                prepare(server, SUITES[name])
        result["servers"] = {s.side: facts(s) for s in servers}
        for name in names:
            _say(f"pg{major}: {name}'s suite on the sandbox, then on the plain server")
            runs = {s.side: run_suite(SUITES[name], sources[name], s, tmp) for s in servers}
            entry: dict[str, Any] = {side: run.summary() for side, run in runs.items()}
            entry["issue_checks"] = {side: watched(run.tests) for side, run in runs.items()}
            entry["differences"] = compare(runs["sandbox"].tests, runs["plain"].tests)
            password_control(SUITES[name], sources[name], servers[0], tmp, entry["differences"])
            _print(major, name, entry)
            result[name] = entry
    return result


def _print(major: int, name: str, entry: dict[str, Any]) -> None:
    for side in ("sandbox", "plain"):
        print(f"pg{major} {name:<10} {side:<8} {json.dumps(entry[side])}", flush=True)
    differences: list[dict[str, str]] = entry["differences"]
    print(f"pg{major} {name:<10} issue 18's tests: {json.dumps(entry['issue_checks'])}")
    print(f"pg{major} {name:<10} {len(differences)} tests differ", flush=True)
    for d in differences:
        print(f"  {d['test']}\n    sandbox {d['sandbox']}: {d['sandbox_reason']}\n"
              f"    plain {d['plain']}: {d['plain_reason']}\n    why: {d['why']}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg", type=int, nargs="+", default=[17], help="majors (default 17)")
    parser.add_argument("--suites", nargs="+", default=list(SUITES), choices=list(SUITES))
    args = parser.parse_args()
    started = time.perf_counter()
    report: dict[str, object] = {"when": datetime.now(UTC).isoformat(), "cpus": os.cpu_count()}
    _say(f"peers' venv {VENV}")
    report["venv"] = setup_peers()
    tmp = Path(tempfile.mkdtemp(prefix="dotbox-clients-", dir="/var/tmp"))
    try:
        _say("sdists from the package index")
        sources = {name: fetch(SUITES[name].sdist, tmp / "sdists") for name in args.suites}
        report["sdists"] = {name: path.name for name, path in sources.items()}
        report["psycopg3_suite_in_sdist"] = psycopg3_tests(tmp / "psycopg3")
        for major in args.pg:
            report[f"pg{major}"] = one_major(major, args.suites, sources, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report["wall_s"] = round(time.perf_counter() - started, 1)
    report["load_after"] = os.getloadavg()
    out = REPO / "bench" / "results" / "client_suites.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"whole run {report['wall_s']} s; written {out}")


if __name__ == "__main__":
    main()
