"""The CI recipes of docs/ci, tried here as far as they can be: both run docs/ci/job.sh, and
this test runs that script (install skipped: the package under test is installed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from dotbox.core import paths
from dotbox.core.labels import Label
from dotbox.engine import client

CI = Path(__file__).resolve().parents[2] / "docs" / "ci"


def test_both_recipes_run_the_job_script() -> None:
    github = yaml.safe_load((CI / "github-actions.yml").read_text())
    steps = github["jobs"]["test"]["steps"]
    assert any(s.get("run", "").startswith("bash docs/ci/job.sh") for s in steps)
    gitlab = yaml.safe_load((CI / "gitlab-ci.yml").read_text())
    assert any(line.startswith("bash docs/ci/job.sh") for line in gitlab["tests"]["script"])


def test_the_job_fills_a_pool_runs_a_suite_and_leaves_nothing(tmp_path: Path) -> None:
    env = {
        **os.environ,
        # the job's dotbox and python3 are those of the environment running the tests, as in
        # a CI job that installed dotbox in it (another dotbox may be earlier on PATH here)
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "DOTBOX_CI_SKIP_INSTALL": "1",
        "DOTBOX_SUITE": str(CI / "example"),
        "DOTBOX_POOL_SIZE": "2",
    }
    proc = subprocess.run(
        ["bash", str(CI / "job.sh"), "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout
    mine = {Label.MANAGED_BY: "dotbox", "dotbox.home": str(paths.data_home())}
    assert [c for c in client.containers(mine) if c.labels.get("dotbox.role") == "sandbox"] == []
