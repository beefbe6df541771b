"""The engine's own command-line tools, for what the SDK does not do: Compose (v2's
``docker compose``, else ``docker-compose``) and a build from a Dockerfile given as text."""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path

from dotbox.core.errors import ComposeFailed, EngineUnavailable

COMPOSE_DEADLINE = 600.0


@cache
def compose_command() -> tuple[str, ...]:
    """Compose v2 (``docker compose``) where the engine's client has it, else ``docker-compose``."""
    try:
        v2 = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
        if v2.returncode == 0:
            return ("docker", "compose")
    except (OSError, subprocess.TimeoutExpired):
        pass
    if shutil.which("docker-compose"):
        return ("docker-compose",)
    raise EngineUnavailable(
        "neither 'docker compose' (v2) nor 'docker-compose' is installed",
        hint="apt-get install docker-compose",
    )


def compose(project: str, file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run Compose on ``file`` as project ``project``; ComposeFailed if it runs over its time."""
    cmd = [*compose_command(), "-p", project, "-f", str(file), *args]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=COMPOSE_DEADLINE)
    except subprocess.TimeoutExpired:
        what = f"{' '.join(compose_command())} {args[0]}"
        raise ComposeFailed(f"{what} ran over {COMPOSE_DEADLINE:.0f}s") from None


def build(tag: str, dockerfile: str) -> None:
    """Build image ``tag`` from a Dockerfile given as text (no build context)."""
    proc = subprocess.run(
        ["docker", "build", "-q", "-t", tag, "-"], input=dockerfile, capture_output=True, text=True
    )
    if proc.returncode != 0:
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
        raise EngineUnavailable(f"build {tag}: {tail}")
