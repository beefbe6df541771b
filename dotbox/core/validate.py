"""Validation of the names and durations users type: pure functions, no I/O."""

from __future__ import annotations

import re
from datetime import timedelta

from dotbox.core.errors import InvalidInput

_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?")
_SNAPSHOT_NAME = re.compile(r"[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?")
_CONTAINER = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}")
_TTL_PART = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_TTL = timedelta(days=30)


def sandbox_name(value: str) -> str:
    """A sandbox id: 1-32 of a-z, 0-9 and '-', starting and ending with a letter or digit."""
    if not _NAME.fullmatch(value):
        raise InvalidInput(
            f"invalid sandbox name {value!r}: use 1-32 characters a-z, 0-9 and '-',"
            " starting and ending with a letter or digit"
        )
    return value


def container_name(value: str) -> str:
    """A Docker container's name or id as the engine accepts one (letters, digits, '_', '.',
    '-'; no '/'), so that it can go into an engine API path."""
    if not _CONTAINER.fullmatch(value):
        raise InvalidInput(
            f"invalid sandbox name {value!r}: use 1-32 characters a-z, 0-9 and '-',"
            " starting and ending with a letter or digit"
        )
    return value


def snapshot_name(value: str) -> str:
    """A snapshot name: 1-64 of a-z, 0-9, '.', '_' and '-', starting and ending alphanumeric."""
    if not _SNAPSHOT_NAME.fullmatch(value):
        raise InvalidInput(
            f"invalid snapshot name {value!r}: use 1-64 characters a-z, 0-9, '.', '_' and '-',"
            " starting and ending with a letter or digit"
        )
    return value


def ttl(value: str) -> timedelta:
    """Parse a TTL such as ``90s``, ``15m``, ``2h``, ``1d12h``; at least 1 s, at most 30 days."""
    text = value.strip().lower()
    pos, seconds = 0, 0
    for match in _TTL_PART.finditer(text):
        if match.start() != pos:
            break
        seconds += int(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if not text or pos != len(text):
        raise InvalidInput(f"invalid TTL {value!r}: use a duration such as 90s, 15m, 2h or 1d12h")
    duration = timedelta(seconds=seconds)
    if duration <= timedelta(0) or duration > MAX_TTL:
        raise InvalidInput(f"invalid TTL {value!r}: it must be between 1s and 30d")
    return duration


_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", re.DOTALL)


def assignments(values: list[str]) -> dict[str, str]:
    """``KEY=VALUE`` options (``--env``) as a dict; anything else is refused."""
    out: dict[str, str] = {}
    for value in values:
        m = _ASSIGNMENT.fullmatch(value)
        if m is None:
            raise InvalidInput(f"--env {value!r}: write KEY=VALUE (KEY: letters, digits, _)")
        out[m.group(1)] = m.group(2)
    return out
