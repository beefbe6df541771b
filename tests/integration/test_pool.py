"""The warm pool: fill, status, claim (atomic across processes), drain, gc; parallel create."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

import dotbox
from dotbox import api, pool
from dotbox.core import paths
from dotbox.core.labels import Label
from dotbox.engine import client
from dotbox.sandboxes import lease
from tests.conftest import unique
from tests.integration.conftest import cli_json, run_cli

POOLED = {Label.MANAGED_BY: "dotbox", Label.POOL: "default"}


def _mine(labels: dict[str, str]) -> list[str]:
    found = client.containers({**labels, Label.HOME: str(paths.data_home())})
    return sorted(c.labels[Label.ID] for c in found)


def _wait_for_refill(ready: int, snapshot: str = "default") -> pool.PoolStatus:
    """Until the background refill has brought the pool back to ``ready`` and stopped."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        status = pool.status_of(snapshot)
        if status.ready >= ready and not status.filling:
            return status
        time.sleep(0.2)
    raise AssertionError(f"the pool never got back to {ready} ready: {pool.status_of(snapshot)}")


@pytest.fixture
def drained() -> Iterator[None]:
    """Each test starts and ends with no pool and no sandbox of this session."""
    pool.drain()
    yield
    pool.drain()
    for sid in _mine({Label.MANAGED_BY: "dotbox", Label.ROLE: "sandbox"}):
        api.drop(sid)


def test_fill_status_and_list(drained: None) -> None:
    report = cli_json("pool", "fill", "default", "--size", "3")
    assert isinstance(report, dict)
    assert len(report["started"]) == 3
    status = cli_json("pool", "status")
    assert isinstance(status, list) and len(status) == 1
    s = status[0]
    assert (s["snapshot"], s["size"], s["ready"], s["starting"], s["filling"]) == (
        "default",
        3,
        3,
        0,
        False,
    )
    assert sorted(s["ids"]) == sorted(report["started"]) == _mine(POOLED)
    # Waiting in the pool is not being in use: 'list' does not show them.
    assert cli_json("list") == []
    # Filling again to the same size starts nothing.
    again = cli_json("pool", "fill", "default", "--size", "3")
    assert isinstance(again, dict) and again["started"] == []


def test_claim_gives_a_normal_sandbox_with_the_claimers_ttl_and_refills(drained: None) -> None:
    pool.fill("default", 2)
    before = set(pool.status_of("default").ids)
    sb = dotbox.sandbox(ttl="7m")
    now = datetime.now(UTC)
    assert sb.id in before
    assert sb.id not in pool.status_of("default").ids
    # The claimer's TTL, not the pool's 12 h, wherever the expiry is read.
    assert timedelta(minutes=6) < sb.info.expires - now <= timedelta(minutes=7)
    shown = cli_json("show", sb.id)
    assert isinstance(shown, dict)
    assert datetime.fromisoformat(shown["expires"]) == sb.info.expires
    assert shown["state"] == "ready"
    listed = cli_json("list")
    assert isinstance(listed, list) and [x["id"] for x in listed] == [sb.id]
    # It answers with its own password, and with no other.
    assert sb.query("SELECT current_user") == [("sandbox",)]
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(sb.dsn.replace(sb.credentials.password, "wrong-password"))
    records = [json.loads(line) for line in Path(_ledger(sb.id)).read_text().splitlines()]
    assert [r["primitive"] for r in records] == ["sandbox-create", "sandbox-claim"]
    # The claim started a background fill back to the pool's size.
    status = _wait_for_refill(2)
    assert status.ready == 2 and sb.id not in status.ids and len(_mine(POOLED)) == 3
    dropped = run_cli("drop", sb.id, check=True)
    assert "confirmed gone" in dropped.stdout
    assert not client.containers({Label.ID: sb.id})
    assert not paths.sandbox_dir(sb.id).exists()


def _claiming(seconds: float, done: Callable[[pool.PoolStatus], bool]) -> pool.PoolStatus:
    """Touch the pool's claim stamp as a suite's claims do, for ``seconds`` or until ``done``
    says so of the pool's status, read at each touch; the last status."""
    end = time.monotonic() + seconds
    while True:
        (pool.root() / "default" / pool.CLAIMED).touch()
        status = pool.status_of("default")
        if done(status) or time.monotonic() > end:
            return status
        time.sleep(0.2)


def test_a_refill_waits_while_claims_keep_coming(drained: None) -> None:
    """A suite taking sandboxes from a pool still half full keeps its cores: the claim's
    refill runs (it holds the pool's lock) but starts nothing while claims keep coming, and
    tops the pool up once they pause."""
    pool.fill("default", 4)
    got = pool.checkout("default", timedelta(minutes=5))
    assert got is not None
    try:

        def nothing_started(status: pool.PoolStatus) -> bool:
            assert (status.ready, status.starting) == (3, 0), status
            return False

        _claiming(3 * pool.REFILL_QUIET, nothing_started)
        assert pool.status_of("default").filling  # the refill is there, waiting
        assert _wait_for_refill(4).ready == 4
    finally:
        api.drop(got[0].id)


def test_a_refill_does_not_wait_once_the_pool_is_below_half(drained: None) -> None:
    """Control of the wait above: with claims still coming, a pool below half its size gets
    sandboxes started at once, until it is half full again."""
    pool.fill("default", 4)
    claimed = [pool.checkout("default", timedelta(minutes=5)) for _ in range(3)]
    try:
        assert all(claimed) and pool.status_of("default").ready == 1
        status = _claiming(120, lambda status: 2 * status.ready >= 4)
        assert status.ready >= 2, status
    finally:
        for got in claimed:
            if got is not None:
                api.drop(got[0].id)
        _wait_for_refill(4)


def _refills() -> list[int]:
    """The refill processes of this session's home that are running now."""
    home = f"DOTBOX_HOME={os.environ['DOTBOX_HOME']}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            env = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv[1:6] == [b"-m", b"dotbox", b"pool", b"fill", b"default"] and home in env:
            found.append(int(proc.name))
    return found


def _counted_for(seconds: float, until: int | None = None) -> list[int]:
    """How many refills run, counted every 0.1 s for ``seconds`` (or until ``until`` run): a
    process just started shows in /proc a moment after it was spawned."""
    counts = [len(_refills())]
    end = time.monotonic() + seconds
    while time.monotonic() < end and counts[-1] != until:
        time.sleep(0.1)
        counts.append(len(_refills()))
    return counts


def test_claims_in_a_burst_start_one_refill(drained: None) -> None:
    """Claims in a burst would each start a refill while the one started last is not yet
    holding the pool's lock; one is started per SPAWN_GAP. Control: past the gap, a second one
    starts. The test holds the lock, so every refill started waits on it, alive, to be counted."""
    pool.fill("default", 1)
    with pool._fill_lock("default", blocking=True) as held:
        assert held
        for _ in range(3):
            pool.spawn_refill("default")
        counts = _counted_for(2.0)
        assert set(counts) <= {0, 1} and counts[-1] == 1, counts  # one, and no more coming
        stamp = pool.root() / "default" / "refill.spawned"
        past = time.time() - pool.SPAWN_GAP - 1
        os.utime(stamp, (past, past))
        pool.spawn_refill("default")
        assert 2 in _counted_for(30.0, until=2)
    deadline = time.monotonic() + 120
    while _refills():  # released: each finds the pool full and ends
        assert time.monotonic() < deadline, _refills()
        time.sleep(0.1)


def _ledger(sandbox_id: str) -> Path:
    from dotbox import evidence

    return evidence.ledger_path(sandbox_id)


def test_options_a_pooled_sandbox_lacks_bypass_the_pool(drained: None) -> None:
    pool.fill("default", 1)
    pooled = pool.status_of("default").ids
    with dotbox.sandbox(superuser=True) as su, dotbox.sandbox(name=unique("pool-named")) as named:
        assert su.id not in pooled and named.id == unique("pool-named")
        assert su.query("SELECT rolsuper FROM pg_roles WHERE rolname = current_user") == [(True,)]
    with dotbox.sandbox(max_connections=50) as fifty, dotbox.sandbox(max_prepared_transactions=0):
        assert fifty.id not in pooled and fifty.query("SHOW max_connections") == [("50",)]
    assert pool.status_of("default").ids == pooled
    with dotbox.sandbox(max_connections=100, max_prepared_transactions=10) as same:  # control
        assert same.id in pooled
    _wait_for_refill(1)  # the claim's refill: done before the next test's pool is filled


def test_a_sandbox_pooled_with_other_server_settings_is_never_handed_out(drained: None) -> None:
    pool.fill("default", 1)
    (older,) = pool.status_of("default").ids
    (entry,) = (pool.root() / "default" / "ready").iterdir()
    # as pooled before the settings were chosen: no record of them, so runtime.conf's (40, 0)
    record = json.loads(entry.read_text())
    del record["max_connections"], record["max_prepared_transactions"]
    entry.write_text(json.dumps(record))
    assert pool.checkout("default", timedelta(minutes=5), refill=False) is None
    assert not client.containers({Label.ID: older})  # dropped, not handed out


CLAIMER = """
import json, os, sys, time
from datetime import timedelta
from pathlib import Path
from dotbox import pool
go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.001)
got = pool.checkout("default", timedelta(minutes=10), refill=False)
print(json.dumps(got[0].id if got else None))
"""


def test_eight_processes_claiming_at_once_never_share_a_sandbox(
    drained: None, tmp_path: Path
) -> None:
    pool.fill("default", 6)
    pooled = set(pool.status_of("default").ids)
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMER, str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        for _ in range(8)
    ]
    time.sleep(3)  # let every claimer import dotbox and wait at the barrier
    go.touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        results.append(json.loads(out))
    claimed = [r for r in results if r is not None]
    assert len(claimed) == 6 and results.count(None) == 2
    assert len(set(claimed)) == 6  # nobody got a sandbox twice
    assert set(claimed) == pooled
    for sid in claimed:
        home = paths.sandbox_dir(sid)
        assert lease.claimed(home) and lease.read(home) is not None
        assert dotbox.get(sid).query("SELECT 1") == [(1,)]
    assert pool.status_of("default").ready == 0


def test_drain_leaves_nothing(drained: None) -> None:
    pool.fill("default", 3)
    claimed = dotbox.sandbox()  # starts a background refill that drain must wait for
    ready = set(pool.status_of("default").ids)
    assert len(ready) == 2 and claimed.id not in ready
    # the refill has taken its lock (or already finished). Right after a claim it waits
    # (REFILL_QUIET), and the drain stops it; if it has started the missing sandbox, the drain
    # waits for it and drops it with the two that were ready
    deadline = time.monotonic() + 120
    while not ((s := pool.status_of("default")).filling or s.ready == 3):
        assert time.monotonic() < deadline, f"the refill never started: {s}"
        time.sleep(0.01)
    drained_ids = cli_json("pool", "drain", "default")
    assert isinstance(drained_ids, dict)
    dropped = set(drained_ids["dropped"])
    assert ready <= dropped and len(dropped) <= 3 and claimed.id not in dropped
    assert _mine(POOLED) == [claimed.id]  # the claimed one belongs to its claimer
    for sid in drained_ids["dropped"]:
        assert not paths.sandbox_dir(sid).exists()
    assert not (pool.root() / "default").exists()
    assert cli_json("pool", "status") == []
    # The drained pool is not refilled by the next create.
    other = dotbox.sandbox()
    assert _mine(POOLED) == [claimed.id]
    other.drop()
    claimed.drop()
    assert _mine(POOLED) == []


def test_gc_collects_an_expired_pool_and_its_entries(drained: None) -> None:
    run_cli("pool", "fill", "default", "--size", "2", "--ttl", "10s", check=True)
    ids = pool.status_of("default").ids
    assert len(ids) == 2
    time.sleep(11)
    done = cli_json("gc")
    assert isinstance(done, list)
    collected = {(a["kind"], a["target"]) for a in done if a["done"]}
    assert {("sandbox", sid) for sid in ids} <= collected
    assert not _mine(POOLED)
    assert pool.status_of("default").ready == 0
    assert not any((pool.root() / "default" / "ready").iterdir())


def test_gc_collects_a_claimed_sandbox_by_its_lease_not_the_pools_expiry(drained: None) -> None:
    pool.fill("default", 1)
    sb = pool.checkout("default", timedelta(seconds=2), refill=False)
    assert sb is not None
    info, _ = sb
    assert dotbox.get(info.id).info.state == "ready"
    time.sleep(3)
    assert dotbox.get(info.id).info.state == "expired"
    done = cli_json("gc")
    assert isinstance(done, list)
    assert ("sandbox", info.id, "expired") in {(a["kind"], a["target"], a["reason"]) for a in done}
    assert not client.containers({Label.ID: info.id})


def test_a_dead_pooled_sandbox_is_never_handed_out(drained: None) -> None:
    pool.fill("default", 1)
    (dead,) = pool.status_of("default").ids
    container = client.containers({Label.ID: dead})[0]
    subprocess.run(["docker", "kill", container.id], check=True, capture_output=True)
    assert pool.checkout("default", timedelta(minutes=5), refill=False) is None
    assert not client.containers({Label.ID: dead})  # replaced: dropped, not returned


def test_sixteen_creates_from_sixteen_processes_at_once(drained: None, tmp_path: Path) -> None:
    go = tmp_path / "go"
    script = (
        "import sys, time, pathlib, runpy\n"
        "go = pathlib.Path(sys.argv[1])\n"
        "while not go.exists(): time.sleep(0.001)\n"
        "sys.argv = ['dotbox', 'create', '--ttl', '10m', '--json']\n"
        "runpy.run_module('dotbox', run_name='__main__')\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        for _ in range(16)
    ]
    time.sleep(3)
    started = time.monotonic()
    go.touch()
    outs = [p.communicate(timeout=600) for p in procs]
    total = time.monotonic() - started
    codes = [p.returncode for p in procs]
    assert codes == [0] * 16, [err for _, err in outs]
    made = [json.loads(out) for out, _ in outs]
    ids = {m["id"] for m in made}
    assert len(ids) == 16
    for m in made:
        with psycopg.connect(m["dsn"]) as conn:
            assert conn.execute("SELECT current_user").fetchone() == ("sandbox",)
    print(f"\n16 parallel creates from 16 processes: {total:.2f}s in total")
    report = os.environ.get("DOTBOX_PARALLEL_REPORT")
    if report:
        Path(report).write_text(json.dumps({"processes": 16, "total_s": total}) + "\n")
    for sid in ids:
        api.drop(sid)
