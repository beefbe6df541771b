"""The janitor: remove what dotbox made and nobody will use again. Only objects with dotbox's
labels are ever touched; the engine's labels (and the run directory) are all it reads."""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

from dotbox import pool
from dotbox.core import paths
from dotbox.core.errors import DotboxError
from dotbox.core.labels import Label
from dotbox.core.models import Frozen
from dotbox.engine import client
from dotbox.primitives import drop
from dotbox.sandboxes import inventory, lifecycle

BAKE_MAX_AGE = 3600.0
GRACE = 120.0  # a sandbox not running this long after its container was made is broken
# ... and one that was never ready, as soon as its create deadline (ready-by) has passed: no
# create is still making it, and nobody ever had it.


class GcAction(Frozen):
    kind: str  # sandbox, container, review, volume, directory
    target: str
    reason: str
    done: bool
    error: str | None = None


def _expired(labels: dict[str, str], now: datetime) -> bool:
    return _past(labels, Label.EXPIRES, now)


def _past(labels: dict[str, str], key: str, now: datetime) -> bool:
    try:
        return datetime.fromisoformat(labels.get(key, "")) < now
    except ValueError:
        return False


def _was_ready(labels: dict[str, str]) -> bool:
    home = labels.get(Label.DIR, "")
    return bool(home) and (Path(home) / inventory.READY_MARKER).exists()


def plan_and_run(*, dry_run: bool = False) -> list[GcAction]:
    now = datetime.now(UTC)
    epoch = time.time()
    actions: list[GcAction] = []

    def act(kind: str, target: str, reason: str, do: object) -> None:
        if dry_run:
            actions.append(GcAction(kind=kind, target=target, reason=reason, done=False))
            return
        try:
            do()  # type: ignore[operator]
            actions.append(GcAction(kind=kind, target=target, reason=reason, done=True))
        except DotboxError as exc:
            actions.append(
                GcAction(kind=kind, target=target, reason=reason, done=False, error=exc.one_line())
            )

    everything = client.containers({Label.MANAGED_BY: "dotbox"})
    live_ids: set[str] = set()
    reviews: dict[str, str] = {}
    for c in everything:
        role, sid = c.labels.get(Label.ROLE, ""), c.labels.get(Label.ID, "")
        if role == "review" and Label.REVIEW in c.labels and _expired(c.labels, now):
            reviews[c.labels[Label.REVIEW]] = "expired review environment"
        if role != "sandbox":
            continue
        if lifecycle.info_of(c).expires < now:  # a claimed pool sandbox's lease counts
            act("sandbox", sid, "expired", lambda sid=sid: drop.drop_sandbox(sid))
        elif lifecycle.info_of(c).state == "broken" and (
            c.status == "running"
            or (_past(c.labels, Label.READY_BY, now) and not _was_ready(c.labels))
            or epoch - c.created_at > GRACE
        ):
            act(
                "sandbox",
                sid,
                f"broken ({c.status}, never ready or stopped)",
                lambda sid=sid: drop.drop_sandbox(sid),
            )
        elif pool.orphaned(c, epoch):
            act("sandbox", sid, "pooled but in no pool", lambda sid=sid: drop.drop_sandbox(sid))
        else:
            live_ids.add(sid)
    for review_id, reason in sorted(reviews.items()):
        from dotbox.review import environments

        act("review", review_id, reason, lambda r=review_id: environments.down(r))
    for c in everything:
        role, sid = c.labels.get(Label.ROLE, ""), c.labels.get(Label.ID, "")
        if role in ("runner", "forwarder") and sid not in live_ids:
            act(
                "container",
                c.name,
                f"{role} of a sandbox that is gone",
                lambda cid=c.id: client.remove_container(cid),
            )
        elif role == "bake" and epoch - c.created_at > BAKE_MAX_AGE:
            act(
                "container",
                c.name,
                "bake container left by a killed bake",
                lambda cid=c.id: client.remove_container(cid),
            )
    volumes = client.labelled_volumes({Label.MANAGED_BY: "dotbox", Label.ID: ""})
    for volume, labels in sorted(volumes.items()):
        if labels.get(Label.ID) not in live_ids:
            act("volume", volume, "its sandbox is gone", lambda v=volume: client.remove_volume(v))
    root = paths.run_root()
    for entry in pool.dangling():
        act("pool entry", str(entry), "its sandbox is gone", lambda e=entry: e.unlink(True))
    for directory in sorted(p for p in root.iterdir() if p.is_dir() and p.name != ".pool"):
        if directory.name not in live_ids and not client.containers(
            {Label.MANAGED_BY: "dotbox", Label.ID: directory.name}
        ):
            act(
                "directory",
                str(directory),
                "no sandbox container",
                lambda d=directory: shutil.rmtree(Path(d), ignore_errors=True),
            )
    return actions
