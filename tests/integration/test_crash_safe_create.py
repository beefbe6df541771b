"""A create killed at its last step leaves a sandbox that is never 'ready' and that gc removes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import dotbox
from dotbox.maintenance import janitor
from dotbox.sandboxes import lifecycle


def test_create_killed_before_ready_is_never_ready_and_gc_removes_it() -> None:
    env = os.environ | {"DOTBOX_TEST_PAUSE_AT": "before-ready", "DOTBOX_READY_DEADLINE": "2"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dotbox", "create", "--name", "killed-create"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not (
            dotbox.list_sandboxes()
            and (
                lifecycle.info_of(lifecycle.resolve("killed-create")).socket_dir / ".s.PGSQL.5432"
            ).exists()
        ):
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.1)
        time.sleep(0.5)  # the server answers; create is paused just before its ready marker
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert dotbox.get("killed-create").info.state == "creating"
        time.sleep(8)  # past ready-by (2 s + 5 s slack)
        assert dotbox.get("killed-create").info.state == "broken"
        actions = janitor.plan_and_run()
        assert any(a.target == "killed-create" and a.done for a in actions)
        assert [s for s in dotbox.list_sandboxes() if s.id == "killed-create"] == []
    finally:
        proc.kill()
        subprocess.run(
            [sys.executable, "-m", "dotbox", "drop", "killed-create"], capture_output=True
        )
