"""The one guard every primitive calls before acting on a sandbox.

A target is acted on only if it is a running container with dotbox's labels, in network mode
``none``, whose credentials are on this host, and whose PostgreSQL ``system_identifier`` differs
from the official server's recorded in its snapshot. Anything else is refused.
"""

from __future__ import annotations

from dotbox import db, sandboxes, snapshots
from dotbox.errors import DotboxError, Refused
from dotbox.models import Frozen, SandboxCredentials, SandboxInfo


class LiveSandbox(Frozen):
    info: SandboxInfo
    credentials: SandboxCredentials
    system_identifier: str
    superuser: bool  # read back from the server, not from the labels


def require_live(ref: str) -> LiveSandbox:
    container = sandboxes.resolve(ref)  # refuses DSNs, unlabelled containers, unknown ids
    sandbox_id = container.labels.get(sandboxes.L_ID, ref)
    if container.status != "running":
        raise Refused(f"sandbox {sandbox_id} is not running (it is {container.status})")
    if container.network_mode != "none":
        raise Refused(
            f"sandbox {sandbox_id} has network mode {container.network_mode!r}, not 'none';"
            " refusing to act on it"
        )
    info = sandboxes.info_of(container)
    creds = sandboxes.credentials(info)
    if creds is None:
        raise Refused(f"the credentials of sandbox {sandbox_id} are not on this host")
    system_identifier, superuser = db.identity(creds)
    official = _official_system_identifier(info)
    if official is not None and official == system_identifier:
        raise Refused(
            f"sandbox {sandbox_id} has the official server's system_identifier {official};"
            " refusing to act on what may be the official runtime"
        )
    return LiveSandbox(
        info=info, credentials=creds, system_identifier=system_identifier, superuser=superuser
    )


def _official_system_identifier(info: SandboxInfo) -> str | None:
    try:
        manifest = snapshots.get(info.snapshot)
    except DotboxError:
        return None
    if manifest.digest != info.snapshot_digest:
        return None
    return manifest.system_identifier
