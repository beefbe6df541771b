"""Which sandboxes exist, read from the engine's labels: cheaply, for ``dotbox list`` and
shell completion.

No docker SDK, no psycopg, no pydantic, not even dataclasses here (``dotbox.engine.transport``
speaks to the engine's socket with the standard library; any other ``DOCKER_HOST`` goes
through ``dotbox.engine.client``): a ``dotbox list`` costs little more than the interpreter's start.
``sandboxes.info_of`` builds its ``SandboxInfo`` from ``row_of``, so the state and the fields
of a sandbox are computed in one place.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from dotbox.core import paths
from dotbox.core.labels import Label
from dotbox.engine import transport

ROLE = "sandbox"  # the sandbox's login role
DATABASE = "sandbox"

READY_MARKER = "ready"  # written on the host once a query with the sandbox's password succeeded
CLAIM, LEASE = "claimed", "lease"  # files of dotbox.lease, read here without pydantic


class SandboxRow(NamedTuple):
    """A sandbox as ``list`` shows it: the fields of ``models.SandboxInfo``, in its order."""

    id: str
    container: str
    state: str
    snapshot: str
    snapshot_digest: str
    pg_major: int
    image: str
    user: str
    database: str
    socket_dir: Path
    superuser: bool
    owner: str
    created: datetime
    expires: datetime
    tcp: bool = False

    def fields(self) -> dict[str, Any]:
        return self._asdict()

    def as_json(self) -> dict[str, Any]:
        """What ``SandboxInfo.model_dump(mode="json")`` gives for the same sandbox."""
        out = self._asdict()
        out["socket_dir"] = str(self.socket_dir)
        out["created"] = _iso(self.created)
        out["expires"] = _iso(self.expires)
        return out


def _iso(value: datetime) -> str:
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def parse_time(value: str | None) -> datetime:
    try:
        return datetime.fromisoformat(value or "")
    except ValueError:
        return datetime.fromtimestamp(0, UTC)


def sandbox_state(
    *, status: str, ready: bool, ready_by: datetime | None, expires: datetime, now: datetime
) -> str:
    """ready only with the host's ready marker and a running container; creating until its
    deadline; broken after it, or when the container is not running."""
    if status in ("running", "created") and not ready:
        return "creating" if ready_by is None or now < ready_by else "broken"
    if status != "running":
        return "broken"
    return "expired" if expires < now else "ready"


def lease_of(home: Path) -> tuple[str, datetime, datetime] | None:
    """(owner, created, expires) of a claimed pool sandbox's lease (``dotbox.sandboxes.lease``), or
    None: its claimer's expiry counts, not the pool's."""
    try:
        data = json.loads((home / LEASE).read_text())
        owner, created, expires = data["owner"], data["created"], data["expires"]
        if not isinstance(owner, str):
            return None
        return owner, datetime.fromisoformat(created), datetime.fromisoformat(expires)
    except (OSError, ValueError, TypeError, KeyError):
        return None


def unclaimed(labels: dict[str, str]) -> bool:
    """Waiting in a warm pool: 'dotbox pool status' shows it, list does not."""
    return Label.POOL in labels and not (Path(labels.get(Label.DIR, "")) / CLAIM).exists()


def row_of(container_id: str, image: str, status: str, labels: dict[str, str]) -> SandboxRow:
    """A sandbox from its container's id, image, status and labels (and its ready marker, and
    the lease of a claimed pool sandbox)."""
    home = Path(labels.get(Label.DIR, ""))
    claim = lease_of(home)
    expires = claim[2] if claim else parse_time(labels.get(Label.EXPIRES))
    state = sandbox_state(
        status=status,
        ready=(home / READY_MARKER).exists(),
        ready_by=parse_time(labels.get(Label.READY_BY)) if Label.READY_BY in labels else None,
        expires=expires,
        now=datetime.now(UTC),
    )
    return SandboxRow(
        id=labels.get(Label.ID, ""),
        container=container_id[:12],
        state=state,
        snapshot=labels.get(Label.SNAPSHOT, ""),
        snapshot_digest=labels.get(Label.SNAPSHOT_DIGEST, ""),
        pg_major=int(labels.get(Label.PG, "0") or 0),
        image=image,
        user=ROLE,
        database=DATABASE,
        socket_dir=home / "sock",
        superuser=labels.get(Label.SUPERUSER) == "true",
        owner=claim[0] if claim else labels.get(Label.OWNER, ""),
        created=claim[1] if claim else parse_time(labels.get(Label.CREATED)),
        expires=expires,
        tcp=labels.get(Label.TCP) == "true",
    )


def _records(every_home: bool) -> list[dict[str, Any]]:
    labels = {Label.MANAGED_BY: "dotbox", Label.ROLE: "sandbox"}
    if not every_home:
        labels[Label.HOME] = str(paths.data_home())
    socket_path = transport.unix_socket()
    if socket_path is None:  # tcp://, ssh://: the SDK's way
        from dotbox.engine import client

        return client.container_records(labels)
    return transport.socket_records(socket_path, labels)


def rows(*, every_home: bool = False) -> list[SandboxRow]:
    """Sandboxes made from this DOTBOX_HOME (or from any, with ``every_home``), oldest first."""
    found = [
        row_of(d["Id"], d.get("Image", ""), d.get("State", ""), d.get("Labels") or {})
        for d in _records(every_home)
        if not unclaimed(d.get("Labels") or {})
    ]
    return sorted(found, key=lambda s: (s.created, s.id))


def json_text(found: list[SandboxRow]) -> str:
    """``dotbox list --json``: what ``SandboxInfo.model_dump(mode="json")`` gives, indented."""
    return json.dumps([s.as_json() for s in found], indent=2)


def text_lines(found: list[SandboxRow]) -> list[str]:
    """``dotbox list``'s text: a header and one line per sandbox, or "no sandboxes"."""
    if not found:
        return ["no sandboxes"]
    header = f"{'ID':<20} {'STATE':<9} {'SNAPSHOT':<16} {'PG':<3} {'EXPIRES':<20} SOCKET"
    return [header] + [
        f"{s.id:<20} {s.state:<9} {s.snapshot:<16} {s.pg_major:<3} "
        f"{s.expires:%Y-%m-%d %H:%M:%S}  {s.socket_dir}"
        for s in found
    ]


def ids() -> list[str]:
    """The ids of this DOTBOX_HOME's sandboxes (for shell completion), sorted."""
    labels = [d.get("Labels") or {} for d in _records(False)]
    return sorted({ls.get(Label.ID, "") for ls in labels if not unclaimed(ls)} - {""})
