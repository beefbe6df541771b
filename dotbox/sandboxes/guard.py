"""The one guard every primitive calls before acting on a sandbox.

A target is acted on only if it is a running container with dotbox's labels, in network mode
``none``, whose credentials are on this host, and whose PostgreSQL ``system_identifier`` differs
from the official server's recorded in its snapshot. Anything else is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dotbox.core.errors import DotboxError, Refused
from dotbox.core.labels import Label
from dotbox.core.models import Frozen
from dotbox.core.records import ContainerInfo, SandboxCredentials
from dotbox.sandboxes import lifecycle
from dotbox.sandboxes.inventory import SandboxInfo
from dotbox.snapshots import store

if TYPE_CHECKING:
    from dotbox.pg import db


class LiveSandbox(Frozen):
    info: SandboxInfo
    credentials: SandboxCredentials
    system_identifier: str
    superuser: bool  # read back from the server, not from the labels
    createdb: bool  # likewise
    max_connections: int  # the server's own setting (SHOW), likewise
    max_prepared_transactions: int


def require_live(ref: str) -> LiveSandbox:
    from dotbox.pg import db  # the driver, where a server is asked (a created one's answered)

    container = lifecycle.resolve(ref)  # refuses DSNs, unlabelled containers, unknown ids
    sandbox_id = container.labels.get(Label.ID, ref)
    _require_running_isolated(container, sandbox_id)
    info = lifecycle.info_of(container)
    creds = lifecycle.credentials(info)
    if creds is None:
        raise Refused(f"the credentials of sandbox {sandbox_id} are not on this host")
    return judge(info, creds, db.identity(creds))


def require_created(created: lifecycle.Created) -> LiveSandbox:
    """The guard's checks on what a create read back (its container once ready, its server's
    identity from the bootstrap's read-back), without asking either again."""
    info = created.info
    _require_running_isolated(created.container, info.id)
    return judge(info, created.credentials, created.identity)


def _require_running_isolated(container: ContainerInfo, sandbox_id: str) -> None:
    if container.status != "running":
        raise Refused(f"sandbox {sandbox_id} is not running (it is {container.status})")
    if container.network_mode != "none":
        raise Refused(
            f"sandbox {sandbox_id} has network mode {container.network_mode!r}, not 'none';"
            " refusing to act on it"
        )


def judge(info: SandboxInfo, creds: SandboxCredentials, identity: db.Identity) -> LiveSandbox:
    official = _official_system_identifier(info)
    if official is not None and official == identity.system_identifier:
        raise Refused(
            f"sandbox {info.id} has the official server's system_identifier {official};"
            " refusing to act on what may be the official runtime"
        )
    return LiveSandbox(
        info=info,
        credentials=creds,
        system_identifier=identity.system_identifier,
        superuser=identity.superuser,
        createdb=identity.createdb,
        max_connections=identity.max_connections,
        max_prepared_transactions=identity.max_prepared_transactions,
    )


def _official_system_identifier(info: SandboxInfo) -> str | None:
    try:
        manifest = store.get(info.snapshot)
    except DotboxError:
        return None
    if manifest.digest != info.snapshot_digest:
        return None
    return manifest.system_identifier
