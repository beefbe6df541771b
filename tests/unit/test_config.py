"""Configuration: defaults < file < DOTBOX_… variables < flags; every bad layer is one line that
names where it came from, the key and what is allowed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dotbox.core import config, limits, server
from dotbox.core.errors import InvalidInput
from dotbox.snapshots import store


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No DOTBOX_ setting from the caller's environment, and a working directory of our own
    (with a dotbox.toml or pyproject.toml only where a test writes one)."""
    for key in config.KEYS:
        monkeypatch.delenv(config.env_name(key), raising=False)
    monkeypatch.delenv(config.ENV_FILE, raising=False)
    monkeypatch.chdir(tmp_path)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_are_those_of_create(tmp_path: Path) -> None:
    effective = config.load()
    s = effective.settings
    assert effective.file is None
    assert s.snapshot == store.DEFAULT_SNAPSHOT
    assert s.ttl == "2h" and not s.superuser and not s.tcp and s.pool_size is None
    assert s.resources() == limits.DEFAULT
    assert s.server_settings() == server.DEFAULT == (100, 10)
    assert {src.kind for src in effective.sources.values()} == {"default"}


def test_file_then_env_then_flag(tmp_path: Path) -> None:
    path = write(tmp_path / "dotbox.toml", 'ttl = "10m"\nmemory = "1g"\ncpus = 0.5\ntcp = true\n')
    env = {"DOTBOX_MEMORY": "768m", "DOTBOX_CPUS": "1.5"}
    effective = config.load({"cpus": 2.0, "snapshot": None}, environ=env)
    s, src = effective.settings, effective.sources
    assert effective.file == path
    assert (s.ttl, str(src["ttl"])) == ("10m", str(path))  # file only
    assert (s.tcp, src["tcp"].kind) == (True, "file")
    assert (s.memory, str(src["memory"])) == ("768m", "DOTBOX_MEMORY")  # env beats file
    assert (s.cpus, str(src["cpus"])) == (2.0, "--cpus")  # flag beats env and file
    assert (s.snapshot, src["snapshot"].kind) == ("default", "default")  # None: not given
    assert s.resources().memory_bytes == 768 << 20


def test_pyproject_tool_table_found_from_a_subdirectory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n\n[tool.dotbox]\n')
    project.write_text(project.read_text() + 'snapshot = "pagila"\npool_size = 4\n')
    monkeypatch.chdir(write(tmp_path / "src" / "pkg" / "m.py", "").parent)
    effective = config.load()
    assert effective.file == project
    assert effective.settings.snapshot == "pagila" and effective.settings.pool_size == 4


def test_dotbox_toml_beats_pyproject_in_the_same_directory(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.dotbox]\nttl = "1h"\n')
    toml = write(tmp_path / "dotbox.toml", 'ttl = "3h"\n')
    assert config.load().file == toml and config.load().settings.ttl == "3h"


def test_pyproject_without_the_table_is_passed_over(tmp_path: Path) -> None:
    outer = write(tmp_path / "dotbox.toml", 'ttl = "5m"\n')
    write(tmp_path / "inner" / "pyproject.toml", '[project]\nname = "x"\n')
    os.chdir(tmp_path / "inner")
    assert config.load().file == outer


def test_dotbox_config_names_the_file_or_turns_lookup_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "dotbox.toml", 'ttl = "5m"\n')
    named = write(tmp_path / "elsewhere" / "ci.toml", 'ttl = "7m"\n')
    monkeypatch.setenv(config.ENV_FILE, str(named))
    assert config.load().settings.ttl == "7m"
    monkeypatch.setenv(config.ENV_FILE, "")
    assert config.load().file is None and config.load().settings.ttl == "2h"


def test_unknown_key_names_file_key_and_the_allowed_keys(tmp_path: Path) -> None:
    path = write(tmp_path / "dotbox.toml", 'memroy = "1g"\n')
    with pytest.raises(InvalidInput) as err:
        config.load()
    text = err.value.one_line()
    assert text.startswith(f"{path}: unknown key 'memroy'")
    assert "did you mean 'memory'" in text and "allowed keys: snapshot, ttl, memory" in text
    assert "\n" not in text and err.value.exit_code == 2


@pytest.mark.parametrize(
    ("toml", "key", "reason"),
    [
        ('memory = "1k"', "memory", "'1k' is below the minimum of 32m"),
        ('memory = "lots"', "memory", "'lots' is not a size"),
        ('disk = "10m"', "disk", "'10m' is below the minimum of 64m"),
        ("cpus = 0", "cpus", "0.0 must be between 0.01 and 1024"),
        ('cpus = "many"', "cpus", "'many' is not valid"),
        ("pids = 3", "pids", "3 is below the minimum of 32"),
        ('ttl = "forever"', "ttl", "invalid TTL 'forever'"),
        ('ttl = "31d"', "ttl", "invalid TTL '31d'"),
        ('snapshot = "Bad/Name"', "snapshot", "invalid snapshot name 'Bad/Name'"),
        ('superuser = "maybe"', "superuser", "'maybe' is not valid"),
        ("pool_size = 500", "pool_size", "500 is not valid"),
        ("pool_size = -1", "pool_size", "-1 is not valid"),
        ("max_connections = 9", "max_connections", "9 is not between 10 and 1000"),
        (
            "max_prepared_transactions = 1001",
            "max_prepared_transactions",
            "1001 is not between 0 and 1000",
        ),
        ("max_connections = 50.5", "max_connections", "50.5 is not valid"),
    ],
)
def test_bad_file_value_names_file_key_and_what_is_allowed(
    toml: str, key: str, reason: str, tmp_path: Path
) -> None:
    path = write(tmp_path / "dotbox.toml", toml + "\n")
    with pytest.raises(InvalidInput) as err:
        config.load()
    text = str(err.value)
    assert text == f"{path}: {key} {reason} (allowed: {config.ALLOWED[key]})"


def test_bad_env_value_names_the_variable() -> None:
    with pytest.raises(InvalidInput, match=r"^DOTBOX_PIDS 'few' is not valid \(allowed: "):
        config.load(environ={"DOTBOX_PIDS": "few"})


def test_bad_flag_value_names_the_flag() -> None:
    with pytest.raises(InvalidInput, match=r"^--memory '1k' is below the minimum of 32m"):
        config.load({"memory": "1k"})


def test_a_bad_lower_layer_is_reported_even_when_a_higher_one_overrides_it(
    tmp_path: Path,
) -> None:
    write(tmp_path / "dotbox.toml", 'ttl = "forever"\n')
    with pytest.raises(InvalidInput, match="dotbox.toml: ttl invalid TTL 'forever'"):
        config.load({"ttl": "5m"})


def test_env_strings_are_parsed_like_the_file_values() -> None:
    env = {"DOTBOX_SUPERUSER": "true", "DOTBOX_TCP": "0", "DOTBOX_PIDS": "64", "DOTBOX_TTL": " "}
    s = config.load(environ=env).settings
    assert s.superuser is True and s.tcp is False and s.pids == 64 and s.ttl == "2h"


def test_server_settings_from_file_env_and_flag(tmp_path: Path) -> None:
    write(tmp_path / "dotbox.toml", "max_connections = 200\nmax_prepared_transactions = 0\n")
    effective = config.load(environ={"DOTBOX_MAX_PREPARED_TRANSACTIONS": "20"})
    assert effective.settings.server_settings() == (200, 20)
    assert str(effective.sources["max_prepared_transactions"]) == "DOTBOX_MAX_PREPARED_TRANSACTIONS"
    flagged = config.load({"max_connections": 10}).settings.server_settings()
    assert flagged == (10, 0) and flagged.options() == [
        *("-c", "max_connections=10"),
        *("-c", "max_prepared_transactions=0"),
    ]
    with pytest.raises(InvalidInput, match=r"^--max-connections 1001 is not between 10 and 1000"):
        config.load({"max_connections": 1001})


def test_not_toml_and_a_tool_dotbox_that_is_not_a_table(tmp_path: Path) -> None:
    path = write(tmp_path / "dotbox.toml", "ttl = \n")
    with pytest.raises(InvalidInput, match=f"^{path}: not valid TOML"):
        config.load()
    path.unlink()
    write(tmp_path / "pyproject.toml", '[tool]\ndotbox = "yes"\n')
    with pytest.raises(InvalidInput, match=r"\[tool.dotbox\] must be a table"):
        config.load()


def test_dotbox_config_cli_shows_values_and_sources(tmp_path: Path) -> None:
    path = write(tmp_path / "dotbox.toml", 'ttl = "10m"\nmemory = "1g"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOTBOX_")}
    env.update(DOTBOX_MEMORY="2g", PYTHONPATH=os.environ.get("PYTHONPATH", ""))
    run = [sys.executable, "-m", "dotbox", "config"]
    done = subprocess.run([*run, "--json", "--cpus", "2"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["file"] == str(path)
    assert out["settings"]["ttl"] == {"value": "10m", "source": "file", "origin": str(path)}
    assert out["settings"]["memory"] == {"value": "2g", "source": "env", "origin": "DOTBOX_MEMORY"}
    assert out["settings"]["cpus"] == {"value": 2.0, "source": "flag", "origin": "--cpus"}
    assert out["settings"]["pids"] == {"value": 256, "source": "default", "origin": None}
    text = subprocess.run(run, env=env, capture_output=True, text=True).stdout
    assert re.search(rf"^ttl +10m +{re.escape(str(path))}$", text, re.MULTILINE), text
    bad = subprocess.run([*run, "--pids", "3"], env=env, capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        f"dotbox: error: --pids 3 is below the minimum of 32 (allowed: {config.ALLOWED['pids']})"
    ]


@pytest.mark.parametrize("raw", ["abc", "0", "-1", "nan", "1e9"])
def test_a_bad_ready_deadline_is_one_clear_error(raw: str) -> None:
    with pytest.raises(InvalidInput, match="DOTBOX_READY_DEADLINE"):
        config.ready_deadline({"DOTBOX_READY_DEADLINE": raw})


def test_the_ready_deadline_defaults_to_30_s_and_takes_a_number() -> None:
    assert config.ready_deadline({}) == 30.0
    assert config.ready_deadline({"DOTBOX_READY_DEADLINE": "2.5"}) == 2.5


def test_importing_the_package_reads_no_bad_variable(tmp_path: Path) -> None:
    """A bad DOTBOX_READY_DEADLINE is an error of the create that reads it, not a traceback
    at import."""
    env = {**os.environ, "DOTBOX_READY_DEADLINE": "abc"}
    code = "import dotbox.sandboxes.lifecycle, dotbox.api, dotbox.pool"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
