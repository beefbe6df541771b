"""The lease of a claimed pool sandbox: who took it and until when, kept on the host.

A pooled sandbox is started ahead of time, so its labels (which cannot change on a running
container) carry the pool's expiry, not its user's. When it is claimed, the claimer's expiry is
written here, in the sandbox's own host directory, and every reader of a sandbox's expiry (list,
show, gc) takes it from here first. No dependency on the rest of dotbox: sandboxes and pool both
read it.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from dotbox.core import files
from dotbox.core.models import Frozen

CLAIM = "claimed"  # the pool entry is renamed to this: its existence is the claim
LEASE = "lease"  # the claimer's expiry, written right after the claim


class Lease(Frozen):
    owner: str
    created: datetime  # when it was claimed
    expires: datetime


def claimed(home: Path) -> bool:
    return (home / CLAIM).exists()


def read(home: Path) -> Lease | None:
    try:
        return Lease.model_validate(json.loads((home / LEASE).read_text()))
    except (OSError, ValueError):
        return None


def write(home: Path, lease: Lease) -> None:
    """A reader sees the old lease or the new one."""
    # not fsynced: the lease is of a running container, which a crash of the machine stops
    files.write_atomic(home / LEASE, lease.model_dump_json().encode(), durable=False)
