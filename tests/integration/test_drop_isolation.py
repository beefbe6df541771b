"""Drop of one sandbox among three leaves nothing of it and touches nothing else."""

from __future__ import annotations

import subprocess

import dotbox
from dotbox.engine import client


def test_dropping_one_of_three_leaves_nothing_of_it_and_the_others_answer() -> None:
    sandboxes = [dotbox.sandbox(), dotbox.sandbox(tcp=True), dotbox.sandbox()]
    try:
        for i, sb in enumerate(sandboxes):
            sb.query("INSERT INTO runtime.block (code, title) VALUES (%s, 'mine')", (f"S{i}",))
        victim = sandboxes[1]
        (container,) = client.containers({"dotbox.id": victim.id, "dotbox.role": "sandbox"})
        assert client.containers({"dotbox.id": victim.id, "dotbox.role": "forwarder"})
        report = victim.drop()
        assert report.confirmed
        assert client.containers({"dotbox.id": victim.id}) == []  # sandbox and forwarder
        assert client.volumes({"dotbox.id": victim.id}) == []
        assert client.inspect_container(container.id) is None
        assert not victim.info.socket_dir.parent.exists()
        names = subprocess.run(
            ["docker", "ps", "-a", "--format", "{{.Names}}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        assert not [n for n in names if victim.id in n]
        for i in (0, 2):
            assert sandboxes[i].query("SELECT code FROM runtime.block") == [(f"S{i}",)]
    finally:
        for sb in sandboxes:
            sb.drop()


def test_drop_clears_the_remnants_of_a_sandbox_whose_container_vanished() -> None:
    sb = dotbox.sandbox(tcp=True)
    (container,) = client.containers({"dotbox.id": sb.id, "dotbox.role": "sandbox"})
    subprocess.run(["docker", "rm", "-f", container.id], check=True, capture_output=True)
    assert client.containers({"dotbox.id": sb.id, "dotbox.role": "forwarder"})
    report = dotbox.drop(sb.id)
    assert report.confirmed and not report.container_removed
    assert client.containers({"dotbox.id": sb.id}) == []
    assert not sb.info.socket_dir.parent.exists()
