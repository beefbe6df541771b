from pathlib import Path

import pytest

from dotbox.core import paths
from dotbox.core.errors import Conflict, InvalidInput, NotFound
from dotbox.snapshots import store
from tests.conftest import corpus


@pytest.fixture(autouse=True)
def own_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOTBOX_HOME", str(tmp_path / "home"))


def test_import_is_content_addressed_and_idempotent(tmp_path: Path) -> None:
    src = tmp_path / "a.sql"
    src.write_text("CREATE TABLE t (a int);\r\n")
    first = store.import_file(src, "a")
    again = store.import_file(src, "a")
    assert first == again
    assert first.pg_major == 17 and first.pg_major_from == "default"
    assert paths.snapshot_ddl(first.digest).read_text() == "CREATE TABLE t (a int);\n"
    import hashlib

    assert first.digest == hashlib.sha256(b"CREATE TABLE t (a int);\n").hexdigest()
    assert [m.name for m in store.list_all()] == ["a"]


def test_same_name_other_content_needs_replace(tmp_path: Path) -> None:
    src = tmp_path / "a.sql"
    src.write_text("CREATE TABLE t (a int);\n")
    store.import_file(src, "a")
    src.write_text("CREATE TABLE t (a int, b int);\n")
    with pytest.raises(Conflict, match="exists"):
        store.import_file(src, "a")
    replaced = store.import_file(src, "a", replace=True)
    assert store.get("a").digest == replaced.digest


def test_major_from_flag_then_header() -> None:
    pagila = store.import_file(corpus("pagila.sql"), "pagila")
    assert (pagila.pg_major, pagila.pg_major_from, pagila.source_version) == (15, "header", "12.11")
    assert pagila.pg_major_note == (
        "the dump is from PostgreSQL 12.11, older than every base (15, 17, 18):"
        " it bakes on 15, the oldest base above it"
    )
    flagged = store.import_file(corpus("pagila.sql"), "pagila15", pg_major=15)
    assert (flagged.pg_major, flagged.pg_major_from, flagged.pg_major_note) == (15, "flag", None)
    assert flagged.roles == ["postgres"] and flagged.counts["tables"] == 22


def test_data_rows_refused_unless_allowed(tmp_path: Path) -> None:
    src = tmp_path / "rows.sql"
    src.write_text(corpus("openstreetmap.sql").read_text() + "\nINSERT INTO users VALUES (1);\n")
    last = len(src.read_text().splitlines())
    with pytest.raises(InvalidInput, match=rf"rows.sql:{last}: the snapshot carries data"):
        store.import_file(src, "osm")
    assert store.list_all() == []
    assert store.import_file(src, "osm", allow_data=True).allow_data


def test_osm_migration_ledger_is_kept_without_allow_data() -> None:
    osm = store.import_file(corpus("openstreetmap.sql"), "osm")
    assert not osm.allow_data and osm.ledger_rows == {"schema_migrations": 162}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        (b"", "is empty"),
        (b"  \n\n", "is empty"),
        (b"PGDMP\x01\x0e\x00", "custom-format archive"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "NUL bytes"),
        (b"\xff\xfe garbage", "not UTF-8"),
        (b"hello world, this is not sql\n", "not valid SQL"),
    ],
)
def test_bad_files_refused_and_nothing_stored(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    src = tmp_path / "bad.sql"
    if content is not None:
        src.write_bytes(content)
    with pytest.raises(InvalidInput, match=message):
        store.import_file(src, "bad")
    assert store.list_all() == []
    blobs = paths.snapshots_dir() / "blobs"
    assert not blobs.exists() or not any(blobs.iterdir())


def test_unknown_snapshot_and_bad_name() -> None:
    with pytest.raises(NotFound, match="unknown snapshot 'nope'"):
        store.get("nope")
    with pytest.raises(InvalidInput, match="invalid snapshot name"):
        store.get("../etc/passwd")


def test_bundled_default_is_imported_on_first_use() -> None:
    m = store.get("default")
    assert m.source_kind == "bundled" and m.counts["tables"] == 5 and m.counts["triggers"] == 1
    assert store.get("default") == m
