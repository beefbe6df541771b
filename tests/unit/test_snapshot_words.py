"""A snapshot's manifest in words: no Python reprs, no None; and the major a dump bakes on."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from dotbox.cli.snapshot_text import counts_in_words, import_lines, manifest_lines
from dotbox.core.models import SnapshotManifest
from dotbox.snapshots import store


def manifest(**changes: object) -> SnapshotManifest:
    fields: dict[str, object] = {
        "name": "app",
        "digest": "ab" * 32,
        "source_kind": "import",
        "source": "/src/structure.sql",
        "pg_major": 15,
        "pg_major_from": "header",
        "pg_major_note": None,
        "statements": 12,
        "counts": {"tables": 3, "functions": 2, "indexes": 1, "views": 0},
        "roles": [],
        "extensions": ["plpgsql"],
        "ledger_rows": {"schema_migrations": 2},
        "size_bytes": 1234,
        "created": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    }
    fields.update(changes)
    return SnapshotManifest.model_validate(fields)


def test_show_is_in_words() -> None:
    text = "\n".join(manifest_lines(manifest()))
    assert "objects          3 tables, 2 functions, 1 index" in text
    assert "ledger rows      schema_migrations (2 rows)" in text
    assert "PostgreSQL       15 (from the dump's header)" in text
    assert "roles            none" in text and "other data rows  refused" in text
    for repr_like in ("{", "}", "[", "]", "None", "'"):
        assert repr_like not in text.replace("dump's", "dump s"), repr_like
    # the control: a Python repr of the same manifest has them all
    raw = str(manifest().model_dump())
    assert "{'tables': 3" in raw and "None" in raw


def test_counts_in_words() -> None:
    assert counts_in_words({"materialized_views": 2, "schemas": 1}) == (
        "2 materialized views, 1 schema"
    )
    assert counts_in_words({}) == "nothing"


def test_import_line_names_ledger_rows_and_a_raised_major() -> None:
    note = "the dump is from PostgreSQL 12.11, older than every base (15, 17, 18): …"
    lines = import_lines(manifest(pg_major_note=note))
    assert "migration ledger rows kept: schema_migrations (2 rows)" in lines[0]
    assert lines[1] == f"note: {note}"
    assert len(import_lines(manifest(ledger_rows={}))) == 1


@pytest.mark.parametrize(
    ("header", "major", "noted"),
    [
        ("9.6.24", 15, True),
        ("12.11", 15, True),
        ("15.4", 15, False),
        ("16.2", 16, False),
        ("17.0", 17, False),
        ("19beta1", 19, False),
    ],
)
def test_a_dump_older_than_every_base_bakes_on_the_oldest_base(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, header: str, major: int, noted: bool
) -> None:
    monkeypatch.setenv("DOTBOX_HOME", str(tmp_path / "home"))
    src = tmp_path / "old.sql"
    src.write_text(f"--\n-- Dumped from database version {header}\n--\nCREATE TABLE t (a int);\n")
    m = store.import_file(src, "old")
    assert (m.pg_major, m.pg_major_from, m.source_version) == (major, "header", header)
    assert (m.pg_major_note is not None) == noted
    if noted:
        assert f"from PostgreSQL {header}, older than every base" in (m.pg_major_note or "")
