"""dotbox dump: pg_dump of a sandbox by the server's own major, written on the host.

The host's pg_dump refuses a server newer than itself. This one runs in a runner made from the
sandbox's base image (``runner.spec``: network none, the sandbox's socket only, no directory of
the host mounted), so its major is the server's. Its output streams back over the engine's
attach and is written here: to stdout, or to a file made 0600 by this user beside the target and
renamed over it only when pg_dump succeeded (a failed dump leaves no file).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import BinaryIO, Literal

from dotbox.core import paths
from dotbox.core.errors import CaptureFailed, InvalidInput
from dotbox.engine import client
from dotbox.sandboxes import guard, runner

Part = Literal["all", "schema", "data"]
_FLAGS: dict[str, list[str]] = {"all": [], "schema": ["--schema-only"], "data": ["--data-only"]}
_KEPT_ERROR_BYTES = 8192


def part_of(*, schema_only: bool, data_only: bool) -> Part:
    if schema_only and data_only:
        raise InvalidInput("give --schema-only or --data-only, not both")
    return "schema" if schema_only else "data" if data_only else "all"


def target_file(out: Path) -> Path:
    """``out`` if a dump may be written there: its directory exists, and it is no directory."""
    if out.is_dir():
        raise InvalidInput(f"{out} is a directory: name the dump's file")
    if not out.parent.is_dir():
        raise InvalidInput(f"{out.parent} is not a directory: the dump's file cannot go there")
    return out


def command(part: Part) -> list[str]:
    return ["pg_dump", "--no-password", *_FLAGS[part]]


def dump(ref: str, part: Part, *, out: Path | None, stdout: BinaryIO) -> int:
    """Dump sandbox ``ref`` (``part`` of it) to ``out`` or else ``stdout``; return the bytes
    written. CaptureFailed (exit 10) naming pg_dump's error when it fails."""
    target = target_file(out) if out is not None else None
    live = guard.require_live(ref)
    spec = runner.spec(live, command(part), cwd=None)
    if target is None:
        return _run(spec, stdout, live.info.id)
    tmp = target.parent / f".{target.name}.dotbox-{secrets.token_hex(4)}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise paths.storage_error(target, exc) from None
    try:
        with os.fdopen(fd, "wb") as sink:
            written = _run(spec, sink, live.info.id)
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        raise paths.storage_error(target, exc) from None
    finally:
        tmp.unlink(missing_ok=True)
    return written


def _run(spec: client.ContainerSpec, sink: BinaryIO, sandbox_id: str) -> int:
    written = 0
    errors = bytearray()

    def take(out: bytes | None, err: bytes | None) -> None:
        nonlocal written
        if out:
            sink.write(out)
            written += len(out)
        if err:
            errors.extend(err)
            del errors[:-_KEPT_ERROR_BYTES]

    code = client.run_attached(spec, take)
    if code != 0:
        raise CaptureFailed(
            f"pg_dump of sandbox {sandbox_id} failed (exit {code}): {_first_error(bytes(errors))}"
        )
    return written


def _first_error(stderr: bytes) -> str:
    lines = [ln.strip() for ln in stderr.decode(errors="replace").splitlines() if ln.strip()]
    named = [ln for ln in lines if "error:" in ln]
    return (named or lines[-1:] or ["no message"])[0]
