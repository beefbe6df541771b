"""Server settings chosen per sandbox: connections and prepared transactions.

They are ``-c name=value`` arguments of the sandbox's container command, after the image's own
(the entrypoint ends with ``"$@"``; a later ``-c`` wins), so a value is chosen per sandbox and
no image is baked again for it. The defaults suit a test suite: 100 connections (97 for the
handed-out role, as on a stock server) and 10 prepared transactions (two-phase commit).

No pydantic here: ``dotbox list`` reads these back from the labels (``dotbox.sandboxes.inventory``).
"""

from __future__ import annotations

from contextlib import suppress
from typing import NamedTuple

from dotbox.core.errors import InvalidInput
from dotbox.core.labels import Label

RANGES = {  # inclusive; 10: the bootstrap, dotbox_dbadmin and 3 reserved for superusers fit
    "max_connections": (10, 1000),
    "max_prepared_transactions": (0, 1000),
}
LABELS = {
    "max_connections": Label.MAX_CONNECTIONS,
    "max_prepared_transactions": Label.MAX_PREPARED_TRANSACTIONS,
}


class ServerSettings(NamedTuple):
    max_connections: int = 100
    max_prepared_transactions: int = 10

    def options(self) -> list[str]:
        """The server's command-line arguments that set them."""
        return [arg for key, value in self._asdict().items() for arg in ("-c", f"{key}={value}")]

    def labels(self) -> dict[str, str]:
        return {LABELS[key]: str(value) for key, value in self._asdict().items()}


DEFAULT = ServerSettings()
# What runtime.conf sets, in force on a sandbox made before these were chosen (no labels).
BAKED = ServerSettings(max_connections=40, max_prepared_transactions=0)


def allowed(key: str) -> str:
    low, high = RANGES[key]
    return f"a whole number from {low} to {high}"


def check(key: str, value: int) -> int:
    """``value`` if it is in ``key``'s range; else ValueError saying why."""
    low, high = RANGES[key]
    if isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{value!r} is not between {low} and {high}")
    return value


def make(
    *, max_connections: int | None = None, max_prepared_transactions: int | None = None
) -> ServerSettings:
    """Validated settings from user input; what is not given keeps its default."""
    given = {
        "max_connections": max_connections,
        "max_prepared_transactions": max_prepared_transactions,
    }
    values = DEFAULT._asdict()
    for key, value in given.items():
        if value is None:
            continue
        try:
            values[key] = check(key, value)
        except ValueError as exc:
            flag = "--" + key.replace("_", "-")
            raise InvalidInput(f"{flag} {exc} (allowed: {allowed(key)})") from None
    return ServerSettings(**values)


def of_labels(labels: dict[str, str]) -> ServerSettings:
    """The settings a sandbox's labels record (``BAKED`` for one made before they did)."""
    values = BAKED._asdict()
    for key, label in LABELS.items():
        with suppress(KeyError, ValueError):
            values[key] = int(labels[label])
    return ServerSettings(**values)
