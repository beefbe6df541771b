"""dotbox: disposable, isolated PostgreSQL sandboxes seeded from a snapshot of official DDL.

with dotbox.sandbox("default") as sb:
    sb.query("select count(*) from runtime.item")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from dotbox.api import (
        Database,
        Sandbox,
        drop,
        get,
        import_snapshot,
        list_sandboxes,
        list_snapshots,
        sandbox,
        snapshot,
    )
    from dotbox.core.errors import DotboxError

_API = {
    "Database",
    "Sandbox",
    "sandbox",
    "get",
    "list_sandboxes",
    "drop",
    "import_snapshot",
    "snapshot",
    "list_snapshots",
}

__all__ = [
    "Database",
    "DotboxError",
    "Sandbox",
    "__version__",
    "drop",
    "get",
    "import_snapshot",
    "list_sandboxes",
    "list_snapshots",
    "sandbox",
    "snapshot",
]


def __getattr__(name: str) -> Any:
    # Lazy, so that 'import dotbox' (and the CLI's start) costs no docker or psycopg import.
    if name in _API:
        from dotbox import api

        return getattr(api, name)
    if name == "DotboxError":
        from dotbox.core.errors import DotboxError

        return DotboxError
    raise AttributeError(name)
