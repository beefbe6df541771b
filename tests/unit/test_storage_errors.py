"""A refused write on the host is one line naming the path, the reason and what to do."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from dotbox.core import paths
from dotbox.core.errors import StorageFailed
from dotbox.engine import transport


@pytest.mark.parametrize(
    ("code", "says"),
    [(errno.ENOSPC, "df -h"), (errno.EDQUOT, "df -h"), (errno.EROFS, "read-only")],
)
def test_storage_error_names_path_reason_and_remedy(
    code: int, says: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOTBOX_HOME", str(tmp_path))
    target = tmp_path / "ledgers" / "x.jsonl"
    with pytest.raises(StorageFailed) as caught, paths.writing(target):
        raise OSError(code, "refused")
    line = caught.value.one_line()
    assert "\n" not in line
    assert str(target) in line and "refused" in line and says in line and "DOTBOX_HOME" in line


def test_a_write_that_works_is_left_alone(tmp_path: Path) -> None:
    with paths.writing(tmp_path):
        (tmp_path / "f").write_text("x")
    assert (tmp_path / "f").read_text() == "x"


@pytest.mark.parametrize(
    ("raw", "seconds"), [("", 120.0), ("5", 5.0), ("0.5", 0.5), ("0", 120.0), ("x", 120.0)]
)
def test_engine_request_timeout(raw: str, seconds: float, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOTBOX_ENGINE_TIMEOUT", raw)
    assert transport.request_timeout() == seconds


def test_engine_hint_names_the_engine_tried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///somewhere/docker.sock")
    assert "unix:///somewhere/docker.sock" in transport.engine_hint()
    monkeypatch.delenv("DOCKER_HOST")
    assert "unix:///var/run/docker.sock" in transport.engine_hint()
