"""Which image a runner runs (``dotbox run --image``): the sandbox's base image, the bundled
tools image, or a user's own image, resolved to its id before any container is made.

The engine never pulls: an image that is not on it is "not found" (exit 3). A user's image keeps
its ENTRYPOINT (the runner's wrapper execs it, then the command) and its environment; what it
cannot choose is everything else the runner sets (user, network, mounts, capabilities, working
directory). Each ``VOLUME`` it declares gets a small tmpfs instead of an anonymous volume: the
runner leaves nothing on the engine and nothing persists between runs.

The tools image (``dotbox/tools:pgNN``) is built offline from Debian's packages for the
sandbox's major by ``data/build-tools.sh``: psql and pg_dump of that major, a full Python 3 with
psycopg (3 and 2), SQLAlchemy, Alembic and Django, and socat. It is labelled with the digest of
its recipe, and a tag whose image lacks dotbox's labels is refused, never run.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from dataclasses import dataclass
from importlib import resources

from dotbox import images
from dotbox.core import paths
from dotbox.core.errors import BakeFailed, InvalidInput, NotFound
from dotbox.core.labels import Label
from dotbox.core.records import ImageInfo
from dotbox.engine import client

TOOLS = "tools"  # the short name: dotbox run SB --image tools
TOOLS_REPO = "dotbox/tools"
TOOLS_RECIPE = ("build-tools.sh", "apt-sources.sh")
VOLUME_TMPFS = "size=64m,nosuid,nodev"
_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}")


def _quiet(phase: str, done: int, total: int) -> None:
    pass


@dataclass(frozen=True)
class RunImage:
    """An image a runner may be made from, pinned to its id."""

    id: str  # "sha256:…": the runner is created from this, never from a name
    name: str  # as the user gave it (or the tools image's tag)
    entrypoint: tuple[str, ...] = ()  # the image's own ENTRYPOINT, run before the command
    volumes: tuple[str, ...] = ()  # the VOLUMEs it declares (each gets a tmpfs)


def tools_tag(major: int) -> str:
    return f"{TOOLS_REPO}:pg{major}"


def tools_recipe() -> str:
    h = hashlib.sha256()
    for name in TOOLS_RECIPE:
        h.update(resources.files("dotbox").joinpath(f"data/{name}").read_bytes())
    return h.hexdigest()[:16]


def tools_image(major: int, *, build: bool = True, progress: images.Progress = _quiet) -> ImageInfo:
    """The tools image for ``major`` made by the current recipe; built first if it is missing
    or was made by another recipe (and ``build``)."""
    _check_major(major)
    tag, recipe = tools_tag(major), tools_recipe()
    found = _current_tools(tag, major, recipe)
    if found is None and build:
        with paths.image_lock(f"tools-pg{major}"):
            found = _current_tools(tag, major, recipe)  # another process may have built it
            if found is None:
                build_tools(major, progress=progress)
                found = _current_tools(tag, major, recipe)
        if found is None:
            raise BakeFailed(f"the tools image {tag} is still missing after building it")
    if found is None:
        raise NotFound(
            f"tools image {tag} is missing",
            hint=f"build it with 'dotbox image build --tools --pg {major}'",
        )
    return found


def _check_major(major: int) -> None:
    if major not in images.OFFLINE_MAJORS:
        majors = ", ".join(map(str, images.OFFLINE_MAJORS))
        raise InvalidInput(f"no tools image for PostgreSQL {major}: Debian carries {majors} here")


def _current_tools(tag: str, major: int, recipe: str) -> ImageInfo | None:
    found = client.image(tag)
    if found is None:
        return None
    images.dotbox_made(found, tag, Label.TOOLS, f"pg{major}")
    return found if found.labels.get(Label.RECIPE) == recipe else None


def build_tools(major: int, *, progress: images.Progress = _quiet) -> None:
    """Run the offline tools recipe (mmdebstrap + docker import) for ``major``; its phases go
    to ``progress``."""
    _check_major(major)
    client.ping()
    tag = tools_tag(major)
    env = {**os.environ, "DOTBOX_TOOLS_TAG": tag, "DOTBOX_TOOLS_RECIPE": tools_recipe()}
    script = resources.files("dotbox").joinpath("data/build-tools.sh")
    output: list[str] = []
    progress(f"{tag} from Debian's packages", 0, 0)
    with resources.as_file(script) as path:
        proc = subprocess.Popen(
            ["bash", str(path), str(major)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("dotbox:phase "):
                progress(f"{tag}: {line.split()[1]}", 0, 0)
            else:
                output.append(line.rstrip("\n"))
        code = proc.wait()
    if code != 0:
        tail = " / ".join(x.strip() for x in output[-3:] if x.strip()) or "no output"
        raise BakeFailed(
            f"building the tools image {tag} failed: {tail}",
            hint=f"build it by hand with 'bash dotbox/data/build-tools.sh {major}' to see the log",
        )
    progress(f"{tag}: done", 1, 1)


def resolve(ref: str, major: int, *, progress: images.Progress = _quiet) -> RunImage:
    """The image ``ref`` names, pinned to its id: ``tools`` is the tools image of ``major``
    (built if missing); anything else must already be on the engine (nothing is pulled), and
    an image at a ``dotbox/`` tag must carry dotbox's labels."""
    if ref == TOOLS:
        return _pinned(tools_image(major, progress=progress), tools_tag(major))
    if not _REFERENCE.fullmatch(ref) or ".." in ref:
        raise InvalidInput(f"invalid image {ref!r}: give a name[:tag], an id, or 'tools'")
    on_engine = client.image(ref)
    if on_engine is None:
        raise NotFound(
            f"image {ref!r} is not on the engine; dotbox never pulls",
            hint=f"'docker pull {ref}' or build it first, or use --image tools",
        )
    if ref.startswith(("dotbox/", "docker.io/dotbox/")) and not _dotbox_labelled(on_engine):
        images.dotbox_made(on_engine, ref, Label.MANAGED_BY, "dotbox")  # refuses it
    return _pinned(on_engine, ref)


def _dotbox_labelled(found: ImageInfo) -> bool:
    labels = found.labels
    return labels.get(Label.MANAGED_BY) == "dotbox" or any(
        labels.get(label, "").startswith("pg") for label in (Label.BASE, Label.TOOLS)
    )


def _pinned(found: ImageInfo, name: str) -> RunImage:
    config = client.image_config(found.id)
    return RunImage(
        id=found.id,
        name=name,
        entrypoint=tuple(config.get("Entrypoint") or ()),
        volumes=tuple(sorted(config.get("Volumes") or {})),
    )
