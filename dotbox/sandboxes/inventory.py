"""Which sandboxes exist, read from the engine's labels, and ``SandboxInfo``, the one record of
a sandbox: what ``dotbox list`` shows and what the API returns.

No docker SDK, no psycopg, no pydantic, not even dataclasses here (``dotbox.engine.transport``
speaks to the engine's socket with the standard library; any other ``DOCKER_HOST`` goes
through ``dotbox.engine.client``): a ``dotbox list`` costs little more than the interpreter's
start. ``lifecycle.info_of`` is ``row_of`` too, so the state and the fields of a sandbox are
computed in one place.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, NamedTuple, get_args

from dotbox.core import paths, server
from dotbox.core.labels import Label
from dotbox.engine import transport

ROLE = "sandbox"  # the sandbox's login role
DATABASE = "sandbox"

READY_MARKER = "ready"  # written on the host once a query with the sandbox's password succeeded
CLAIM, LEASE = "claimed", "lease"  # files of dotbox.lease, read here without pydantic

SandboxState = Literal["ready", "creating", "broken", "stopped", "expired"]
_TIMES = ("created", "expires")


class SandboxInfo(NamedTuple):
    """A sandbox, read back from its container's labels and state (and its ready marker, and a
    claimed pool sandbox's lease)."""

    id: str
    container: str  # the container's id, short
    state: SandboxState
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
    tcp: bool = False  # reached through a forwarder; its socket directory is a volume
    createdb: bool = False  # its role may create databases (every sandbox made since it could)
    max_connections: int = server.BAKED.max_connections  # those made before: runtime.conf's
    max_prepared_transactions: int = server.BAKED.max_prepared_transactions

    @property
    def server_settings(self) -> server.ServerSettings:
        return server.ServerSettings(self.max_connections, self.max_prepared_transactions)

    def as_json(self) -> dict[str, Any]:
        """The record as JSON values (``dotbox list --json``, ``show --json``, a pool's entry):
        the path as text, the times in ISO 8601 (UTC as 'Z')."""
        out = self._asdict()
        out["socket_dir"] = str(self.socket_dir)
        for name in _TIMES:
            text = out[name].isoformat()
            out[name] = text[:-6] + "Z" if text.endswith("+00:00") else text
        return out

    @classmethod
    def from_json(cls, text: str | bytes) -> SandboxInfo:
        """The record ``as_json`` gave, read back; ValueError if ``text`` is anything else."""
        data = json.loads(text)
        required = set(cls._fields) - set(cls._field_defaults)
        if not isinstance(data, dict) or not required <= data.keys() <= set(cls._fields):
            raise ValueError(f"not a sandbox record: {text!r:.80}")
        values = {**cls._field_defaults, **data, "socket_dir": Path(str(data["socket_dir"]))}
        for name in _TIMES:
            values[name] = datetime.fromisoformat(str(data[name]))
        kinds = {
            "pg_major": int,
            "superuser": bool,
            "tcp": bool,
            "createdb": bool,
            "max_connections": int,
            "max_prepared_transactions": int,
        }
        for name, value in values.items():
            plain = name not in _TIMES and name != "socket_dir"
            if plain and type(value) is not kinds.get(name, str):
                raise ValueError(f"sandbox record: {name} is {value!r}")
        if values["state"] not in get_args(SandboxState):
            raise ValueError(f"sandbox record: state is {values['state']!r}")
        return cls(**values)


def parse_time(value: str | None) -> datetime:
    try:
        return datetime.fromisoformat(value or "")
    except ValueError:
        return datetime.fromtimestamp(0, UTC)


def sandbox_state(
    *, status: str, ready: bool, ready_by: datetime | None, expires: datetime, now: datetime
) -> SandboxState:
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


def row_of(container_id: str, image: str, status: str, labels: dict[str, str]) -> SandboxInfo:
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
    return SandboxInfo(
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
        createdb=labels.get(Label.CREATEDB) == "true",
        **server.of_labels(labels)._asdict(),
    )


def _records(every_home: bool, role: str = "sandbox") -> list[dict[str, Any]]:
    labels = {Label.MANAGED_BY: "dotbox", Label.ROLE: role}
    if not every_home:
        labels[Label.HOME] = str(paths.data_home())
    socket_path = transport.unix_socket()
    if socket_path is None:  # tcp://, ssh://: the SDK's way
        from dotbox.engine import client

        return client.container_records(labels)
    return transport.socket_records(socket_path, labels)


def rows(*, every_home: bool = False) -> list[SandboxInfo]:
    """Sandboxes made from this DOTBOX_HOME (or from any, with ``every_home``), oldest first."""
    found = [
        row_of(d["Id"], d.get("Image", ""), d.get("State", ""), d.get("Labels") or {})
        for d in _records(every_home)
        if not unclaimed(d.get("Labels") or {})
    ]
    return sorted(found, key=lambda s: (s.created, s.id))


FORWARDED_HOST = "127.0.0.1"  # where a --tcp sandbox's forwarder publishes its port
_SERVER_PORT = 5432


def forwarder_ports(found: list[SandboxInfo]) -> dict[str, int]:
    """The host port of each running forwarder of the --tcp sandboxes in ``found``, by sandbox
    id: one more listing of the engine, only when there is such a sandbox."""
    wanted = {s.id for s in found if s.tcp}
    if not wanted:
        return {}
    ports: dict[str, int] = {}
    for d in _records(True, role="forwarder"):
        sandbox_id = (d.get("Labels") or {}).get(Label.ID, "")
        if sandbox_id not in wanted or d.get("State") != "running":
            continue
        for p in d.get("Ports") or []:
            published = p.get("PublicPort") and p.get("IP", FORWARDED_HOST) == FORWARDED_HOST
            if p.get("PrivatePort") == _SERVER_PORT and published:
                ports[sandbox_id] = int(p["PublicPort"])
    return ports


def reached_at(s: SandboxInfo, ports: dict[str, int]) -> tuple[str, int | None]:
    """(host, port) a client on this host connects to: the socket directory, or for a --tcp
    sandbox, whose socket is in a volume and not on the host, its forwarder on 127.0.0.1 (port
    None when the forwarder is not running)."""
    if s.tcp:
        return FORWARDED_HOST, ports.get(s.id)
    return str(s.socket_dir), _SERVER_PORT


def shown_json(s: SandboxInfo, ports: dict[str, int]) -> dict[str, Any]:
    """``as_json`` as list and show print it: with ``host`` and ``port``, and no socket
    directory for a --tcp sandbox (it has none on the host)."""
    host, port = reached_at(s, ports)
    out = s.as_json()
    if s.tcp:
        out["socket_dir"] = None
    return {**out, "host": host, "port": port}


def json_text(found: list[SandboxInfo]) -> str:
    """``dotbox list --json``: each sandbox's ``shown_json``, indented."""
    ports = forwarder_ports(found)
    return json.dumps([shown_json(s, ports) for s in found], indent=2)


def text_lines(found: list[SandboxInfo]) -> list[str]:
    """``dotbox list``'s text: a header and one line per sandbox, or "no sandboxes". HOST is
    the socket directory, or 127.0.0.1:PORT of a --tcp sandbox's forwarder."""
    if not found:
        return ["no sandboxes"]
    ports = forwarder_ports(found)
    header = f"{'ID':<20} {'STATE':<9} {'SNAPSHOT':<16} {'PG':<3} {'EXPIRES':<20} HOST"
    return [header] + [
        f"{s.id:<20} {s.state:<9} {s.snapshot:<16} {s.pg_major:<3} "
        f"{s.expires:%Y-%m-%d %H:%M:%S}  {_where(s, ports)}"
        for s in found
    ]


def _where(s: SandboxInfo, ports: dict[str, int]) -> str:
    host, port = reached_at(s, ports)
    if not s.tcp:
        return host
    return f"{host}:{port}" if port else f"{host} (forwarder not running)"


def ids() -> list[str]:
    """The ids of this DOTBOX_HOME's sandboxes (for shell completion), sorted."""
    labels = [d.get("Labels") or {} for d in _records(False)]
    return sorted({ls.get(Label.ID, "") for ls in labels if not unclaimed(ls)} - {""})
