"""The janitor: remove what dotbox made and nobody will use again. Only objects with dotbox's
labels are ever touched; the engine's labels (and the run directory) are all it reads.

Planning is pure (``plan`` and ``plan_leftovers`` decide from what was read, with no engine
and no disk) and separate from doing (``carry_out``). gc reads, plans and removes twice:
first containers (sandboxes, review environments, runners, forwarders, bake containers), then
what they leave behind (volumes, pool entries, run directories), read after the sandboxes are
dropped since a dropped sandbox takes its volume and directory with it.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dotbox import pool
from dotbox.core import paths
from dotbox.core.errors import DotboxError
from dotbox.core.labels import Label
from dotbox.core.models import Frozen
from dotbox.core.records import ContainerInfo
from dotbox.engine import client
from dotbox.primitives import drop
from dotbox.sandboxes import inventory, lifecycle

BAKE_MAX_AGE = 3600.0
GRACE = 120.0  # a sandbox not running this long after its container was made is broken
# ... and one that was never ready, as soon as its create deadline (ready-by) has passed: no
# create is still making it, and nobody ever had it.


class GcAction(Frozen):
    kind: str  # sandbox, review, container, volume, pool entry, directory
    target: str
    reason: str
    done: bool
    error: str | None = None


# ---- what gc reads --------------------------------------------------------------------------


@dataclass(frozen=True)
class SandboxFacts:
    """What a sandbox container's directory and lease say, read beside its engine record."""

    expires: datetime  # a claimed pool sandbox's lease counts
    state: str  # lifecycle's state: ready, broken, …
    was_ready: bool  # its ready marker exists
    in_no_pool: bool  # pooled, unclaimed, past the pool's grace and in no pool's ready list


@dataclass(frozen=True)
class Seen:
    """Every container dotbox made, and the facts of each sandbox container (by container id)."""

    containers: list[ContainerInfo]
    sandboxes: dict[str, SandboxFacts]


@dataclass(frozen=True)
class Leftovers:
    """What is read once the sandboxes are dropped: what they may have left behind."""

    volumes: dict[str, dict[str, str]]  # dotbox's volumes with a sandbox id label, with labels
    dangling_pool_entries: list[Path]  # pool entries whose sandbox directory is gone
    directories: list[Path]  # the run root's sandbox directories
    labelled_ids: set[str]  # the sandbox ids some dotbox container still carries
    home: str = ""  # the DOTBOX_HOME gc runs for


def read_containers(epoch: float) -> Seen:
    containers = client.containers({Label.MANAGED_BY: "dotbox"})
    sandboxes = {
        c.id: _sandbox_facts(c, epoch)
        for c in containers
        if c.labels.get(Label.ROLE, "") == "sandbox"
    }
    return Seen(containers=containers, sandboxes=sandboxes)


def _sandbox_facts(c: ContainerInfo, epoch: float) -> SandboxFacts:
    info = lifecycle.info_of(c)
    home = c.labels.get(Label.DIR, "")
    return SandboxFacts(
        expires=info.expires,
        state=info.state,
        was_ready=bool(home) and (Path(home) / inventory.READY_MARKER).exists(),
        in_no_pool=pool.orphaned(c, epoch),
    )


def read_leftovers() -> Leftovers:
    root = paths.run_root()
    return Leftovers(
        volumes=client.labelled_volumes({Label.MANAGED_BY: "dotbox", Label.ID: ""}),
        dangling_pool_entries=pool.dangling(),
        directories=sorted(p for p in root.iterdir() if p.is_dir() and p.name != ".pool"),
        labelled_ids={
            c.labels.get(Label.ID, "") for c in client.containers({Label.MANAGED_BY: "dotbox"})
        },
        home=str(paths.data_home()),
    )


# ---- planning: pure -------------------------------------------------------------------------


@dataclass(frozen=True)
class Removal:
    """One planned removal: what the report names, why, and (for a container) its id."""

    kind: str  # sandbox, review, container, volume, pool entry, directory
    target: str
    reason: str
    container_id: str = ""


@dataclass(frozen=True)
class Plan:
    removals: list[Removal]  # in the order they are carried out
    live: set[str]  # the sandboxes that stay: what is theirs is kept


def plan(
    seen: Seen,
    *,
    now: datetime,
    epoch: float,
    home: str = "",
    grace: float = GRACE,
    bake_max_age: float = BAKE_MAX_AGE,
) -> Plan:
    """Sandboxes of DOTBOX_HOME ``home`` to drop (expired, broken, pooled but in no pool), then
    its expired review environments, then its runners and forwarders of sandboxes that do not
    stay, and its bake containers older than ``bake_max_age`` (killed bakes). What another home
    made is theirs: it stays, whatever it is. (What carries no home label, made by a dotbox
    older than the label, is collected by any home.)"""
    sandboxes: list[Removal] = []
    live: set[str] = set()
    for c in seen.containers:
        if c.labels.get(Label.ROLE, "") != "sandbox":
            continue
        if _of_another_home(c.labels, home):
            live.add(c.labels.get(Label.ID, ""))
            continue
        facts = seen.sandboxes[c.id]
        if (removal := _sandbox_removal(c, facts, now=now, epoch=epoch, grace=grace)) is None:
            live.add(c.labels.get(Label.ID, ""))
        else:
            sandboxes.append(removal)
    reviews = _review_removals(
        [c for c in seen.containers if not _of_another_home(c.labels, home)], now
    )
    containers = _container_removals(
        [c for c in seen.containers if not _of_another_home(c.labels, home)],
        live,
        epoch,
        bake_max_age,
    )
    return Plan(removals=sandboxes + reviews + containers, live=live)


def _sandbox_removal(
    c: ContainerInfo, facts: SandboxFacts, *, now: datetime, epoch: float, grace: float
) -> Removal | None:
    """Why a sandbox is dropped: expired; broken and running, or never ready past its
    ready-by, or made more than ``grace`` seconds ago; or pooled in no pool. None: it stays."""
    sid = c.labels.get(Label.ID, "")
    if facts.expires < now:
        return Removal("sandbox", sid, "expired")
    never_ready = _past(c.labels, Label.READY_BY, now) and not facts.was_ready
    if facts.state == "broken" and (
        c.status == "running" or never_ready or epoch - c.created_at > grace
    ):
        return Removal("sandbox", sid, f"broken ({c.status}, never ready or stopped)")
    if facts.in_no_pool:
        return Removal("sandbox", sid, "pooled but in no pool")
    return None


def _review_removals(containers: list[ContainerInfo], now: datetime) -> list[Removal]:
    """Each review environment with an expired container, once, in order of id."""
    expired = {
        c.labels[Label.REVIEW]
        for c in containers
        if c.labels.get(Label.ROLE, "") == "review"
        and Label.REVIEW in c.labels
        and _past(c.labels, Label.EXPIRES, now)
    }
    return [Removal("review", r, "expired review environment") for r in sorted(expired)]


def _container_removals(
    containers: list[ContainerInfo], live: set[str], epoch: float, bake_max_age: float
) -> list[Removal]:
    removals = []
    for c in containers:
        role, sid = c.labels.get(Label.ROLE, ""), c.labels.get(Label.ID, "")
        if role in ("runner", "forwarder") and sid not in live:
            reason = f"{role} of a sandbox that is gone"
        elif role == "bake" and epoch - c.created_at > bake_max_age:
            reason = "bake container left by a killed bake"
        else:
            continue
        removals.append(Removal("container", c.name, reason, container_id=c.id))
    return removals


def plan_leftovers(left: Leftovers, live: set[str]) -> list[Removal]:
    """Volumes of sandboxes that do not stay, dangling pool entries, and run directories of
    sandboxes that do not stay and that no container carries any more."""
    volumes = [
        Removal("volume", volume, "its sandbox is gone")
        for volume, labels in sorted(left.volumes.items())
        if labels.get(Label.ID) not in live and not _of_another_home(labels, left.home)
    ]
    entries = [
        Removal("pool entry", str(entry), "its sandbox is gone")
        for entry in left.dangling_pool_entries
    ]
    directories = [
        Removal("directory", str(d), "no sandbox container")
        for d in left.directories
        if d.name not in live and d.name not in left.labelled_ids
    ]
    return volumes + entries + directories


def _of_another_home(labels: dict[str, str], home: str) -> bool:
    """Made from a DOTBOX_HOME other than ``home`` (what carries no home label is nobody's)."""
    return Label.HOME in labels and labels[Label.HOME] != home


def _past(labels: dict[str, str], key: str, now: datetime) -> bool:
    try:
        return datetime.fromisoformat(labels.get(key, "")) < now
    except ValueError:
        return False


# ---- doing ----------------------------------------------------------------------------------


def _review_down(review_id: str) -> None:
    from dotbox.review import environments

    environments.down(review_id)


REMOVERS: dict[str, Callable[[Removal], object]] = {
    "sandbox": lambda r: drop.drop_sandbox(r.target),
    "review": lambda r: _review_down(r.target),
    "container": lambda r: client.remove_container(r.container_id),
    "volume": lambda r: client.remove_volume(r.target),
    "pool entry": lambda r: Path(r.target).unlink(True),
    "directory": lambda r: shutil.rmtree(Path(r.target), ignore_errors=True),
}


def carry_out(removals: list[Removal], *, dry_run: bool) -> list[GcAction]:
    """Each removal in order (none with ``dry_run``); a dotbox error is reported, not raised."""
    actions = []
    for r in removals:
        done, error = False, None
        if not dry_run:
            try:
                REMOVERS[r.kind](r)
                done = True
            except DotboxError as exc:
                error = exc.one_line()
        actions.append(
            GcAction(kind=r.kind, target=r.target, reason=r.reason, done=done, error=error)
        )
    return actions


def plan_and_run(*, dry_run: bool = False) -> list[GcAction]:
    now = datetime.now(UTC)
    epoch = time.time()
    seen = read_containers(epoch)
    home = str(paths.data_home())
    first = plan(seen, now=now, epoch=epoch, home=home, grace=GRACE, bake_max_age=BAKE_MAX_AGE)
    actions = carry_out(first.removals, dry_run=dry_run)
    return actions + carry_out(plan_leftovers(read_leftovers(), first.live), dry_run=dry_run)
