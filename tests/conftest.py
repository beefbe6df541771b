"""Shared fixtures. Every test session gets its own DOTBOX_HOME and socket root, so it never
sees a user's snapshots or sandboxes; images are shared (they are keyed by content)."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPORA = REPO / "tests" / "corpora"
SESSION = secrets.token_hex(3)  # of this test session (of each xdist worker)


def under_ci() -> bool:
    """CI=true: a test that needs what is missing fails, never skips."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unique(base: str) -> str:
    """A name of this session's own: engine names are shared by everyone on the engine."""
    return f"{base}-{SESSION}"


def corpus(name: str) -> Path:
    path = CORPORA / name
    if not path.exists():
        pytest.fail(f"corpus {path} is missing from the repository")
    return path


@pytest.fixture(scope="session", autouse=True)
def dotbox_env() -> Iterator[dict[str, str]]:
    home = Path(tempfile.mkdtemp(prefix="dotbox-test-home-"))
    run = Path(tempfile.mkdtemp(prefix="dbx-"))  # short: socket paths must fit 107 bytes
    saved = {k: os.environ.get(k) for k in ("DOTBOX_HOME", "DOTBOX_RUN_DIR")}
    os.environ["DOTBOX_HOME"] = str(home)
    os.environ["DOTBOX_RUN_DIR"] = str(run / "r")
    yield {"DOTBOX_HOME": str(home), "DOTBOX_RUN_DIR": str(run / "r")}
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(run, ignore_errors=True)
