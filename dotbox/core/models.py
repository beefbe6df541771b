"""Typed records at dotbox's boundaries that pydantic validates: what is stored on disk and read
back (snapshot manifests), and what the API returns beside them. What dotbox makes itself and
reads back from the engine is in ``dotbox.core.records``, without pydantic."""

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
