"""A DOTBOX_HOME is a boundary: list, show, drop, drop --all and gc of one home see and act on
its own sandboxes only. A sandbox of home A, looked at from home B, is not there; A still
sees and acts on it (the control)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dotbox
from tests.integration.conftest import run_cli


def in_home(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DOTBOX_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "dotbox", *args], capture_output=True, text=True, env=env
    )


def test_another_home_neither_sees_nor_touches_a_sandbox() -> None:
    other = Path(tempfile.mkdtemp(prefix="dotbox-other-home-"))
    sb = dotbox.sandbox(ttl="1s")
    try:
        time.sleep(2)  # expired: gc of its own home removes it
        assert json.loads(in_home(other, "list", "--json").stdout) == []
        for args in (["show", sb.id], ["drop", sb.id]):
            proc = in_home(other, *args)
            assert proc.returncode == 3, proc.stderr
            assert "belongs to another DOTBOX_HOME" in proc.stderr
        assert in_home(other, "drop", "--all").returncode == 0
        gc = in_home(other, "gc", "--json")
        assert gc.returncode == 0, gc.stderr
        assert sb.id not in {a["target"] for a in json.loads(gc.stdout)}
        assert dotbox.get(sb.id).info.state == "expired"  # still there, untouched
        # the control: its own home sees it and gc removes it
        mine = json.loads(run_cli("gc", "--json", check=True).stdout)
        assert {"kind": "sandbox", "target": sb.id} in [
            {"kind": a["kind"], "target": a["target"]} for a in mine if a["done"]
        ]
        assert [s for s in dotbox.list_sandboxes() if s.id == sb.id] == []
    finally:
        run_cli("drop", sb.id)
        shutil.rmtree(other, ignore_errors=True)
