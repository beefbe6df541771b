"""DOTBOX_HOME is 0700 (made so, or tightened when ours and looser); ledgers, artifacts and an
exported bundle are readable by their owner only."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from dotbox import evidence
from dotbox.core import files, paths
from dotbox.snapshots import store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DOTBOX_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_home_is_made_private(home: Path) -> None:
    assert paths.data_home() == home and mode(home) == 0o700


def test_a_looser_home_of_ours_is_tightened(home: Path) -> None:
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    paths.data_home()
    assert mode(home) == 0o700


def test_ledgers_artifacts_and_bundles_are_private(home: Path, tmp_path: Path) -> None:
    digest = evidence.store_artifact("sb-1", b"plan")
    evidence.append("sb-1", "apply", inputs={}, outputs={}, verify={}, artifacts={"plan": digest})
    ledger = evidence.ledger_path("sb-1")
    assert mode(ledger) == 0o600 and mode(home) == 0o700
    assert mode(evidence.artifacts_dir("sb-1") / digest) == 0o600
    bundle = evidence.export("sb-1", tmp_path / "bundle")
    files = [p for p in bundle.rglob("*") if p.is_file()]
    assert len(files) == 3 and {mode(p) for p in files} == {0o600}
    assert {mode(p) for p in [bundle, *bundle.rglob("*")] if p.is_dir()} == {0o700}
    assert evidence.verify_bundle(bundle).ok


def test_a_ledger_written_before_is_tightened_on_append(home: Path) -> None:
    evidence.append("sb-1", "apply", inputs={}, outputs={}, verify={})
    ledger = evidence.ledger_path("sb-1")
    ledger.chmod(0o644)
    evidence.append("sb-1", "apply", inputs={}, outputs={}, verify={})
    assert mode(ledger) == 0o600 and evidence.verify_file(ledger).ok


def test_stored_snapshots_are_private(home: Path) -> None:
    manifest = store.store_text(
        "CREATE TABLE t (id int);\n",
        "s1",
        source_kind="import",
        source="t.sql",
        pg_major=17,
        replace=False,
        allow_data=False,
    )
    assert mode(paths.snapshot_ddl(manifest.digest)) == 0o600
    assert all(mode(p) == 0o600 for p in home.rglob("*") if p.is_file() and p.suffix == ".json")


def test_an_atomic_write_is_private_and_leaves_nothing_when_it_fails(tmp_path: Path) -> None:
    target = tmp_path / "f"
    files.write_atomic(target, b"one")
    files.write_atomic(target, b"two")
    assert target.read_bytes() == b"two" and mode(target) == 0o600
    with pytest.raises(TypeError):
        files.write_atomic(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]
