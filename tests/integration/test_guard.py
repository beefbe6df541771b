"""The guard: only a live, labelled, network-less sandbox that is not the official server."""

from __future__ import annotations

import json
import subprocess

import pytest

import dotbox
from dotbox.core import paths
from dotbox.core.errors import NotFound, Refused
from dotbox.engine import client
from dotbox.sandboxes import guard
from dotbox.snapshots import store


def test_guard_accepts_a_live_sandbox_and_reads_its_identity() -> None:
    with dotbox.sandbox() as sb:
        live = guard.require_live(sb.id)
        assert live.info.id == sb.id
        assert live.system_identifier.isdigit()
        assert live.credentials.dsn == sb.dsn


@pytest.mark.parametrize(
    ("ref", "error", "message"),
    [
        ("postgresql://u:p@127.0.0.1:5432/db", Refused, "connection string"),
        ("dbname=prod host=127.0.0.1", Refused, "connection string"),
        ("sb-ffffffff", NotFound, "unknown sandbox"),
    ],
)
def test_guard_refuses_what_is_not_a_sandbox(ref: str, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        guard.require_live(ref)


def test_guard_refuses_a_stopped_sandbox() -> None:
    with dotbox.sandbox() as sb:
        container = client.containers({"dotbox.id": sb.id})[0]
        subprocess.run(["docker", "stop", "-t", "1", container.id], check=True, capture_output=True)
        with pytest.raises(Refused, match="is not running"):
            guard.require_live(sb.id)


def test_guard_refuses_the_official_system_identifier() -> None:
    with dotbox.sandbox() as sb:
        live = guard.require_live(sb.id)
        manifest_path = paths.snapshots_dir() / "default.json"
        original = manifest_path.read_text()
        forged = json.loads(original) | {"system_identifier": live.system_identifier}
        manifest_path.write_text(json.dumps(forged))
        try:
            assert store.get("default").system_identifier == live.system_identifier
            with pytest.raises(Refused, match="official server's system_identifier"):
                guard.require_live(sb.id)
        finally:
            manifest_path.write_text(original)
