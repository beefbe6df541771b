"""Typed records at dotbox's boundaries: what the API returns and what is stored on disk."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SnapshotManifest(Frozen):
    """What a snapshot is: its DDL is stored beside this, under its digest."""

    name: str
    digest: str  # sha256 of the normalised DDL text
    source_kind: Literal["import", "bundled", "capture"]
    source: str  # the file imported, or the server captured (never with a password)
    pg_major: int
    pg_major_from: Literal["flag", "header", "default", "features", "server"]
    pg_major_note: str | None = None  # why the major differs from the dump's, in words
    min_major: int | None = None  # the oldest major the DDL runs on, from features it uses
    min_major_reason: str | None = None  # "line N: what needs it"
    source_version: str | None = None  # "Dumped from database version …", or the server's
    system_identifier: str | None = None  # of the captured server, when readable
    database: str | None = None  # the captured database's name
    redacted: list[str] = []  # secret options replaced by a placeholder ("line N: …")
    statements: int
    counts: dict[str, int]
    roles: list[str]  # roles the DDL references but does not create: made NOLOGIN at bake
    superuser_roles: list[str] = []  # of those, owners of event triggers: NOLOGIN SUPERUSER
    extensions: list[str]
    allow_data: bool = False
    ledger_rows: dict[str, int] = {}  # migration ledger table -> rows kept (as the DDL names it)
    data_patterns: list[str] = []  # capture --data: the table patterns whose rows were taken
    data_rows: dict[str, int] = {}  # capture --data: table -> rows kept
    size_bytes: int
    created: datetime


class SnapshotDiffChange(Frozen):
    object: str  # "table public.users", "function public.f(integer)", …
    details: list[str]  # "column email: text -> varchar(255)", "body changed (sha … -> …)"


class SnapshotDiff(Frozen):
    """What changed from snapshot ``a`` to snapshot ``b``, object by object."""

    a: str
    b: str
    added: list[str]
    removed: list[str]
    changed: list[SnapshotDiffChange]

    @property
    def same(self) -> bool:
        return not (self.added or self.removed or self.changed)


class ContainerInfo(Frozen):
    """One container as the engine reports it; labels are dotbox's only state."""

    id: str
    name: str
    image: str
    status: str  # created, running, exited, …
    network_mode: str
    labels: dict[str, str]
    mounts: list[str] = []
    created_at: float = 0.0  # epoch seconds, from the engine


class ImageInfo(Frozen):
    id: str
    tags: list[str]
    labels: dict[str, str]
    size_bytes: int
    created_at: float = 0.0  # epoch seconds, from the engine


class SandboxCredentials(Frozen):
    """How to reach a sandbox. The password is random per sandbox and kept on the host only."""

    id: str
    user: str
    password: str
    database: str
    socket_dir: Path
    tcp_port: int | None = None  # on the host's 127.0.0.1, when made with --tcp

    @property
    def tcp_dsn(self) -> str | None:
        """``postgresql://sandbox:PASSWORD@127.0.0.1:PORT/sandbox`` through the forwarder."""
        from urllib.parse import quote

        if self.tcp_port is None:
            return None
        return (
            f"postgresql://{quote(self.user)}:{quote(self.password, safe='')}@127.0.0.1:"
            f"{self.tcp_port}/{quote(self.database)}"
        )

    @property
    def dsn(self) -> str:
        """The socket DSN; with --tcp (the socket is not on the host) the TCP DSN."""
        from urllib.parse import quote

        if self.tcp_dsn is not None:
            return self.tcp_dsn
        return (
            f"postgresql://{quote(self.user)}:{quote(self.password, safe='')}@/"
            f"{quote(self.database)}?host={quote(str(self.socket_dir), safe='/')}"
        )

    def conninfo(self) -> dict[str, str]:
        """Through the socket directory; with --tcp, whose socket is in a volume shared with
        the forwarder only, through the forwarder on 127.0.0.1."""
        where = (
            {"host": "127.0.0.1", "port": str(self.tcp_port)}
            if self.tcp_port is not None
            else {"host": str(self.socket_dir)}
        )
        return {**where, "user": self.user, "password": self.password, "dbname": self.database}


class DropReport(Frozen):
    id: str
    container_removed: bool
    volumes_removed: int
    socket_dir_removed: bool
    confirmed: bool  # the engine and the file system were read back and hold nothing of it
    seconds: float


class ReviewPart(Frozen):
    """One container of a review environment."""

    name: str
    service: str
    part: str  # app | db-relay | ingress | forwarder
    status: str
    network_mode: str


class ReviewInfo(Frozen):
    """A review environment: an application's containers, its sandbox and its loopback URLs."""

    id: str
    project: str  # the compose project name
    dir: Path  # the directory dotbox owns: the generated compose.yml and review.json
    app: Path  # the application's own compose file
    sandbox: str
    dsn: str | None  # the sandbox's DSN on this host (its socket directory)
    app_dsn: str  # what the application's containers use: localhost:5432, relayed
    urls: dict[str, str]  # "SERVICE:PORT" -> http://127.0.0.1:HOSTPORT
    created: datetime
    expires: datetime
    parts: list[ReviewPart] = []


class ReviewDown(Frozen):
    id: str
    containers_removed: int
    volumes_removed: int
    networks_removed: int
    sandbox_dropped: bool
    confirmed: bool
    seconds: float
