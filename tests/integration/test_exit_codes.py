"""Exit codes 7, 9 and 15, each produced by a real failure of the thing it names (not by a
stub), with one line on stderr; and what the failure made is gone, or kept only as long as
what caused it lasts (the control)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import dotbox
from dotbox import images
from dotbox.core.errors import CouldNotVerify, DropIncomplete, NotReady
from dotbox.engine import client
from dotbox.sandboxes import lifecycle
from tests.integration.conftest import run_cli


def one_line(proc: subprocess.CompletedProcess[str], code: int) -> str:
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == code, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("dotbox: error: "), proc.stderr
    return lines[0]


def test_7_a_server_that_does_not_answer_in_time_and_nothing_is_left() -> None:
    name = f"late-{secrets.token_hex(3)}"
    proc = subprocess.run(
        # a hundredth of a CPU: the server is still starting when the first query is tried
        [sys.executable, "-m", "dotbox", "create", "--name", name, "--cpus", "0.01"],
        capture_output=True,
        text=True,
        env={**os.environ, "DOTBOX_READY_DEADLINE": "0.001"},
    )
    assert NotReady.exit_code == 7
    assert "did not accept a query within" in one_line(proc, 7)
    assert lifecycle.find(name) is None
    assert (
        client.containers({"dotbox.id": name}) == [] and client.volumes({"dotbox.id": name}) == []
    )


def test_9_a_drop_that_cannot_remove_a_volume_says_what_is_left() -> None:
    sb = dotbox.sandbox(name=f"held-{secrets.token_hex(3)}", tcp=True)
    volume = lifecycle.socket_volume(sb.id)
    holder = f"holder-{secrets.token_hex(3)}"
    subprocess.run(
        ["docker", "run", "-d", "--name", holder, "--network", "none", "-v", f"{volume}:/held",
         "--entrypoint", "sleep", images.base_tag(17), "300"],
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        proc = run_cli("drop", sb.id)
        assert DropIncomplete.exit_code == 9
        line = one_line(proc, 9)
        assert sb.id in line and volume in line
    finally:
        subprocess.run(["docker", "rm", "-f", holder], capture_output=True)
    # the control: once nothing holds the volume, the drop completes
    assert run_cli("drop", sb.id).returncode == 0
    assert client.volumes({"dotbox.id": sb.id}) == []


def test_15_verify_of_a_sandbox_whose_fingerprint_is_gone_knows_nothing() -> None:
    with dotbox.sandbox(name=f"nofp-{secrets.token_hex(3)}") as sb:
        assert run_cli("verify", sb.id).returncode == 0  # the control: verify can, at first
        subprocess.run(
            ["docker", "exec", "-u", "root", sb.info.container, "rm", images.FINGERPRINT_FILE],
            check=True,
        )
        proc = run_cli("verify", sb.id)
        assert CouldNotVerify.exit_code == 15
        assert "has no baked fingerprint" in one_line(proc, 15)
