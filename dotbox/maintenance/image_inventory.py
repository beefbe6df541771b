"""dotbox image list | rm | prune: the base and baked images on the engine, what uses them,
and removing the ones nothing needs.

Images are the engine's and shared by every DOTBOX_HOME (a baked image is keyed by content:
two homes with the same snapshot use one image). So ``list`` shows them all; ``rm`` removes
the one it is told to, refused while any container uses it (exit 8); and ``prune`` keeps to
the boundary ``gc`` keeps: a home prunes only the images it baked itself (recorded in
``$DOTBOX_HOME/baked/`` at bake), never a base image, never one a container uses.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from dotbox import evidence, images
from dotbox.core import paths
from dotbox.core.errors import Conflict, DropIncomplete, NotFound, Refused
from dotbox.core.labels import Label
from dotbox.core.models import Frozen
from dotbox.core.records import ImageInfo
from dotbox.engine import client
from dotbox.sandboxes import run_image
from dotbox.snapshots import store

Kind = Literal["base", "baked", "tools"]


class ImageRow(Frozen):
    id: str
    tag: str | None  # its dotbox tag (None: untagged, a tag that moved on)
    kind: Kind
    pg_major: int | None
    snapshot: str | None  # the snapshot's name when it was baked
    snapshot_digest: str | None
    snapshot_here: bool  # a snapshot of this DOTBOX_HOME has that digest and major now
    baked_here: bool  # this DOTBOX_HOME baked it (only those can be pruned from it)
    baked_at: datetime | None  # when, by this home's record
    size_bytes: int
    created: datetime
    last_used: datetime | None  # the latest sandbox this home made from it (its ledgers)
    containers: list[str]  # every container on the engine using it now (any home)
    sandboxes: list[str]  # of those, the sandboxes' ids


class Removed(Frozen):
    id: str
    tag: str | None
    size_bytes: int
    reason: str


class PruneReport(Frozen):
    removed: list[Removed]
    kept_in_use: list[str]  # prunable by age or snapshot, but a container uses it
    dry_run: bool
    freed_bytes: int


def _kind(image: ImageInfo) -> Kind | None:
    if image.labels.get(Label.ROLE) == "sandbox-image":
        return "baked"
    if any(t.startswith(images.BASE_REPO + ":") for t in image.tags):
        return "base" if image.labels.get(Label.BASE, "").startswith("pg") else None
    if any(t.startswith(run_image.TOOLS_REPO + ":") for t in image.tags):
        return "tools" if image.labels.get(Label.TOOLS, "").startswith("pg") else None
    return None  # an image built FROM one of dotbox's inherits its labels, not its tag


def _users() -> dict[str, list[dict[str, Any]]]:
    """Every container on the engine (any home, any state, dotbox's or not), by image id."""
    found: dict[str, list[dict[str, Any]]] = {}
    for c in client.container_records({}):
        found.setdefault(c.get("ImageID", ""), []).append(c)
    return found


def _last_uses() -> dict[str, datetime]:
    """The latest sandbox-create of this home's ledgers from each image id."""
    latest: dict[str, datetime] = {}
    ledgers = paths.data_home() / "ledgers"
    for path in ledgers.glob("*.jsonl") if ledgers.is_dir() else []:
        try:
            records = evidence.read(path)
        except (OSError, ValueError):
            continue
        for r in records:
            image = (r.get("outputs") or {}).get("image")
            if r.get("primitive") == "sandbox-create" and isinstance(image, str):
                when = datetime.fromisoformat(r["time"])
                latest[image] = max(when, latest.get(image, when))
    return latest


def rows() -> list[ImageRow]:
    """dotbox's base, tools and baked images on the engine, bases and tools images first, then
    the newest first."""
    labelled = client.images({Label.BASE: ""}) + client.images({Label.TOOLS: ""})
    found = [i for i in {i.id: i for i in labelled}.values() if _kind(i) is not None]
    users, uses = _users(), _last_uses()
    here = {(m.digest, m.pg_major) for m in store.list_all()}
    baked = images.bake_records()
    out = [
        _row(
            i,
            users.get(i.id, []),
            uses.get(i.id),
            here,
            b.baked_at if (b := baked.get(i.id)) else None,
        )
        for i in found
    ]
    order = {"base": 0, "tools": 1, "baked": 2}
    return sorted(out, key=lambda r: (order[r.kind], -r.created.timestamp(), r.id))


def _row(
    image: ImageInfo,
    users: list[dict[str, Any]],
    last_used: datetime | None,
    here: set[tuple[str, int]],
    baked_at: datetime | None,
) -> ImageRow:
    kind = _kind(image)
    assert kind is not None
    labels = image.labels
    repo, major = {
        "base": (images.BASE_REPO, labels.get(Label.BASE, "")[2:]),
        "tools": (run_image.TOOLS_REPO, labels.get(Label.TOOLS, "")[2:]),
        "baked": (images.SANDBOX_REPO, labels.get(Label.PG)),
    }[kind]
    tag = next((t for t in image.tags if t.startswith(repo + ":")), None)
    digest = labels.get(Label.SNAPSHOT_DIGEST)
    pg_major = int(major) if major and major.isdigit() else None
    return ImageRow(
        id=image.id,
        tag=tag,
        kind=kind,
        pg_major=pg_major,
        snapshot=labels.get(Label.SNAPSHOT),
        snapshot_digest=digest,
        snapshot_here=(digest, pg_major) in here,
        baked_here=baked_at is not None,
        baked_at=baked_at,
        size_bytes=image.size_bytes,
        created=datetime.fromtimestamp(image.created_at, UTC),
        last_used=last_used,
        containers=sorted(_name(c) for c in users),
        sandboxes=sorted(
            (c.get("Labels") or {}).get(Label.ID, "")
            for c in users
            if (c.get("Labels") or {}).get(Label.ROLE) == "sandbox"
        ),
    )


def _name(record: dict[str, Any]) -> str:
    return str((record.get("Names") or [record.get("Id", "")[:12]])[0]).lstrip("/")


# ---- rm ------------------------------------------------------------------------------------


def find(ref: str) -> ImageRow:
    """The dotbox image at tag or id ``ref``: NotFound (3) if none, Refused (4) if the image
    there is not a dotbox base, tools or baked image."""
    image = client.image(ref)
    if image is None:
        raise NotFound(f"no image {ref!r} on the engine", hint="see 'dotbox image list'")
    for row in rows():
        if row.id == image.id:
            return row
    raise Refused(f"image {ref!r} ({image.id[:19]}) is not a dotbox base, tools or baked image")


def remove(ref: str) -> Removed:
    """Remove a base, tools or baked image; Conflict (8) while a container uses it or, for a base,
    while baked images are built on it."""
    row = find(ref)
    if row.containers:
        raise Conflict(
            f"image {row.tag or row.id[:19]} is in use by {len(row.containers)} container(s):"
            f" {', '.join(row.containers[:5])}",
            hint="drop the sandboxes that use it first",
        )
    if row.kind == "base":
        children = [i.tags[0] if i.tags else i.id[:19] for i in client.images({Label.BASE: row.id})]
        if children:
            raise Conflict(
                f"base image {row.tag} has {len(children)} baked image(s) on it:"
                f" {', '.join(children[:5])}",
                hint="remove those first ('dotbox image rm TAG')",
            )
    return _remove(row, "asked for")


def _remove(row: ImageRow, reason: str) -> Removed:
    client.remove_image(row.tag or row.id, force=False)
    if client.image(row.id) is not None:
        raise DropIncomplete(f"image {row.id[:19]} is still on the engine after its removal")
    images.forget_bake(row.id)
    return Removed(id=row.id, tag=row.tag, size_bytes=row.size_bytes, reason=reason)


# ---- prune ---------------------------------------------------------------------------------


def why_prunable(row: ImageRow, older_than: timedelta | None, now: datetime) -> str | None:
    """Why ``prune`` would remove ``row``, or None: only a baked image this home baked, whose
    snapshot is gone from this home, or (with ``older_than``) not used by a sandbox of this
    home, nor baked, for that long."""
    if row.kind != "baked" or row.baked_at is None:
        return None
    if not row.snapshot_here:
        digest = (row.snapshot_digest or "")[:12]
        return f"snapshot {row.snapshot} ({digest}) is gone from this home"
    last = max(row.baked_at, row.last_used or row.baked_at)
    if older_than is not None and last < now - older_than:
        return f"unused since {last:%Y-%m-%d %H:%M:%S} UTC"
    return None


def prune(*, older_than: timedelta | None = None, dry_run: bool = False) -> PruneReport:
    now = datetime.now(UTC)
    found = rows()
    chosen = [(r, why) for r in found if (why := why_prunable(r, older_than, now))]
    in_use = [r.tag or r.id[:19] for r, _ in chosen if r.containers]
    removed: list[Removed] = []
    for row, why in chosen:
        if row.containers:
            continue
        if dry_run:
            removed.append(Removed(id=row.id, tag=row.tag, size_bytes=row.size_bytes, reason=why))
        else:
            removed.append(_remove(row, why))
    if not dry_run:
        _forget_gone(found)
    return PruneReport(
        removed=removed,
        kept_in_use=in_use,
        dry_run=dry_run,
        freed_bytes=sum(r.size_bytes for r in removed),
    )


def _forget_gone(found: Iterable[ImageRow]) -> None:
    """Records of images this home baked that are no longer on the engine."""
    present = {r.id for r in found}
    for image_id in images.bake_records():
        if image_id not in present and client.image(image_id) is None:
            images.forget_bake(image_id)


# ---- text ----------------------------------------------------------------------------------


def size_text(size: int) -> str:
    return f"{size / (1 << 20):.0f} MiB"


def text_lines(found: list[ImageRow]) -> list[str]:
    if not found:
        return ["no dotbox images"]
    lines = [
        f"{'IMAGE':<41} {'KIND':<5} {'PG':<3} {'SNAPSHOT':<30} {'SIZE':>8}  "
        f"{'CREATED':<16}  USED BY"
    ]
    for r in found:
        snapshot = "-"
        if r.kind == "baked":
            name = (r.snapshot or "?")[:19]
            snapshot = name + ("" if r.snapshot_here else " (not here)")
        used = ", ".join(r.sandboxes) or (
            f"{len(r.containers)} container(s)" if r.containers else "-"
        )
        lines.append(
            f"{r.tag or r.id[:19]:<41} {r.kind:<5} {r.pg_major or '?':<3} {snapshot:<30}"
            f" {size_text(r.size_bytes):>8}  {r.created:%Y-%m-%d %H:%M}  {used}"
        )
    return lines
