"""runner.work_dir: the working directory a runner mounts is an ordinary directory, never one
that holds (or lies inside) dotbox's run root or data, the engine's socket or the host's
runtime state."""

from __future__ import annotations

from pathlib import Path

import pytest

from dotbox.core.errors import Refused
from dotbox.sandboxes import runner


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DOTBOX_RUN_DIR", str(tmp_path / "run" / "r"))
    monkeypatch.setenv("DOTBOX_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    (tmp_path / "project").mkdir()
    return tmp_path


def test_a_project_directory_is_mounted_resolved(dirs: Path) -> None:
    (dirs / "link").symlink_to(dirs / "project")
    assert runner.work_dir(dirs / "link") == (dirs / "project").resolve()


@pytest.mark.parametrize(
    ("where", "why"),
    [
        ("/", "it holds dotbox's"),
        ("/run", "it holds the Docker engine's socket"),
        ("/var/run", "it holds the Docker engine's socket"),
        ("/var", "it holds the Docker engine's socket"),
        ("/proc", "it holds /proc"),
        ("/sys", "it holds /sys"),
        ("/dev", "it holds /dev"),
        ("/tmp", "it holds dotbox's"),
        ("{tmp}", "it holds dotbox's run root"),
        ("{tmp}/run", "it holds dotbox's run root"),
        ("{tmp}/run/r", "it holds dotbox's run root"),
        ("{tmp}/home", "it holds dotbox's data"),
        ("{tmp}/run/r/sb-1", "it is inside dotbox's run root"),
        ("{tmp}/home/ledgers", "it is inside dotbox's data"),
        ("{tmp}/project/missing", "it is not a directory"),
    ],
)
def test_what_a_runner_must_not_mount_is_refused(dirs: Path, where: str, why: str) -> None:
    path = Path(where.format(tmp=dirs))
    if path.is_relative_to(dirs) and "missing" not in where:
        path.mkdir(parents=True, exist_ok=True)
    with pytest.raises(Refused) as err:
        runner.work_dir(path)
    message = err.value.one_line()
    assert why in message and "cd into your project directory" in message
    assert "\n" not in message


def test_the_engine_socket_named_by_docker_host_is_guarded(
    dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (dirs / "project" / "engine").mkdir()
    (dirs / "project" / "app").mkdir()
    monkeypatch.setenv("DOCKER_HOST", f"unix://{dirs}/project/engine/docker.sock")
    with pytest.raises(Refused, match="Docker engine's socket"):
        runner.work_dir(dirs / "project" / "app" / "..")
    assert runner.work_dir(dirs / "project" / "app") == (dirs / "project" / "app").resolve()
