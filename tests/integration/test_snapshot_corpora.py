"""Every corpus bakes on its major and its sandbox's catalog holds what the snapshot counted;
a snapshot needing a newer major is refused before any container; rm and diff."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import dotbox
from dotbox import images
from dotbox.core import paths
from dotbox.core.models import SnapshotManifest
from dotbox.engine import client
from dotbox.pg import db
from dotbox.snapshots import store
from tests.conftest import corpus
from tests.corpus_cases import CORPORA, plain_restore_counts
from tests.integration.conftest import cli_json, run_cli


def _import(file: str, args: list[str]) -> SnapshotManifest:
    raw = cli_json("snapshot", "import", str(corpus(file)), *args)
    return SnapshotManifest.model_validate(raw)


def _assert_catalog_matches(manifest: SnapshotManifest, major: int) -> None:
    assert manifest.pg_major == major
    with dotbox.sandbox(manifest.name) as sb:
        with sb.connect() as conn:
            live = db.catalog_counts(conn)
            version = conn.execute("SHOW server_version_num").fetchone()
        assert version is not None and int(version[0]) // 10000 == major
    expected = {kind: manifest.counts.get(kind, 0) for kind in db.COUNTED_KINDS}
    assert live == expected


@pytest.fixture(scope="module")
def gitlab() -> Iterator[SnapshotManifest]:
    """gitlab.sql (1,401 tables) imported and baked once for the module."""
    manifest = _import("gitlab.sql", ["--name", "gitlab"])
    images.sandbox_image(manifest)
    yield manifest


# one vocabulary that classifies any schema's objects by kind
VOCAB = """\
vocabularies:
  - name: KIND
    unclassified: OTHER
    codes:
      - {code: DATA, description: tables and their sequences}
      - {code: CODE, description: functions and triggers}
      - {code: VIEW, description: views}
      - {code: OTHER, description: anything else}
    rules:
      - {kind: [table, sequence], code: DATA}
      - {kind: [function, trigger], code: CODE}
      - {kind: view, code: VIEW}
"""


@pytest.mark.parametrize(("file", "args", "major"), CORPORA, ids=[c[0] for c in CORPORA])
def test_corpus_end_to_end(file: str, args: list[str], major: int, tmp_path: Path) -> None:
    """Import, bake on its major, the catalog as counted and as a plain ``psql -f`` restore
    makes it, verify equal, ``harness --auto`` without a failure, vocab-build, and a drop that
    leaves nothing. (gitlab.sql's are below and in test_primitives.py: it is the long one.)"""
    manifest = _import(file, [*args, "--replace"])
    assert manifest.pg_major == major
    expected = {kind: manifest.counts.get(kind, 0) for kind in db.COUNTED_KINDS}
    vocab = tmp_path / "vocab.yaml"
    vocab.write_text(VOCAB)
    with dotbox.sandbox(manifest.name, ttl="20m") as sb:
        with sb.connect() as conn:
            live = db.catalog_counts(conn)
            version = conn.execute("SHOW server_version_num").fetchone()
        assert version is not None and int(version[0]) // 10000 == major
        assert live == expected
        checked = sb.verify()
        assert checked.verify is not None and checked.verify.checks["equal"], checked.verify
        o = sb.harness(auto=True)
        assert o.verify is not None and o.verify.checks["failed"] == [], o.verify.checks["failed"]
        assert o.outputs["failed"] == 0 and o.outputs["passed"] > 10, o.outputs
        assert o.verify.checks["nothing_written_or_lost"] is True
        assert o.outputs["passed"] + o.outputs["skipped"] == o.outputs["cases"]
        built = sb.vocab_build(vocab)
        assert built.verify is not None and built.verify.ok, built.verify
        assert built.verify.checks["unknown_code_rejected_with"] == "23503"
        assert built.verify.checks["coverage"]["KIND"]["DATA"] >= expected["tables"]
        dropped = sb.drop()
    assert dropped.confirmed and dropped.container_removed
    assert client.containers({"dotbox.id": sb.id}) == []
    assert plain_restore_counts(manifest, corpus(file)) == expected


def test_gitlab_bakes_and_catalog_matches_counts(gitlab: SnapshotManifest) -> None:
    assert gitlab.counts["tables"] == 1401
    _assert_catalog_matches(gitlab, 17)
    expected = {kind: gitlab.counts.get(kind, 0) for kind in db.COUNTED_KINDS}
    assert plain_restore_counts(gitlab, corpus("gitlab.sql")) == expected


def test_newer_major_ddl_is_refused_on_an_older_one() -> None:
    proc = run_cli(
        "snapshot", "import", str(corpus("pagila-head-pg18.sql")), "--name", "p18on15", "--pg", "15"
    )
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "needs PostgreSQL 18 or newer" in proc.stderr and "--pg 18" in proc.stderr
    assert run_cli("snapshot", "show", "p18on15").returncode == 3


def test_data_other_than_a_ledger_refused_without_flag(tmp_path: Path) -> None:
    src = tmp_path / "osm-rows.sql"
    src.write_text(corpus("openstreetmap.sql").read_text() + "INSERT INTO users (id) VALUES (1);\n")
    proc = run_cli("snapshot", "import", str(src), "--name", "osmx")
    assert proc.returncode == 2
    assert "osm-rows.sql:" in proc.stderr and "data rows" in proc.stderr
    assert (
        run_cli("snapshot", "import", str(corpus("openstreetmap.sql")), "--name", "osmx").returncode
        == 0
    )


def test_rm_is_refused_while_a_sandbox_uses_the_snapshot(tmp_path: Path) -> None:
    src = tmp_path / "mine.sql"
    src.write_text("CREATE TABLE mine (a int);\n")
    run_cli("snapshot", "import", str(src), "--name", "mine", check=True)
    manifest = store.get("mine")
    with dotbox.sandbox("mine") as sb:
        proc = run_cli("snapshot", "rm", "mine")
        assert proc.returncode == 8
        assert sb.info.container in proc.stderr or "dotbox-" + sb.id in proc.stderr
        assert paths.snapshot_ddl(manifest.digest).exists()
    assert client.containers({"dotbox.id": sb.id}) == []
    run_cli("snapshot", "rm", "mine", check=True)
    assert run_cli("snapshot", "show", "mine").returncode == 3
    assert not paths.snapshot_ddl(manifest.digest).exists()
    assert run_cli("snapshot", "rm", "mine").returncode == 3


def test_diff_of_pagila_and_its_pg18_head() -> None:
    _import("pagila.sql", ["--name", "pagila", "--pg", "15"])
    _import("pagila-head-pg18.sql", ["--name", "pagila18"])
    d = cli_json("snapshot", "diff", "pagila", "pagila18")
    assert isinstance(d, dict)
    assert "extension vector" in d["added"] and d["removed"] == []
    changed = {c["object"]: c["details"] for c in d["changed"]}
    assert any(x.startswith("column length_hours added") for x in changed["table public.film"])
    assert cli_json("snapshot", "diff", "pagila", "pagila") == {
        "a": "pagila",
        "b": "pagila",
        "added": [],
        "removed": [],
        "changed": [],
    }


def test_missing_extension_is_named_and_nothing_is_left(
    tmp_path: Path, unchanged_engine: None
) -> None:
    src = tmp_path / "vec.sql"
    src.write_text("CREATE TABLE a (id int);\nCREATE EXTENSION IF NOT EXISTS vector;\n")
    run_cli("snapshot", "import", str(src), "--name", "vec15", "--pg", "15", check=True)
    proc = run_cli("create", "--snapshot", "vec15")
    assert proc.returncode == 6, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "vec.sql:2:" in proc.stderr and '"vector"' in proc.stderr
    assert "CREATE EXTENSION IF NOT EXISTS vector" in proc.stderr


def _image_entrypoint_and_files(manifest: SnapshotManifest) -> tuple[list[str], list[str]]:
    """The sandbox image's entrypoint, and what its data directory holds of WAL and stats."""
    image = images.sandbox_image(manifest)
    entry = json.loads(
        subprocess.run(
            ["docker", "image", "inspect", "-f", "{{json .Config.Entrypoint}}", image.id],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    listing = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "--entrypoint", "sh", image.id, "-c",
         f"cd {images.DATA_DIR} && ls pg_stat pg_wal | grep -v ':$'"],
        check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    return entry, listing


@pytest.mark.parametrize("which", ["default", "gitlab"])
def test_catalogs_are_opened_while_the_server_starts(which: str, gitlab: SnapshotManifest) -> None:
    manifest = gitlab if which == "gitlab" else store.get(store.DEFAULT_SNAPSHOT)
    entry, listing = _image_entrypoint_and_files(manifest)
    assert entry[:2] == ["sh", "-c"], entry
    warmed = entry[2].split(" in ", 1)[1].split(";", 1)[0].split()
    with dotbox.sandbox(manifest.name) as sb, sb.connect() as conn:
        paths = conn.execute(
            "SELECT pg_relation_filepath(oid) FROM pg_class WHERE relname = ANY(%s)",
            (["pg_authid", "pg_class", "pg_attribute", "pg_index", "pg_proc", "pg_type"],),
        ).fetchall()
        logs = client.container_logs(sb.info.container, tail=200)
    assert len(paths) == 6 and {p for (p,) in paths} <= set(warmed), (paths, warmed)
    assert "exited with exit code" not in logs and "terminating" not in logs, logs
    # only the WAL segment of the bake's last checkpoint, no statistics of the bake
    assert [f for f in listing if f.startswith("0")] and len(listing) <= 3, listing
