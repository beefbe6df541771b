"""Records dotbox makes itself: containers and images as the engine reports them, a sandbox's
credentials, what a drop did. Frozen dataclasses, not pydantic models: nothing outside dotbox
writes them, so there is nothing to validate, and a drop from the shell imports no pydantic
(about 75 ms of a 180 ms ``dotbox drop``). What comes from outside (snapshot manifests,
configuration, a primitive's inputs) is validated by the models of ``dotbox.core.models``.

``jsonable`` turns any of them, nested in lists and dicts, into what ``json.dumps`` takes, as
pydantic's ``model_dump(mode="json")`` does for a model."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ContainerInfo:
    """One container as the engine reports it; labels are dotbox's only state."""

    id: str
    name: str
    image: str
    status: str  # created, running, exited, …
    network_mode: str
    labels: dict[str, str]
    mounts: list[str] = field(default_factory=list)
    created_at: float = 0.0  # epoch seconds, from the engine


@dataclass(frozen=True)
class ImageInfo:
    id: str
    tags: list[str]
    labels: dict[str, str]
    size_bytes: int
    created_at: float = 0.0  # epoch seconds, from the engine


@dataclass(frozen=True)
class SandboxCredentials:
    """How to reach a sandbox. The password is random per sandbox and kept on the host only."""

    id: str
    user: str
    password: str = field(repr=False)
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


@dataclass(frozen=True)
class DropReport:
    id: str
    container_removed: bool
    volumes_removed: int
    socket_dir_removed: bool
    confirmed: bool  # the engine and the file system were read back and hold nothing of it
    seconds: float


def jsonable(value: Any) -> Any:
    """``value`` with every dataclass, pydantic model, path and time in it as JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "model_dump"):  # a pydantic model (no pydantic import needed to know)
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value
