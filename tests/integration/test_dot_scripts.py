"""The primitives under the governance toolkit's names: installed console scripts that only
act with --execute."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dotbox import api, evidence
from dotbox.cli.help_text import SECTIONS
from dotbox.primitives.catalogue import ENTRIES

SCRIPTS = [e.script for e in ENTRIES.values() if e.script]


def script(*args: str) -> subprocess.CompletedProcess[str]:
    """The script installed beside the Python running the tests (another Python's, earlier
    on PATH, may be another dotbox)."""
    path = shutil.which(args[0], path=str(Path(sys.executable).parent)) or shutil.which(args[0])
    assert path, f"{args[0]} is not installed: pip install -e ."
    return subprocess.run([path, *args[1:]], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("name", SCRIPTS)
def test_each_script_has_the_fixed_help_sections(name: str) -> None:
    proc = script(name, "--help")
    assert proc.returncode == 0
    positions = [proc.stdout.find(f"\n{title}\n") for title in SECTIONS]
    assert all(p >= 0 for p in positions) and positions == sorted(positions), proc.stdout
    assert "--execute" in proc.stdout


def test_a_dry_run_is_the_default_and_execute_acts() -> None:
    assert len(SCRIPTS) == 6
    with api.sandbox(ttl="10m") as sb:
        ledger = evidence.ledger_path(sb.id).read_bytes()
        dry = script("dot-c1-staging-verify", "--sandbox", sb.id)
        assert dry.returncode == 0, dry.stderr
        assert json.loads(dry.stdout)["dry_run"] is True
        assert evidence.ledger_path(sb.id).read_bytes() == ledger  # nothing was done
        done = script("dot-c1-staging-verify", "--sandbox", sb.id, "--execute")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["verify"]["checks"]["equal"] is True
        assert evidence.read(evidence.ledger_path(sb.id))[-1]["primitive"] == "verify"
        refused = script("dot-staging-sandbox-drop", "--sandbox", sb.dsn, "--execute")
        assert refused.returncode == 4 and "connection string" in refused.stderr
