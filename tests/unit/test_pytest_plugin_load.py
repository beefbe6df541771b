"""The pytest plugin is loaded in every pytest session of whoever installs dotbox: loading it must
cost little and do nothing until a fixture asks for a sandbox. No engine needed here."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from dotbox.pytest_plugin import failure_text
from tests.pytest_runs import make_suite, outcomes, remove_run_dir

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("docker", "psycopg", "dotbox.api", "dotbox.engine.client", "dotbox.pg.db", "pydantic")


def test_pyproject_registers_the_plugin_by_entry_point() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["pytest11"] == {"dotbox": "dotbox.pytest_plugin"}


def test_importing_the_plugin_imports_nothing_heavy() -> None:
    code = (
        "import sys, dotbox.pytest_plugin\n"
        f"print(' '.join(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}"
        f" or m in {HEAVY!r}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout
    assert out.split() == []


def test_a_session_that_uses_no_fixture_never_touches_dotbox(tmp_path: Path) -> None:
    suite = make_suite(tmp_path / "suite")
    suite.env["DOCKER_HOST"] = "unix:///nonexistent/docker.sock"  # any engine call would fail
    suite.write(
        "conftest.py",
        f"""
        import atexit, os, sys

        def _write():
            heavy = [m for m in sys.modules if m.split(".")[0] in {HEAVY!r} or m in {HEAVY!r}]
            with open(os.environ["IDS_FILE"], "w") as fh:
                fh.write("loaded " + " ".join(heavy) + "\\n")

        atexit.register(_write)
        """,
    )
    suite.write("test_plain.py", "def test_plain():\n    assert 1 + 1 == 2\n")
    try:
        proc = suite.run()
        assert outcomes(proc.stdout) == {"passed": 1}, proc.stdout + proc.stderr
        assert suite.records() == [["loaded"]]
        assert not Path(suite.home).exists()  # not even DOTBOX_HOME was created
        assert "--dotbox-keep" in suite.run("--help").stdout  # yet the plugin was loaded
    finally:
        remove_run_dir(suite)


def test_help_lists_the_options(tmp_path: Path) -> None:
    suite = make_suite(tmp_path / "suite")
    try:
        out = suite.run("--help").stdout
    finally:
        remove_run_dir(suite)
    for option in ("--dotbox-snapshot", "--dotbox-keep", "--dotbox-ttl", "dotbox_snapshot"):
        assert option in out


def test_failure_text_names_each_sandbox_and_the_way_to_keep_it() -> None:
    text = failure_text({"sb-1": "dotbox_sandbox", "sb-2": "dotbox_session_sandbox"}, keep=False)
    assert "sandbox sb-1 (from dotbox_sandbox)" in text
    assert "sandbox sb-2 (from dotbox_session_sandbox)" in text
    assert "--dotbox-keep" in text
    kept = failure_text({"sb-1": "dotbox_sandbox"}, keep=True)
    assert "dotbox drop" in kept and "rerun" not in kept
