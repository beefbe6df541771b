"""Shell completion of sandbox ids and snapshot names: cheap reads, never an error.

A completion runs on every TAB, so it reads the engine's socket (``inventory.ids``) or the
snapshots directory and nothing heavier; if the engine is unreachable it offers nothing.
"""

from __future__ import annotations

from dotbox.core.errors import DotboxError


def complete_sandbox(incomplete: str) -> list[str]:
    """Ids of this DOTBOX_HOME's sandboxes that start with ``incomplete``."""
    from dotbox.sandboxes import inventory

    try:
        found = inventory.ids()
    except (DotboxError, OSError):
        return []
    return [i for i in found if i.startswith(incomplete)]


def complete_snapshot(incomplete: str) -> list[str]:
    """Names of the snapshots of this DOTBOX_HOME (and the bundled default)."""
    from dotbox.core import paths

    try:
        stored = {p.stem for p in paths.snapshots_dir().glob("*.json")}
    except OSError:
        stored = set()
    return sorted(n for n in stored | {"default"} if n.startswith(incomplete))
