"""Resource limits of a sandbox: memory, CPUs, processes and (opt-in) the data directory's size.

A sandbox that hits a limit fails alone: the engine enforces each limit per container (cgroups),
so its neighbours keep answering.

The data directory is baked into the image, and overlay2 on ext4 cannot cap a container's
writable layer (``--storage-opt size`` needs xfs with pquota). So ``disk`` puts the data
directory on a tmpfs of that size, copied there from the image when the sandbox starts (about
0.2 s for a 40 MB data directory). tmpfs pages are charged to the container's memory, so the
memory limit is raised by ``disk``: ``memory`` stays what the server's processes may use.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

from dotbox.core.errors import InvalidInput, Refused
from dotbox.core.labels import Label

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?)i?b?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}

MIN_MEMORY = 32 << 20
MIN_DISK = 64 << 20
MIN_PIDS = 32
CAPPED_DATA = "/var/lib/postgresql/capped"  # the tmpfs; the data directory is a 0700 child
SCRATCH_MIN_MEMORY = 512 << 20  # a sandbox with less keeps its per-test databases on disk
_SCRATCH_DIR = re.compile(r"/var/lib/postgresql/scratch/PG_[0-9]+_[0-9]+")
_OWNER = re.compile(r"[0-9]{1,9}:[0-9]{1,9}")


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 512 << 20
    cpus: float = 1.0
    pids: int = 256
    disk_bytes: int | None = None  # None: the data directory stays in the container's layer

    @property
    def engine_memory_bytes(self) -> int:
        return self.memory_bytes + (self.disk_bytes or 0)

    def label(self) -> str:
        """The sandbox's ``dotbox.limits`` label: these limits as compact JSON."""
        return json.dumps(dataclasses.asdict(self), separators=(",", ":"))


DEFAULT = Limits()


def parse_size(value: str, what: str) -> int:
    """``512m``, ``1g``, ``1.5G``, ``256MiB``, ``1048576`` → bytes."""
    m = _SIZE.match(value)
    if not m:
        raise InvalidInput(f"{what} {value!r} is not a size (examples: 512m, 1g, 256MiB)")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def make(
    *,
    memory: str | None = None,
    cpus: float | None = None,
    pids: int | None = None,
    disk: str | None = None,
) -> Limits:
    """Validated limits from user input; what is not given keeps its default."""
    limits = DEFAULT
    if memory is not None:
        size = parse_size(memory, "--memory")
        if size < MIN_MEMORY:
            raise InvalidInput(f"--memory {memory!r} is below the minimum of 32m")
        limits = dataclasses.replace(limits, memory_bytes=size)
    if cpus is not None:
        if not 0.01 <= cpus <= 1024:
            raise InvalidInput(f"--cpus {cpus} must be between 0.01 and the engine's CPU count")
        limits = dataclasses.replace(limits, cpus=cpus)
    if pids is not None:
        if pids < MIN_PIDS:
            raise InvalidInput(f"--pids {pids} is below the minimum of {MIN_PIDS}")
        limits = dataclasses.replace(limits, pids=pids)
    if disk is not None:
        size = parse_size(disk, "--disk")
        if size < MIN_DISK:
            raise InvalidInput(f"--disk {disk!r} is below the minimum of 64m")
        limits = dataclasses.replace(limits, disk_bytes=size)
    return limits


def entrypoint(
    limits: Limits, data_dir: str, pg_major: int, options: list[str]
) -> list[str] | None:
    """With a disk cap: copy the baked data directory onto the tmpfs, then run the server
    there with ``options``. Without one: None, the image's own entrypoint."""
    if limits.disk_bytes is None:
        return None
    target = f"{CAPPED_DATA}/data"
    return [
        "sh",
        "-c",
        f"mkdir -m 0700 {target} && cp -a {data_dir}/. {target}/ && "
        f"exec /usr/lib/postgresql/{pg_major}/bin/postgres -D {target} {shlex.join(options)}"
        ' "$@"',
        "dotbox-sandbox",
    ]


def tmpfs(limits: Limits) -> dict[str, str]:
    if limits.disk_bytes is None:
        return {}
    return {CAPPED_DATA: f"size={limits.disk_bytes},mode=1777"}


def scratch(labels: Mapping[str, str], limits: Limits) -> dict[str, str]:
    """The tmpfs of a sandbox image's scratch tablespace, where its per-test databases live:
    mounted on the tablespace's directory, owned by the server, half the sandbox's memory in
    size and counted in it. None below ``SCRATCH_MIN_MEMORY``, or for an image baked without
    one: the tablespace's directory in the image's layer serves then."""
    where, owner = labels.get(Label.SCRATCH), labels.get(Label.SCRATCH_OWNER)
    if (where is None and owner is None) or limits.memory_bytes < SCRATCH_MIN_MEMORY:
        return {}
    checked = scratch_labels(where or "", owner or "")
    uid, gid = checked[Label.SCRATCH_OWNER].split(":")
    size = limits.memory_bytes // 2
    return {checked[Label.SCRATCH]: f"size={size},mode=0700,uid={uid},gid={gid}"}


def scratch_labels(where: str, owner: str) -> dict[str, str]:
    """The labels of a scratch tablespace in ``where`` owned by ``owner`` (uid:gid). Refused
    unless they are a tablespace directory of dotbox's and a numeric owner: they become mount
    options."""
    if not (_SCRATCH_DIR.fullmatch(where) and _OWNER.fullmatch(owner)):
        raise Refused(f"the scratch tablespace labels are not dotbox's: {where!r}, {owner!r}")
    return {Label.SCRATCH: where, Label.SCRATCH_OWNER: owner}
