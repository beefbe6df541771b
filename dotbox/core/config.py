"""Configuration: built-in defaults, then a file, then ``DOTBOX_…`` variables, then flags.

The file is ``dotbox.toml`` (top-level keys) or the ``[tool.dotbox]`` table of
``pyproject.toml``, whichever is met first walking up from the working directory (in one
directory ``dotbox.toml`` wins); ``DOTBOX_CONFIG=PATH`` names one instead, and
``DOTBOX_CONFIG=`` (empty) turns file lookup off. Every layer is validated on its own, so that a
bad value is one line naming where it came from (file, variable or flag), the key, and what is
allowed::

    /repo/dotbox.toml: memory '1k' is below the minimum of 32m (allowed: a size of at least 32m, such as 512m or 1g)
"""  # noqa: E501

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from dotbox.core import limits, server, validate
from dotbox.core.errors import InvalidInput

FILE_NAME = "dotbox.toml"
ENV_PREFIX = "DOTBOX_"
ENV_FILE = "DOTBOX_CONFIG"
MAX_POOL_SIZE = 200
DEFAULT_TTL = "2h"

SourceKind = Literal["default", "file", "env", "flag"]

ALLOWED: dict[str, str] = {
    "snapshot": "a snapshot name: 1-64 characters a-z, 0-9, '.', '_' and '-'",
    "ttl": "a duration between 1s and 30d, such as 90s, 15m, 2h or 1d12h",
    "memory": "a size of at least 32m, such as 512m or 1g",
    "cpus": "a number of CPUs between 0.01 and 1024, such as 0.5 or 2",
    "pids": f"a whole number of processes, at least {limits.MIN_PIDS}",
    "disk": "a size of at least 64m, such as 1g; leave it out for no cap",
    "superuser": "true or false",
    "tcp": "true or false",
    "pool_size": f"a whole number of sandboxes from 0 to {MAX_POOL_SIZE}",
    "max_connections": server.allowed("max_connections"),
    "max_prepared_transactions": server.allowed("max_prepared_transactions"),
}


class Settings(BaseModel):
    """The effective options of ``dotbox create`` (and of ``dotbox.sandbox()``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    snapshot: str = "default"
    ttl: str = DEFAULT_TTL
    memory: str = "512m"
    cpus: float = limits.DEFAULT.cpus
    pids: int = limits.DEFAULT.pids
    disk: str | None = None
    superuser: bool = False
    tcp: bool = False
    pool_size: int | None = Field(default=None, ge=0, le=MAX_POOL_SIZE)
    max_connections: int = server.DEFAULT.max_connections
    max_prepared_transactions: int = server.DEFAULT.max_prepared_transactions

    @field_validator("snapshot")
    @classmethod
    def _snapshot(cls, v: str) -> str:
        _check(validate.snapshot_name, v)
        return v

    @field_validator("ttl", mode="before")
    @classmethod
    def _ttl(cls, v: Any) -> Any:
        if isinstance(v, str):
            _check(validate.ttl, v)
        return v

    @field_validator("memory", "disk", mode="before")
    @classmethod
    def _plain_bytes(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @field_validator("memory")
    @classmethod
    def _memory(cls, v: str) -> str:
        return _size(v, limits.MIN_MEMORY, "32m")

    @field_validator("disk")
    @classmethod
    def _disk(cls, v: str | None) -> str | None:
        return None if v is None else _size(v, limits.MIN_DISK, "64m")

    @field_validator("cpus")
    @classmethod
    def _cpus(cls, v: float) -> float:
        if not 0.01 <= v <= 1024:
            raise ValueError(f"{v} must be between 0.01 and 1024")
        return v

    @field_validator("pids")
    @classmethod
    def _pids(cls, v: int) -> int:
        if v < limits.MIN_PIDS:
            raise ValueError(f"{v} is below the minimum of {limits.MIN_PIDS}")
        return v

    @field_validator("max_connections", "max_prepared_transactions")
    @classmethod
    def _server(cls, v: int, info: ValidationInfo) -> int:
        return server.check(str(info.field_name), v)

    def resources(self) -> limits.Limits:
        return limits.make(memory=self.memory, cpus=self.cpus, pids=self.pids, disk=self.disk)

    def server_settings(self) -> server.ServerSettings:
        return server.ServerSettings(self.max_connections, self.max_prepared_transactions)


KEYS: tuple[str, ...] = tuple(Settings.model_fields)


def _check(parse: Any, value: str) -> Any:
    """Run one of dotbox's parsers; its InvalidInput becomes a validation error."""
    try:
        return parse(value)
    except InvalidInput as exc:  # "invalid TTL 'x': use …": the caller appends what is allowed
        raise ValueError(str(exc).split(":", 1)[0]) from None


def _size(value: str, minimum: int, minimum_text: str) -> str:
    try:
        size = limits.parse_size(value, "")
    except InvalidInput:
        raise ValueError(f"{value!r} is not a size") from None
    if size < minimum:
        raise ValueError(f"{value!r} is below the minimum of {minimum_text}")
    return value


@dataclass(frozen=True)
class Source:
    kind: SourceKind
    origin: str | None = None  # the file's path, the variable's or the flag's name

    def __str__(self) -> str:
        return self.origin or self.kind


@dataclass(frozen=True)
class Effective:
    """The settings in force and, for each key, where its value came from."""

    settings: Settings
    sources: dict[str, Source]
    file: Path | None

    def as_json(self) -> dict[str, Any]:
        values = self.settings.model_dump(mode="json")
        return {
            "file": str(self.file) if self.file else None,
            "settings": {
                key: {
                    "value": values[key],
                    "source": self.sources[key].kind,
                    "origin": self.sources[key].origin,
                }
                for key in KEYS
            },
        }


# ---- the layers ---------------------------------------------------------------------------


def find_file(start: Path | None = None) -> Path | None:
    """``$DOTBOX_CONFIG``, or the nearest ``dotbox.toml`` or ``pyproject.toml`` holding a
    ``[tool.dotbox]`` table in the working directory or one of its parents."""
    if ENV_FILE in os.environ:
        named = os.environ[ENV_FILE]
        return Path(named).expanduser() if named else None
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        if (directory / FILE_NAME).is_file():
            return directory / FILE_NAME
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file() and "dotbox" in _read_toml(pyproject).get("tool", {}):
            return pyproject
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read the configuration file ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{path}: not valid TOML ({exc})") from None


def file_values(path: Path) -> dict[str, Any]:
    """The keys a configuration file sets (``[tool.dotbox]`` of a pyproject.toml)."""
    data = _read_toml(path)
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("dotbox", {})
        if not isinstance(table, dict):
            raise InvalidInput(f"{path}: [tool.dotbox] must be a table of settings")
        return table
    return data


def env_values(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``DOTBOX_SNAPSHOT``, ``DOTBOX_TTL``, … (``DOTBOX_POOL_SIZE`` for pool_size); empty ones
    count as unset. Other ``DOTBOX_…`` variables (DOTBOX_HOME, …) are not settings."""
    environ = os.environ if environ is None else environ
    out: dict[str, str] = {}
    for key in KEYS:
        value = environ.get(env_name(key), "")
        if value.strip():
            out[key] = value.strip()
    return out


def env_name(key: str) -> str:
    return ENV_PREFIX + key.upper()


def flag_name(key: str) -> str:
    return "--" + key.replace("_", "-")


def _validate(values: Mapping[str, Any], where: Source) -> dict[str, Any]:
    """Validate one layer; return its values as parsed. Errors name ``where`` and the key."""
    for key in values:
        if key not in KEYS:
            near = difflib.get_close_matches(key, KEYS, n=1)
            maybe = f" (did you mean {near[0]!r}?)" if near else ""
            raise InvalidInput(
                f"{where}: unknown key {key!r}{maybe}; allowed keys: {', '.join(KEYS)}"
            )
    try:
        parsed = Settings.model_validate(dict(values))
    except ValidationError as exc:
        error = exc.errors()[0]
        key = str(error["loc"][0]) if error["loc"] else "?"
        reason = str(error.get("ctx", {}).get("error", "")) or f"{values.get(key)!r} is not valid"
        raise InvalidInput(_bad_value(where, key, reason)) from None
    return {key: getattr(parsed, key) for key in values}


def _bad_value(where: Source, key: str, reason: str) -> str:
    allowed = f"(allowed: {ALLOWED[key]})" if key in ALLOWED else ""
    if where.kind == "file":
        return f"{where.origin}: {key} {reason} {allowed}".strip()
    return f"{where.origin} {reason} {allowed}".strip()


def load(
    flags: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    file: Path | None | Literal["find"] = "find",
) -> Effective:
    """The effective configuration: defaults < file < environment < ``flags`` (keys whose
    value is None are not given)."""
    path = find_file() if file == "find" else file
    values: dict[str, Any] = Settings().model_dump()
    sources = {key: Source("default") for key in KEYS}
    layers: list[tuple[Source, dict[str, Any]]] = []
    if path is not None:
        layers.append((Source("file", str(path)), file_values(path)))
    for key, value in env_values(environ).items():
        layers.append((Source("env", env_name(key)), {key: value}))
    for key, value in (flags or {}).items():
        if value is not None:
            layers.append((Source("flag", flag_name(key)), {key: value}))
    for where, layer in layers:
        for key, value in _validate(layer, where).items():
            values[key] = value
            sources[key] = where
    return Effective(settings=Settings.model_validate(values), sources=sources, file=path)


def settings(**flags: Any) -> Settings:
    """The effective settings with ``flags`` (None: not given) on top: what ``dotbox create``
    and ``dotbox.sandbox()`` use."""
    return load(flags).settings


def ready_deadline(environ: Mapping[str, str] | None = None) -> float:
    """Seconds a new sandbox's server has to answer (``DOTBOX_READY_DEADLINE``, default 30)."""
    raw = (os.environ if environ is None else environ).get("DOTBOX_READY_DEADLINE", "").strip()
    if not raw:
        return 30.0
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0 < value <= 3600:
        raise InvalidInput(
            f"DOTBOX_READY_DEADLINE={raw!r} is not a number of seconds between 0 and 3600"
        )
    return value
