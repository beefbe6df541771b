"""Where dotbox keeps things on the host: snapshots and ledgers (data), sockets (runtime)."""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dotbox.core.errors import Refused, StorageFailed


def data_home() -> Path:
    """Snapshots, locks and evidence ledgers: ``$DOTBOX_HOME`` or the XDG data dir, kept
    private (0700)."""
    if env := os.environ.get("DOTBOX_HOME"):
        home = Path(env)
    else:
        xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        home = Path(xdg) / "dotbox"
    _keep_private(home)
    return home


def _keep_private(path: Path) -> None:
    """Make ``path`` 0700, or tighten it to 0700 if it is ours and looser. A directory that
    cannot be made is left to the write that needs it (a one-line StorageFailed there)."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = path.stat()
        if st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) & 0o077:
            path.chmod(0o700)
    except OSError:
        pass


def run_root() -> Path:
    """Per-sandbox socket directories live below this private (0700) directory.

    Kept short on purpose: a Unix socket path must fit in 107 bytes.
    """
    if env := os.environ.get("DOTBOX_RUN_DIR"):
        root = Path(env)
    elif xdg := os.environ.get("XDG_RUNTIME_DIR"):
        root = Path(xdg) / "dotbox"
    else:
        root = Path(f"/tmp/dotbox-{os.getuid()}")
    return _private_dir(root)


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = path.lstat()
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
        raise Refused(f"{path} is not a directory owned by uid {os.getuid()}; refusing to use it")
    if stat.S_IMODE(st.st_mode) != 0o700:
        path.chmod(0o700)
    return path


def sandbox_dir(sandbox_id: str) -> Path:
    return run_root() / sandbox_id


def socket_dir(sandbox_id: str) -> Path:
    return sandbox_dir(sandbox_id) / "sock"


def snapshots_dir() -> Path:
    return data_home() / "snapshots"


def snapshot_ddl(digest: str) -> Path:
    """The stored DDL of the snapshot whose text has this digest."""
    return snapshots_dir() / "blobs" / f"{digest}.sql"


def baked_dir() -> Path:
    """This DOTBOX_HOME's record of the images it baked, one file per image id (what
    ``dotbox image prune`` may remove: a home prunes only what it baked)."""
    return data_home() / "baked"


def locks_dir() -> Path:
    """Locks on the engine's shared things (an image tag): one directory for every
    DOTBOX_HOME of this user, so two homes never build the same image at once."""
    return _private_dir(Path(tempfile.gettempdir()) / f"dotbox-{os.getuid()}-locks")


@contextmanager
def image_lock(name: str) -> Iterator[None]:
    """Hold this user's lock ``name`` (on an image being built) for the block."""
    with open(locks_dir() / f"{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """Writes under ``path``: an OSError becomes a one-line StorageFailed naming the path and
    what to do (a full disk, a read-only or foreign file system), never a traceback."""
    try:
        yield
    except OSError as exc:
        raise storage_error(path, exc) from None


def storage_error(path: Path | str | None, exc: OSError) -> StorageFailed:
    """A one-line StorageFailed for ``exc`` met writing ``path`` (None: not known)."""
    reason = exc.strerror or type(exc).__name__
    where = Path(path) if path else None
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        hint = f"free space there ('df -h {where.parent}' tells)" if where else "free space"
    elif exc.errno == errno.EROFS:
        hint = "that file system is mounted read-only"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        hint = f"uid {os.getuid()} may not write there"
    else:
        hint = "check that file system"
    if where is not None:
        env = "DOTBOX_HOME" if where.is_relative_to(data_home()) else "DOTBOX_RUN_DIR"
        hint += f", or point {env} elsewhere"
    return StorageFailed(f"cannot write {where or 'to disk'}: {reason}", hint=hint)
