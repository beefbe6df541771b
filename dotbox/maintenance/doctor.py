"""Checks of the machine dotbox runs on, each with the fix for a problem it finds."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Literal

from dotbox import images
from dotbox.core import paths
from dotbox.core.errors import DotboxError
from dotbox.core.models import Frozen
from dotbox.engine import client
from dotbox.sandboxes import lifecycle

MIN_FREE_BYTES = 5 * 2**30


class Check(Frozen):
    name: str
    status: Literal["ok", "warn", "fail"]
    detail: str
    fix: str | None = None


def run() -> list[Check]:
    """Every check, in order; if the engine cannot be reached, that alone."""
    try:
        info = client.ping()
    except DotboxError as exc:
        return [
            Check(
                name="engine",
                status="fail",
                detail=exc.one_line(),
                fix="start the engine ('make setup' installs docker.io and starts dockerd)",
            )
        ]
    return [
        _engine_version(),
        _storage_driver(info),
        _base_images(),
        *_free_space(info),
        _leftover_sandboxes(),
    ]


def _engine_version() -> Check:
    version = client.version()
    return Check(
        name="engine",
        status="ok",
        detail=f"Docker {version.get('Version')} (API {version.get('ApiVersion')})",
    )


def _storage_driver(info: dict[str, Any]) -> Check:
    driver = str(info.get("Driver", "?"))
    return Check(
        name="storage driver",
        status="ok" if driver == "overlay2" else "warn",
        detail=driver,
        fix=None if driver == "overlay2" else "overlay2 is what dotbox is measured on",
    )


def _base_images() -> Check:
    found = {m: client.image(images.base_tag(m)) for m in images.OFFLINE_MAJORS}
    present = [m for m, image in found.items() if image]
    missing = [m for m in images.OFFLINE_MAJORS if m not in present]
    stale = [m for m, image in found.items() if image and images.stale_base(image)]
    return Check(
        name="base images",
        status="ok" if not missing and not stale else ("warn" if present else "fail"),
        detail=f"present: {', '.join(f'pg{m}' for m in present) or 'none'}"
        + (f"; missing: {', '.join(f'pg{m}' for m in missing)}" if missing else "")
        + (
            f"; made by an older recipe: {', '.join(f'pg{m}' for m in stale)} (no en_US.UTF-8, say)"
            if stale
            else ""
        ),
        fix=" && ".join(f"dotbox image build --pg {m}" for m in (*missing, *stale)) or None,
    )


def _free_space(info: dict[str, Any]) -> list[Check]:
    """Free space where the engine keeps its data and where DOTBOX_HOME is."""
    checks = []
    for label, where in (
        ("disk (engine)", Path(str(info.get("DockerRootDir", "/")))),
        ("disk (DOTBOX_HOME)", _existing(paths.data_home())),
    ):
        try:
            free = shutil.disk_usage(where).free
        except OSError as exc:  # an engine on another machine, or in a container of its own
            checks.append(
                Check(
                    name=label,
                    status="warn",
                    detail=f"free space unknown: {where} is not readable here ({exc.strerror})",
                )
            )
            continue
        checks.append(
            Check(
                name=label,
                status="ok" if free >= MIN_FREE_BYTES else "warn",
                detail=f"{free / 2**30:.1f} GiB free at {where}",
                fix=None
                if free >= MIN_FREE_BYTES
                else "free some space ('dotbox gc', docker image prune)",
            )
        )
    return checks


def _leftover_sandboxes() -> Check:
    """Expired or broken sandboxes of any DOTBOX_HOME: what 'dotbox gc' would remove."""
    stale = [
        s for s in lifecycle.list_sandboxes(every_home=True) if s.state in ("expired", "broken")
    ]
    return Check(
        name="leftover sandboxes",
        status="ok" if not stale else "warn",
        detail=f"{len(stale)} expired or broken"
        + (f": {', '.join(s.id for s in stale[:5])}" if stale else ""),
        fix="dotbox gc" if stale else None,
    )


def _existing(path: Path) -> Path:
    while not path.exists():
        path = path.parent
    return path
