"""dotbox gc removes what nobody will use again, and only dotbox's own objects."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import pytest

import dotbox
from dotbox.engine import client
from dotbox.sandbox import inventory
from tests.integration.conftest import cli_json, run_cli, run_root


@pytest.fixture
def foreign_objects() -> Iterator[tuple[str, str]]:
    net, box = "gc-test-own-net", "gc-test-own-container"
    subprocess.run(["docker", "rm", "-f", box], capture_output=True)
    subprocess.run(["docker", "network", "rm", net], capture_output=True)
    subprocess.run(["docker", "network", "create", net], check=True, capture_output=True)
    subprocess.run(
        [
            "docker",
            "run",
            "-d",
            "--name",
            box,
            "--network",
            "none",
            "--label",
            "dotbox.role=sandbox",
            "dotbox/base:pg17",
            "sleep",
            "300",
        ],
        check=True,
        capture_output=True,
    )
    yield net, box
    subprocess.run(["docker", "rm", "-f", box], capture_output=True)
    subprocess.run(["docker", "network", "rm", net], capture_output=True)


def test_gc_removes_expired_and_orphans_and_spares_the_rest(
    foreign_objects: tuple[str, str],
) -> None:
    net, box = foreign_objects
    expired = dotbox.sandbox(ttl="1s")
    live = dotbox.sandbox(ttl="10m")
    orphan_dir = run_root() / "sb-orphan00"
    orphan_dir.mkdir(parents=True)
    time.sleep(2)
    planned = cli_json("gc", "--dry-run")
    assert isinstance(planned, list)
    targets = {(a["kind"], a["target"]) for a in planned}
    assert ("sandbox", expired.id) in targets and ("directory", str(orphan_dir)) in targets
    assert all(not a["done"] for a in planned)
    assert client.containers({inventory.L_ID: expired.id})  # dry run removed nothing
    done = cli_json("gc")
    assert isinstance(done, list)
    assert {(a["kind"], a["target"]) for a in done if a["done"]} >= {
        ("sandbox", expired.id),
        ("directory", str(orphan_dir)),
    }
    assert not client.containers({inventory.L_ID: expired.id})
    assert not orphan_dir.exists()
    assert live.query("SELECT 1") == [(1,)]
    for obj in (["container", "inspect", box], ["network", "inspect", net]):
        assert subprocess.run(["docker", *obj], capture_output=True).returncode == 0
    live.drop()


def test_gc_removes_a_broken_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    sb = dotbox.sandbox(ttl="10m")
    container = client.containers({inventory.L_ID: sb.id})[0]
    subprocess.run(["docker", "kill", container.id], check=True, capture_output=True)
    assert dotbox.get(sb.id).info.state == "broken"
    from dotbox.maintenance import janitor

    monkeypatch.setattr(janitor, "GRACE", 0.0)
    actions = janitor.plan_and_run()
    assert any(a.target == sb.id and a.done and "broken" in a.reason for a in actions)
    assert run_cli("show", sb.id).returncode == 3
