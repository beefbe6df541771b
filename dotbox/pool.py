"""The warm pool: sandboxes started ahead of time, handed out in milliseconds.

A pooled sandbox is an ordinary sandbox (same image, labels, socket directory, password, ready
marker) with one more label, ``dotbox.pool`` = its snapshot, and an expiry of the pool's own.
Labels cannot change on a running container, so the pool's state lives on the host, in the
socket root (one file system with the sandboxes' own directories)::

    RUN_ROOT/.pool/SNAPSHOT/size            target size and pool TTL (written by 'pool fill')
    RUN_ROOT/.pool/SNAPSHOT/fill.lock       held by the one process filling this pool
    RUN_ROOT/.pool/SNAPSHOT/claimed         touched at each claim (a refill waits while fresh)
    RUN_ROOT/.pool/SNAPSHOT/refill.spawned  touched when a claim starts a refill
    RUN_ROOT/.pool/SNAPSHOT/ready/DIGEST16.ID   one per ready, unclaimed sandbox (its info)

Claiming is one ``rename(ready/DIGEST16.ID, RUN_ROOT/ID/claimed)``: the kernel lets exactly one
process move a file, so no sandbox is handed out twice, across processes, without a daemon or
a lock. The claimer then writes its lease (``sandboxes.lease``: owner and expiry), which list,
show and gc read before the labels. A claimed sandbox is never put back: it is dropped like any
other, and the pool is refilled by a detached ``python -m dotbox pool fill SNAPSHOT`` that the
claim starts when no fill is running.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import random
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dotbox import evidence
from dotbox.core import files, paths, retry, server, validate
from dotbox.core.errors import DotboxError, InvalidInput, NotReady
from dotbox.core.labels import Label
from dotbox.core.models import Frozen
from dotbox.core.records import ContainerInfo, SandboxCredentials
from dotbox.engine import client
from dotbox.sandboxes import lease, lifecycle
from dotbox.sandboxes.inventory import SandboxInfo
from dotbox.snapshots import store

DEFAULT_TTL = timedelta(hours=12)
MAX_SIZE = 200
MIN_LEFT = timedelta(seconds=60)  # a pooled sandbox expiring sooner than this is not handed out
REFILL_QUIET = 2.0  # seconds without a claim before a refill of a pool still half full starts
CLAIMED = "claimed"  # in the pool's directory, touched at each claim
REFILL_YIELD_MOST = 600.0  # seconds a refill waits for claims to pause, at the most
SPAWN_GAP = 5.0  # seconds between two refills spawned by claims
ORPHAN_GRACE = 120.0  # an unclaimed pooled sandbox with no pool entry this old was lost by a fill


class PoolStatus(Frozen):
    snapshot: str
    size: int  # the target; 0 once drained
    ready: int  # ready, unclaimed, of the snapshot's current digest
    stale: int  # ready entries of an older digest of the snapshot (replaced at the next fill)
    starting: int  # pooled containers not yet in the pool (being started by a fill)
    filling: bool  # a fill holds the pool's lock
    ttl_seconds: float
    ids: list[str]


class FillReport(Frozen):
    snapshot: str
    started: list[str]
    replaced: list[str]  # stale or expiring entries dropped
    status: PoolStatus
    seconds: float


def root() -> Path:
    return paths.run_root() / ".pool"


def _dir(snapshot: str) -> Path:
    return root() / validate.snapshot_name(snapshot)


def _ready(snapshot: str) -> Path:
    return _dir(snapshot) / "ready"


def _config(snapshot: str) -> tuple[int, timedelta]:
    try:
        data = json.loads((_dir(snapshot) / "size").read_text())
        return int(data["size"]), timedelta(seconds=float(data["ttl_seconds"]))
    except (OSError, ValueError, KeyError, TypeError):
        return 0, DEFAULT_TTL


def _entry_id(entry: str) -> str:
    return entry.split(".", 1)[1] if "." in entry else entry


@contextlib.contextmanager
def _fill_lock(snapshot: str, *, blocking: bool, create: bool = True) -> Iterator[bool]:
    """The pool's fill lock (flock: released by the kernel if its holder dies). Without
    ``create``, a pool that is gone (drained) is not made again: the lock is not got."""
    if create:
        _dir(snapshot).mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(_dir(snapshot) / "fill.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except FileNotFoundError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def _filling(snapshot: str) -> bool:
    if not (_dir(snapshot) / "fill.lock").exists():
        return False
    with _fill_lock(snapshot, blocking=False, create=False) as got:
        return not got


# ---- claim -------------------------------------------------------------------------------


def _claim(snapshot: str, entry: str) -> SandboxInfo | None:
    """Move one ready entry onto its sandbox's claim file; None if another process got it."""
    home = paths.sandbox_dir(_entry_id(entry))
    try:
        os.rename(_ready(snapshot) / entry, home / lease.CLAIM)
    except FileNotFoundError:
        if not home.exists():  # dropped behind the pool's back: forget its entry
            with contextlib.suppress(OSError):
                (_ready(snapshot) / entry).unlink()
        return None
    try:
        return SandboxInfo.from_json((home / lease.CLAIM).read_text())
    except (OSError, ValueError):  # claimed but unreadable: nobody may use it, so it goes
        _discard(_entry_id(entry))
        return None


def checkout(
    snapshot: str, ttl: timedelta, *, refill: bool = True
) -> tuple[SandboxInfo, SandboxCredentials] | None:
    """Claim a ready sandbox of ``snapshot`` from the pool, give it the claimer's lease, check
    that its server still answers, and return it; None when the pool has none.
    Starts a background refill of a pool that was filled with a size."""
    directory = _dir(snapshot)
    if not directory.is_dir():
        return None
    started = time.monotonic()
    digest = store.get(snapshot).digest[:16]
    try:
        entries = [e for e in os.listdir(_ready(snapshot)) if e.startswith(digest + ".")]
    except FileNotFoundError:
        entries = []
    random.shuffle(entries)  # concurrent claimers mostly try different entries first
    size, pool_ttl = _config(snapshot)
    got: tuple[SandboxInfo, SandboxCredentials] | None = None
    for entry in entries:
        info = _claim(snapshot, entry)
        if info is None:
            continue
        now = datetime.now(UTC).replace(microsecond=0)
        if info.expires < now + _margin(pool_ttl) or not _as_requested(info):
            _discard(info.id)
            continue
        home = paths.sandbox_dir(info.id)
        owner = lifecycle._owner()
        lease.write(home, lease.Lease(owner=owner, created=now, expires=now + ttl))
        info = info._replace(created=now, expires=now + ttl, owner=owner)
        creds = lifecycle.credentials(info)
        if creds is None or not server_answers(creds.socket_dir):  # died since it was pooled
            _discard(info.id)
            continue
        evidence.append(
            info.id,
            "sandbox-claim",
            inputs={"snapshot": snapshot, "ttl_seconds": ttl.total_seconds()},
            outputs={"container": info.container, "expires": info.expires.isoformat()},
            verify={"server_answers": "ok", "claim": "exclusive (rename)"},
            seconds=round(time.monotonic() - started, 4),
        )
        got = (info, creds)
        with contextlib.suppress(OSError):
            (directory / CLAIMED).touch()
        break
    if refill and size > 0 and not _filling(snapshot):
        spawn_refill(snapshot)
    return got


def _as_requested(info: SandboxInfo) -> bool:
    """Whether a pooled sandbox is what a request the pool serves asks for (no name, limits or
    server settings of its own): pooled before sandboxes could create databases, or with other
    server settings (made before they were chosen), it is not handed out."""
    return info.createdb and info.server_settings == server.DEFAULT


def server_answers(socket_dir: Path, *, timeout: float = 2.0) -> bool:
    """Whether the server behind ``socket_dir`` answers PostgreSQL's protocol: an SSLRequest
    gets its one-byte reply. About a millisecond, where a query with the password (SCRAM and a
    backend) costs ten: its password was proven by a query when it was pooled."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect(str(socket_dir / ".s.PGSQL.5432"))
            conn.sendall(struct.pack("!ii", 8, 80877103))
            return conn.recv(1) in (b"N", b"S")
    except OSError:
        return False


def _discard(sandbox_id: str) -> None:
    from dotbox.primitives import drop

    with contextlib.suppress(DotboxError):
        drop.drop_sandbox(sandbox_id)


def spawn_refill(snapshot: str) -> None:
    """``python -m dotbox pool fill SNAPSHOT`` detached: it outlives this process. At most one
    each SPAWN_GAP seconds: a refill takes a moment to start and hold the pool's lock, and each
    claim in that moment would start one more Python."""
    stamp = _dir(snapshot) / "refill.spawned"
    with contextlib.suppress(FileNotFoundError):
        if time.time() - stamp.stat().st_mtime < SPAWN_GAP:
            return
    stamp.touch()
    log = _dir(snapshot) / "fill.log"
    with open(log, "ab") as err:
        subprocess.Popen(
            [sys.executable, "-m", "dotbox", "pool", "fill", snapshot],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
            close_fds=True,
        )


# ---- fill --------------------------------------------------------------------------------


def fill(
    snapshot: str,
    size: int | None = None,
    *,
    ttl: timedelta | None = None,
    parallel: int = 2,
    on_started: Callable[[str], None] = lambda sandbox_id: None,
) -> FillReport:
    """Start sandboxes of ``snapshot`` until ``size`` are ready in its pool (``size`` None: the
    size recorded by the last fill; 0 or nothing recorded: do nothing)."""
    began = time.monotonic()
    if size is not None and not 0 <= size <= MAX_SIZE:
        raise InvalidInput(f"pool size {size} must be between 0 and {MAX_SIZE}")
    if not 1 <= parallel <= 16:
        raise InvalidInput(f"--parallel {parallel} must be between 1 and 16")
    recorded_size, recorded_ttl = _config(snapshot)
    ttl = ttl or (recorded_ttl if size is None else DEFAULT_TTL)
    manifest = store.get(snapshot)
    started: list[str] = []
    replaced: list[str] = []
    if size is None and recorded_size == 0:  # a refill of a pool that was drained meanwhile
        return FillReport(
            snapshot=snapshot, started=[], replaced=[], status=status_of(snapshot), seconds=0.0
        )
    if size is not None:  # a refill never writes: a drain's removal of the size must stand
        _ready(snapshot).mkdir(parents=True, exist_ok=True)
        config = json.dumps({"size": size, "ttl_seconds": ttl.total_seconds()})
        files.write_atomic(_dir(snapshot) / "size", config.encode())
    blocking = True
    while True:
        with _fill_lock(snapshot, blocking=blocking, create=size is not None) as got:
            if not got:
                break  # another fill runs; it re-counts after its last start
            _fill_locked(
                snapshot,
                manifest.digest,
                ttl,
                parallel,
                started,
                replaced,
                on_started,
                refill=size is None,
            )
        if _deficit(snapshot, manifest.digest) <= 0:
            break
        blocking = False  # claims came in meanwhile: fill again unless someone else does
    return FillReport(
        snapshot=snapshot,
        started=started,
        replaced=replaced,
        status=status_of(snapshot),
        seconds=round(time.monotonic() - began, 3),
    )


class _ClaimsComing(Exception):
    pass


def _yield_to_claimers(snapshot: str, digest: str) -> None:
    """A refill waits while claims keep coming and the pool is still at least half full: a
    suite taking a sandbox per test would lose the cores to every sandbox it starts. It starts
    once claims pause for REFILL_QUIET seconds, when the pool falls below half, or after
    REFILL_YIELD_MOST seconds of waiting."""

    def quiet() -> None:
        size = _config(snapshot)[0]  # a drain takes the size away: it stops waiting
        try:
            since = time.time() - (_dir(snapshot) / CLAIMED).stat().st_mtime
            ready = sum(e.startswith(digest[:16] + ".") for e in os.listdir(_ready(snapshot)))
        except FileNotFoundError:
            return
        if size > 0 and since < REFILL_QUIET and 2 * ready >= size:
            raise _ClaimsComing

    with contextlib.suppress(_ClaimsComing):
        retry.poll(quiet, deadline=REFILL_YIELD_MOST, interval=0.25, retry_on=(_ClaimsComing,))


def _current(snapshot: str, digest: str) -> tuple[list[str], list[str]]:
    """(entries of the current digest with time left, the others)."""
    keep: list[str] = []
    stale: list[str] = []
    limit = datetime.now(UTC) + _margin(_config(snapshot)[1])
    try:
        entries = sorted(os.listdir(_ready(snapshot)))
    except FileNotFoundError:
        return [], []
    for entry in entries:
        good = entry.startswith(digest[:16] + ".")
        if good:
            try:
                info = SandboxInfo.from_json((_ready(snapshot) / entry).read_text())
                # pooled before sandboxes could create databases, or other settings: not handed out
                good = info.expires > limit and _as_requested(info)
            except (OSError, ValueError):
                good = False
        (keep if good else stale).append(entry)
    return keep, stale


def _margin(pool_ttl: timedelta) -> timedelta:
    return min(MIN_LEFT, pool_ttl / 4)


def _deficit(snapshot: str, digest: str) -> int:
    return _config(snapshot)[0] - len(_current(snapshot, digest)[0])


def _start_pooled(
    snapshot: str, digest: str, ttl: timedelta, on_started: Callable[[str], None]
) -> str:
    """Start one sandbox of ``snapshot`` and make it a ready entry of its pool."""
    from dotbox.primitives.create import SandboxCreate
    from dotbox.primitives.facets import run

    creator = SandboxCreate(extra_labels={Label.POOL: snapshot})  # governed: recorded, verified
    outcome = run(creator, {"snapshot": snapshot, "ttl": f"{int(ttl.total_seconds())}s"})
    assert creator.created is not None
    info = creator.created.info
    if not outcome.ok:
        _discard(info.id)
        raise NotReady(f"pooled sandbox {info.id} failed its postconditions")
    tmp = _dir(snapshot) / f".entry.{info.id}"
    tmp.write_text(json.dumps(info.as_json()))
    os.rename(tmp, _ready(snapshot) / f"{digest[:16]}.{info.id}")
    on_started(info.id)
    return info.id


def _fill_locked(
    snapshot: str,
    digest: str,
    ttl: timedelta,
    parallel: int,
    started: list[str],
    replaced: list[str],
    on_started: Callable[[str], None],
    *,
    refill: bool,
) -> None:
    for entry in _current(snapshot, digest)[1]:
        info = _claim(snapshot, entry)
        if info is not None:
            _discard(info.id)
            replaced.append(info.id)

    with ThreadPoolExecutor(max_workers=parallel) as workers:
        while True:
            if refill:
                _yield_to_claimers(snapshot, digest)
            if (need := _deficit(snapshot, digest)) <= 0:
                break
            if len(started) > 2 * _config(snapshot)[0] + parallel:
                raise NotReady(
                    f"pool {snapshot}: its sandboxes expire faster than they start",
                    hint="give 'dotbox pool fill' a longer --ttl",
                )
            one = functools.partial(_start_pooled, snapshot, digest, ttl, on_started)
            batch = [workers.submit(one) for _ in range(min(need, parallel))]
            errors = []
            for future in batch:
                try:
                    started.append(future.result())
                except DotboxError as exc:
                    errors.append(exc)
            if errors:
                raise errors[0]


# ---- status, drain, collection -----------------------------------------------------------


def _pooled_containers(snapshot: str | None = None) -> list[ContainerInfo]:
    labels = {
        Label.MANAGED_BY: "dotbox",
        Label.ROLE: "sandbox",
        Label.HOME: str(paths.data_home()),
        Label.POOL: snapshot or "",
    }
    return [
        c
        for c in client.containers(labels)
        if not lease.claimed(Path(c.labels.get(Label.DIR, "/nonexistent")))
    ]


def snapshots_pooled() -> list[str]:
    if not root().is_dir():
        return []
    return sorted(p.name for p in root().iterdir() if p.is_dir() and not p.name.startswith("."))


def status_of(snapshot: str) -> PoolStatus:
    size, ttl = _config(snapshot)
    try:
        digest = store.get(snapshot).digest
    except DotboxError:
        digest = ""
    keep, stale = _current(snapshot, digest)
    ids = [_entry_id(e) for e in keep]
    pooled = {_entry_id(e) for e in keep + stale}
    starting = [c for c in _pooled_containers(snapshot) if c.labels.get(Label.ID) not in pooled]
    return PoolStatus(
        snapshot=snapshot,
        size=size,
        ready=len(keep),
        stale=len(stale),
        starting=len(starting),
        filling=_filling(snapshot),
        ttl_seconds=ttl.total_seconds(),
        ids=ids,
    )


def status(snapshot: str | None = None) -> list[PoolStatus]:
    return [status_of(s) for s in ([snapshot] if snapshot else snapshots_pooled())]


def drain(snapshot: str | None = None) -> list[str]:
    """Stop refilling, wait for a running fill to finish, and drop every unclaimed sandbox of
    the pool (or of every pool). Claimed sandboxes belong to their claimers and stay."""
    from dotbox.primitives import drop

    dropped: list[str] = []
    for name in [snapshot] if snapshot else snapshots_pooled():
        validate.snapshot_name(name)
        if not _dir(name).is_dir():
            continue
        with contextlib.suppress(FileNotFoundError):
            (_dir(name) / "size").unlink()  # a running fill stops after its current batch
        with _fill_lock(name, blocking=True):
            for entry in sorted(os.listdir(_ready(name))) if _ready(name).is_dir() else []:
                info = _claim(name, entry)
                if info is not None:
                    drop.drop_sandbox(info.id)  # sandbox-drop: recorded beside its create
                    dropped.append(info.id)
            for c in _pooled_containers(name):  # started by a fill that was killed
                drop.drop_sandbox(c.labels[Label.ID])
                dropped.append(c.labels[Label.ID])
        for leftover in (_dir(name) / "ready", _dir(name)):
            for f in leftover.glob("*") if leftover.is_dir() else []:
                if f.is_file():
                    f.unlink()
            with contextlib.suppress(OSError):
                leftover.rmdir()
        with contextlib.suppress(OSError):
            _dir(name).parent.rmdir()  # the pools' directory, once no pool is left
    return dropped


def orphaned(c: ContainerInfo, epoch: float) -> bool:
    """An unclaimed pooled sandbox that is in no pool (its fill was killed after starting it)."""
    name, sid = c.labels.get(Label.POOL), c.labels.get(Label.ID, "")
    home = Path(c.labels.get(Label.DIR, "/nonexistent"))
    if not name or lease.claimed(home) or epoch - c.created_at < ORPHAN_GRACE:
        return False
    try:
        return not any(_entry_id(e) == sid for e in os.listdir(_ready(name)))
    except (FileNotFoundError, InvalidInput):
        return True


def dangling() -> list[Path]:
    """Pool entries whose sandbox directory is gone (dropped or collected)."""
    out = []
    for name in snapshots_pooled():
        ready = _ready(name)
        for entry in sorted(os.listdir(ready)) if ready.is_dir() else []:
            if not paths.sandbox_dir(_entry_id(entry)).exists():
                out.append(ready / entry)
    return out
