"""The pytest plugin, as a user's suite meets it: pytest sessions of their own (subprocesses with
a DOTBOX_HOME each), read back from the engine by that home's label afterwards."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import dotbox
from dotbox.core.labels import Label
from dotbox.engine import client
from tests.pytest_runs import Suite, make_suite, outcomes, remove_run_dir

RECORD = """
import os


def record(name, *boxes):
    with open(os.environ["IDS_FILE"], "a") as fh:
        for sb in boxes:
            ttl = (sb.info.expires - sb.info.created).total_seconds()
            worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
            fh.write(f"{name} {sb.id} {int(ttl)} {worker}\\n")
"""


def live_in(suite: Suite) -> set[str]:
    """Ids of the sandboxes (containers) the engine holds for this suite's DOTBOX_HOME."""
    found = client.containers({Label.MANAGED_BY: "dotbox", Label.HOME: suite.home})
    return {c.labels.get(Label.ID, "") for c in found}


def run_dir_entries(suite: Suite) -> list[str]:
    root = Path(suite.env["DOTBOX_RUN_DIR"])
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


@pytest.fixture
def suite(tmp_path: Path) -> Iterator[Suite]:
    s = make_suite(tmp_path / "suite")
    s.write("record.py", RECORD)
    yield s
    for sid in live_in(s):  # whatever a failed assertion left: never leak into the engine
        s.dotbox("drop", sid)
    remove_run_dir(s)


def wait_for_records(suite: Suite, count: int, proc: subprocess.Popen[str]) -> None:
    """Until the suite's test has recorded ``count`` sandboxes (and is sleeping)."""
    end = time.monotonic() + 300
    while len(suite.records()) < count:
        if proc.poll() is not None or time.monotonic() > end:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            raise AssertionError(f"the suite never reached its sleeping test:\n{out}")
        time.sleep(0.2)


def test_every_sandbox_dropped_on_pass_failure_and_error(suite: Suite) -> None:
    suite.write(
        "test_user.py",
        """
        import pytest
        from record import record

        @pytest.fixture
        def broken_setup(dotbox_sandbox):
            record("setup_error", dotbox_sandbox)
            raise RuntimeError("setup broke after the sandbox was made")

        @pytest.fixture
        def broken_teardown(dotbox_sandbox):
            yield dotbox_sandbox
            raise RuntimeError("teardown broke")

        def test_pass(dotbox_sandbox, dotbox_session_sandbox):
            record("pass", dotbox_sandbox, dotbox_session_sandbox)
            dotbox_sandbox.query("create table t (x int)")
            assert dotbox_sandbox.query("select count(*) from t") == [(0,)]

        def test_fresh(dotbox_sandbox, dotbox_session_sandbox):
            record("fresh", dotbox_sandbox, dotbox_session_sandbox)
            assert dotbox_sandbox.query("select to_regclass('t')::text") == [(None,)]

        def test_fail(dotbox_sandbox):
            record("fail", dotbox_sandbox)
            assert dotbox_sandbox.query("select 2") == [(1,)]

        def test_setup_error(broken_setup):
            pass

        def test_teardown_error(broken_teardown):
            record("teardown_error", broken_teardown)

        def test_factory(dotbox_sandbox_factory):
            a, b = dotbox_sandbox_factory(), dotbox_sandbox_factory()
            record("factory", a, b)
            assert a.id != b.id
            assert a.query("select 1") == b.query("select 1") == [(1,)]
        """,
    )
    proc = suite.run()
    out = proc.stdout + proc.stderr
    assert outcomes(out) == {"passed": 4, "failed": 1, "error": 2}, out
    records = suite.records()
    by_test: dict[str, list[str]] = {}
    for name, sid, _ttl, _worker in records:
        by_test.setdefault(name, []).append(sid)
    # each test had its own sandbox, the session one was shared, the factory made two
    assert by_test["pass"][1] == by_test["fresh"][1]
    function_ids = [ids[0] for ids in by_test.values()] + by_test["factory"][1:]
    assert len(set(function_ids)) == len(function_ids) == 7
    assert {int(ttl) for _, _, ttl, _ in records} == {30 * 60}  # the plugin's default TTL
    # the engine and the socket root hold nothing of the session any more
    assert live_in(suite) == set()
    assert run_dir_entries(suite) == []
    # the failing test's report names its sandbox and how to keep it
    fail_id = by_test["fail"][0]
    report = out[out.index("test_fail") :]
    assert f"sandbox {fail_id} (from dotbox_sandbox)" in report
    assert "--dotbox-keep" in report
    assert f"sandbox {by_test['setup_error'][0]}" in out


def test_keep_leaves_the_sandboxes_and_prints_their_ids(
    suite: Suite, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite.write(
        "test_user.py",
        """
        from record import record

        def test_fail(dotbox_sandbox, dotbox_session_sandbox):
            record("fail", dotbox_sandbox, dotbox_session_sandbox)
            dotbox_sandbox.query("create table evidence (x int)")
            assert False
        """,
    )
    proc = suite.run("--dotbox-keep")
    out = proc.stdout
    assert outcomes(out) == {"failed": 1}, out
    ids = {sid for _, sid, _, _ in suite.records()}
    assert len(ids) == 2
    assert live_in(suite) == ids
    assert "kept (--dotbox-keep)" in out
    summary = out[out.index("dotbox: kept sandboxes") :]
    for sid in ids:
        assert f"dotbox drop {sid}" in summary
    # what the failed test left is still there to look at, from the suite's DOTBOX_HOME
    monkeypatch.setenv("DOTBOX_HOME", suite.home)
    kept = dotbox.get(suite.records()[0][1])
    assert kept.query("select to_regclass('evidence')::text") == [("evidence",)]


def test_snapshot_from_ini_option_marker_and_factory(suite: Suite, tmp_path: Path) -> None:
    ddl = tmp_path / "plug.sql"
    ddl.write_text("CREATE TABLE plug_marker (id integer PRIMARY KEY);\n")
    imported = suite.dotbox("snapshot", "import", str(ddl), "--name", "plug", "--pg", "17")
    assert imported.returncode == 0, imported.stderr
    suite.write("pytest.ini", "[pytest]\ndotbox_snapshot = plug\n")
    suite.write(
        "test_user.py",
        """
        import pytest

        HAS = "select to_regclass('plug_marker')::text"

        def test_ini(dotbox_sandbox):
            assert dotbox_sandbox.info.snapshot == "plug"
            assert dotbox_sandbox.query(HAS) == [("plug_marker",)]

        @pytest.mark.dotbox(snapshot="default")
        def test_marker(dotbox_sandbox):
            assert dotbox_sandbox.info.snapshot == "default"
            assert dotbox_sandbox.query(HAS) == [(None,)]

        def test_factory(dotbox_sandbox_factory):
            assert dotbox_sandbox_factory().info.snapshot == "plug"
            assert dotbox_sandbox_factory("default").query(HAS) == [(None,)]
        """,
    )
    proc = suite.run()
    assert outcomes(proc.stdout) == {"passed": 3}, proc.stdout + proc.stderr
    # the command line wins over the ini file: an unknown snapshot is an error naming it
    proc = suite.run("--dotbox-snapshot", "no-such-snapshot", "-k", "test_ini")
    assert outcomes(proc.stdout) == {"error": 1, "deselected": 2}, proc.stdout
    assert "no-such-snapshot" in proc.stdout
    assert live_in(suite) == set()


def test_server_settings_through_the_factory_and_the_marker(suite: Suite) -> None:
    suite.write(
        "test_user.py",
        """
        import pytest

        SHOW = (
            "select current_setting('max_connections'),"
            " current_setting('max_prepared_transactions')"
        )

        def test_factory(dotbox_sandbox_factory):
            sb = dotbox_sandbox_factory(max_connections=60, max_prepared_transactions=0)
            assert sb.query(SHOW) == [("60", "0")]
            assert dotbox_sandbox_factory().query(SHOW) == [("100", "10")]  # the control

        @pytest.mark.dotbox(max_prepared_transactions=25)
        def test_marker(dotbox_sandbox):
            assert dotbox_sandbox.query(SHOW) == [("100", "25")]
        """,
    )
    proc = suite.run()
    assert outcomes(proc.stdout) == {"passed": 2}, proc.stdout + proc.stderr
    assert live_in(suite) == set()


WATCH_REMOVER = """
import json, sys
from dotbox import api, pytest_plugin

pytest_plugin._import_library()  # what the first fixture does
sb = api.sandbox()
db = sb.database()
imported, errors = [], []

def watched(drop):
    def run():
        before = set(sys.modules)
        drop()
        imported.extend(sorted(set(sys.modules) - before))
    return run

remover = pytest_plugin._Remover(errors)
remover.submit(db.name, watched(db.drop))
remover.submit(sb.id, watched(sb.drop))
remover.wait()
print(json.dumps({"imported": imported, "errors": errors, "id": sb.id}))
"""


def test_the_background_remover_imports_nothing(suite: Suite) -> None:
    """Its thread must not import: under pytest the plugin's package is assertion-rewritten, and
    a parse in two threads at once failed an import in the main thread (CPython 3.11)."""
    proc = subprocess.run(
        [sys.executable, "-c", WATCH_REMOVER],
        env=suite.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    assert seen["errors"] == []
    assert seen["imported"] == []
    assert seen["id"] and live_in(suite) == set()  # both drops ran


def test_xdist_workers_each_get_their_own_sandboxes(suite: Suite) -> None:
    suite.write(
        "test_user.py",
        """
        import pytest
        from record import record

        @pytest.mark.parametrize("n", range(8))
        def test_isolated(n, dotbox_sandbox, dotbox_session_sandbox):
            record(f"t{n}", dotbox_sandbox)
            record("session", dotbox_session_sandbox)
            dotbox_sandbox.query("create table mine (n int)")
            dotbox_sandbox.query("insert into mine values (%s)", (n,))
            assert dotbox_sandbox.query("select n from mine") == [(n,)]
        """,
    )
    proc = suite.run("-n", "4")
    assert outcomes(proc.stdout) == {"passed": 8}, proc.stdout + proc.stderr
    records = suite.records()
    function_ids = [sid for i, (_, sid, _, _) in enumerate(records) if i % 2 == 0]
    session_of_worker = {worker: sid for i, (_, sid, _, worker) in enumerate(records) if i % 2 == 1}
    workers = {worker for *_, worker in records}
    assert len(set(function_ids)) == 8
    assert len(workers) > 1 and "main" not in workers
    # one session sandbox per worker, none shared between workers
    assert len(set(session_of_worker.values())) == len(workers)
    for name, sid, _, worker in records:
        if sid in session_of_worker.values():
            assert session_of_worker[worker] == sid, name
    assert live_in(suite) == set()
    assert run_dir_entries(suite) == []


def test_xdist_keep_reports_every_workers_sandboxes(suite: Suite) -> None:
    suite.write(
        "test_user.py",
        """
        import pytest
        from record import record

        @pytest.mark.parametrize("n", range(4))
        def test_box(n, dotbox_sandbox):
            record(f"t{n}", dotbox_sandbox)
        """,
    )
    proc = suite.run("-n", "2", "--dotbox-keep")
    assert outcomes(proc.stdout) == {"passed": 4}, proc.stdout
    ids = {sid for _, sid, _, _ in suite.records()}
    assert len(ids) == 4 and live_in(suite) == ids
    summary = proc.stdout[proc.stdout.index("dotbox: kept sandboxes") :]
    assert all(f"dotbox drop {sid}" in summary for sid in ids)


SLEEPER = """
import time
from record import record

def test_sleeps(dotbox_sandbox, dotbox_session_sandbox, dotbox_sandbox_factory):
    record("sleeps", dotbox_sandbox, dotbox_session_sandbox, dotbox_sandbox_factory())
    time.sleep(600)
"""


@pytest.mark.parametrize(
    ("how", "xdist"),
    [
        ("SIGINT to pytest", False),
        ("SIGTERM to pytest", False),
        ("SIGINT to pytest", True),
        ("SIGINT to the process group", True),
    ],
)
def test_interrupted_session_drops_its_sandboxes(suite: Suite, how: str, xdist: bool) -> None:
    suite.write("test_user.py", SLEEPER)
    proc = suite.popen(*(["-n", "2"] if xdist else []))
    try:
        wait_for_records(suite, 3, proc)
        ids = {sid for _, sid, _, _ in suite.records()}
        assert live_in(suite) == ids  # the running test holds three live sandboxes
        sig = signal.SIGTERM if "SIGTERM" in how else signal.SIGINT
        if "group" in how:
            os.killpg(proc.pid, sig)
        else:
            os.kill(proc.pid, sig)
        out, _ = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 2, out  # pytest's "interrupted"
    assert live_in(suite) == set(), out
    assert run_dir_entries(suite) == []


def test_sigkilled_session_is_reaped_by_ttl_and_gc(suite: Suite) -> None:
    suite.write("test_user.py", SLEEPER)
    proc = suite.popen("--dotbox-ttl", "3s")
    try:
        wait_for_records(suite, 3, proc)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)
    records = suite.records()
    ids = {sid for _, sid, _, _ in records}
    assert {int(ttl) for _, _, ttl, _ in records} == {3}
    assert live_in(suite) == ids  # SIGKILL: nothing ran, they are still there
    latest = max(
        datetime.fromisoformat(c.labels["dotbox.expires"])
        for c in client.containers({Label.HOME: suite.home, Label.ROLE: "sandbox"})
    )
    while datetime.now(UTC) <= latest:
        time.sleep(0.5)
    gc = suite.dotbox("gc", "--json")
    done = {(a["kind"], a["target"]) for a in json.loads(gc.stdout) if a["done"]}
    assert {("sandbox", sid) for sid in ids} <= done, gc.stdout + gc.stderr
    assert live_in(suite) == set()
    assert run_dir_entries(suite) == []


DATABASE_RECORD = """
import os


def record(name, database):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with open(os.environ["IDS_FILE"], "a") as fh:
        fh.write(f"{name} {database.name} {database.sandbox.id} {worker}\\n")
"""


def test_dotbox_database_gives_each_test_its_own_and_drops_them_all(suite: Suite) -> None:
    suite.write("record_db.py", DATABASE_RECORD)
    suite.write(
        "test_user.py",
        """
        import pytest
        from record_db import record

        @pytest.mark.parametrize("n", range(6))
        def test_own_database(n, dotbox_database):
            record(f"t{n}", dotbox_database)
            assert dotbox_database.query("select count(*) from runtime.block") == [(0,)]
            assert dotbox_database.query("select to_regclass('public.mine')") == [(None,)]
            dotbox_database.query("create table public.mine (n int)")
            dotbox_database.query("insert into runtime.block (code, title) values ('B1', 'x')")
        """,
    )
    proc = suite.run("-n", "2")
    out = proc.stdout + proc.stderr
    assert outcomes(out) == {"passed": 6}, out
    assert "could not be dropped" not in out, out
    records = suite.records()
    assert len({name for _, name, _, _ in records}) == 6
    sandbox_of_worker = {worker: sid for _, _, sid, worker in records}
    assert len(set(sandbox_of_worker.values())) == len(sandbox_of_worker) > 1
    assert live_in(suite) == set()
    assert run_dir_entries(suite) == []


def test_a_database_that_cannot_be_dropped_is_reported(suite: Suite) -> None:
    """The control of the confirmation above: a test whose role owns a table in the sandbox's
    own database leaves that role behind, and the session says so."""
    suite.write("record_db.py", DATABASE_RECORD)
    suite.write(
        "test_user.py",
        """
        import dataclasses

        from dotbox.pg import db
        from record_db import record

        def test_leaves_its_role(dotbox_database):
            record("left", dotbox_database)
            elsewhere = dataclasses.replace(dotbox_database.credentials, database="sandbox")
            with db.connect(elsewhere) as conn:
                conn.execute("create table public.owned_by_a_test_role (x int)")
        """,
    )
    proc = suite.run()
    out = proc.stdout + proc.stderr
    assert outcomes(out) == {"passed": 1}, out
    ((_, name, sid, _),) = suite.records()
    summary = out[out.index("could not be dropped") :]
    assert f"{sid}: database {name} was left" in summary, out
    assert live_in(suite) == set()
