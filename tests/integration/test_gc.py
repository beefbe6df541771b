"""dotbox gc removes what nobody will use again, and only dotbox's own objects."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import pytest

import dotbox
from dotbox.core.labels import Label
from dotbox.engine import client
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
    assert client.containers({Label.ID: expired.id})  # dry run removed nothing
    done = cli_json("gc")
    assert isinstance(done, list)
    assert {(a["kind"], a["target"]) for a in done if a["done"]} >= {
        ("sandbox", expired.id),
        ("directory", str(orphan_dir)),
    }
    assert not client.containers({Label.ID: expired.id})
    assert not orphan_dir.exists()
    assert live.query("SELECT 1") == [(1,)]
    for obj in (["container", "inspect", box], ["network", "inspect", net]):
        assert subprocess.run(["docker", *obj], capture_output=True).returncode == 0
    live.drop()


def test_gc_spares_a_broken_sandbox_within_its_grace_and_removes_it_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A sandbox that was ready and then stopped is broken, but gc waits GRACE seconds after its
    container was made before it removes it (a create, a restart may still be under way)."""
    sb = dotbox.sandbox(ttl="10m")
    try:
        _grace_rule(sb, monkeypatch)
    finally:
        if client.containers({Label.ID: sb.id}):
            sb.drop()


def _grace_rule(sb: dotbox.Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    from dotbox.maintenance import janitor

    container = client.containers({Label.ID: sb.id})[0]
    subprocess.run(["docker", "kill", container.id], check=True, capture_output=True)
    assert dotbox.get(sb.id).info.state == "broken"

    def targets(actions: list[janitor.GcAction]) -> set[tuple[str, bool]]:
        return {(a.reason.split(" ")[0], a.done) for a in actions if a.target == sb.id}

    # younger than the product's own grace: gc, run as users run it, spares it
    assert time.time() - container.created_at < janitor.GRACE
    for args in (("gc", "--dry-run"), ("gc",)):
        actions = cli_json(*args)
        assert isinstance(actions, list)
        assert sb.id not in {a["target"] for a in actions}, actions
    assert dotbox.get(sb.id).info.state == "broken"  # still there
    while (age := time.time() - container.created_at) < 6:
        time.sleep(0.5)
    # a grace longer than its age spares it; one it has outgrown removes it
    monkeypatch.setattr(janitor, "GRACE", age + 60)
    assert targets(janitor.plan_and_run(dry_run=True)) == set()
    monkeypatch.setattr(janitor, "GRACE", age - 3)
    assert targets(janitor.plan_and_run(dry_run=True)) == {("broken", False)}
    assert targets(janitor.plan_and_run()) == {("broken", True)}
    assert run_cli("show", sb.id).returncode == 3
    assert not client.containers({Label.ID: sb.id})
