"""Files written whole or not at all: a reader, or a crash, sees the old content or the new,
never a part. Each is private to its owner (0600)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(target: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to a new file beside ``target``, flush it to disk (unless not
    ``durable``: a record that a crash of the machine makes moot), then rename it over."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if durable:
                os.fsync(fd)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
