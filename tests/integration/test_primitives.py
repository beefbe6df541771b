"""The governed primitives against real sandboxes: each facet proven on the default snapshot."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dotbox import api, evidence
from dotbox.demo import bundled
from dotbox.primitives import harness, verify
from dotbox.sandboxes import guard
from tests.integration.conftest import engine_objects, run_cli

VOCAB = bundled("default-vocab.yaml")
MIGRATION = bundled("sample-migration.sql")


@pytest.fixture
def sb() -> Iterator[api.Sandbox]:
    with api.sandbox(ttl="20m") as sandbox:
        yield sandbox


def state_of(sb: api.Sandbox) -> dict[str, Any]:
    """Everything a primitive could change: engine, schema, vocabulary, rows, ledger."""
    target = guard.require_live(sb.id)
    with sb.connect(autocommit=True) as conn:
        rows = harness.table_state(conn)
        vocab = conn.execute("SELECT to_regclass('dotbox_vocab.label') IS NOT NULL").fetchone()
    return {
        "engine": engine_objects(),
        "schema": verify.live(target),
        "rows": rows,
        "vocab": vocab,
        "ledger": evidence.ledger_path(sb.id).read_bytes(),
    }


def cli(*args: str) -> tuple[int, str, str]:
    proc = run_cli(*args)
    return proc.returncode, proc.stdout, proc.stderr


def test_dry_run_of_every_primitive_changes_nothing(sb: api.Sandbox, tmp_path: Path) -> None:
    before = state_of(sb)
    runs = [
        ("create", "--name", "never-made", "--dry-run"),
        ("drop", sb.id, "--dry-run"),
        ("vocab", "build", sb.id, "--vocab", str(VOCAB), "--dry-run"),
        ("verify", sb.id, "--dry-run"),
        ("harness", sb.id, "--auto", "--dry-run"),
        ("apply", sb.id, str(MIGRATION), "--dry-run"),
        ("evidence", "export", sb.id, "--out", str(tmp_path / "b"), "--dry-run"),
    ]
    for args in runs:
        code, out, err = cli(*args)
        assert code == 0, (args, err)
        assert out.startswith("dry run: "), out
    assert "ALTER TABLE runtime.item ADD COLUMN summary" in cli(*runs[5])[1]
    assert 'INSERT INTO "dotbox_vocab"."label" VALUES' in cli(*runs[2])[1]
    assert state_of(sb) == before
    assert not (tmp_path / "b").exists()


def test_vocab_build_is_idempotent_relabels_and_rolls_back(sb: api.Sandbox) -> None:
    first = sb.vocab_build(VOCAB)
    assert first.verify is not None and first.verify.ok
    checks = first.verify.checks
    assert checks["unknown_code_rejected_with"] == "23503"  # the database itself refuses it
    assert checks["labels"] == 2 * checks["objects"]  # one label per object and vocabulary
    assert checks["coverage"]["C1"]["CONTENT"] > 0
    with sb.connect() as conn:
        rows = conn.execute(
            "SELECT code FROM dotbox_vocab.label WHERE object_identity = 'runtime.author'"
            " AND vocab = 'C1'"
        ).fetchall()
    assert rows == [("PEOPLE",)]

    second = sb.vocab_build(VOCAB)
    assert second.plan.steps == [] and second.plan.summary.startswith("0 inserts, 0 updates")

    sb.apply(MIGRATION)
    third = sb.vocab_build(VOCAB)
    assert third.plan.summary.startswith("2 inserts")  # item_tag in C1 and LIFECYCLE
    assert third.verify is not None and third.verify.checks["coverage"]["C1"]["CONTENT"] == (
        checks["coverage"]["C1"]["CONTENT"] + 1
    )

    code, out, err = cli("rollback", sb.id, str(third.record))
    assert code == 0, err
    with sb.connect() as conn:
        n = conn.execute("SELECT count(*) FROM dotbox_vocab.label").fetchone()
    assert n == (checks["labels"],)  # as before the third build
    code, out, err = cli("rollback", sb.id, str(first.record), "--json")
    assert code == 0, err
    assert json.loads(out)["outputs"]["schema_exists"] is False
    assert sb.query("SELECT to_regnamespace('dotbox_vocab')") == [(None,)]
    code, _, err = cli("rollback", sb.id, str(third.record - 1))  # the apply record
    assert code == 4 and "None automatic" in err
    code, _, err = cli("rollback", sb.id, "1")  # the create record: its rollback is a drop
    assert code == 0, err
    assert not any(s.id == sb.id for s in api.list_sandboxes())
    assert [r["primitive"] for r in evidence.read(evidence.ledger_path(sb.id))][-2:] == [
        "sandbox-drop",
        "rollback",
    ]


def test_verify_names_the_column_a_migration_adds(sb: api.Sandbox, tmp_path: Path) -> None:
    code, out, err = cli("verify", sb.id)
    assert code == 0 and "equal to snapshot default" in out, (out, err)
    sb.query("ALTER TABLE runtime.item ADD COLUMN extra integer")
    code, out, err = cli("verify", sb.id, "--json")
    assert code == 14
    drift = json.loads(out)["verify"]["checks"]["drift"]
    assert drift == ["column runtime.item.extra added: integer"]

    checks = tmp_path / "checks.yaml"
    checks.write_text(
        "checks:\n"
        '  - {name: five tables, sql: "SELECT count(*) FROM pg_tables'
        " WHERE schemaname = 'runtime'\", expect: 5}\n"
        "  - {name: no blocks yet, sql: SELECT code FROM runtime.block, expect: [[X]]}\n"
    )
    sb.query("ALTER TABLE runtime.item DROP COLUMN extra")
    code, out, err = cli("verify", sb.id, "--checks", str(checks))
    assert code == 14, (out, err)
    assert "check five tables: ok" in out
    assert "check no blocks yet: FAILED, expected [['X']], got []" in out


def test_harness_reports_each_case_and_writes_nothing(sb: api.Sandbox, tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "cases:\n"
        "  - {name: no title, sql: \"INSERT INTO runtime.block (code) VALUES ('B1')\","
        " sqlstate: '23502'}\n"
        "  - {name: wrong expectation, sql: \"INSERT INTO runtime.block (code) VALUES ('B1')\","
        " sqlstate: '23514'}\n"
        "  - {name: a good row, sql: \"INSERT INTO runtime.block VALUES ('B2', 'fine')\","
        " sqlstate: '23514'}\n"
    )
    sb.query("INSERT INTO runtime.block VALUES ('KEEP', 'a row that must survive')")
    before = state_of(sb)["rows"]
    code, out, err = cli("harness", sb.id, "--cases", str(cases), "--auto", "--json")
    assert code == 16, err
    report = json.loads(out)
    assert report["outputs"]["failed"] == 2
    assert report["verify"]["checks"]["accepted"] == ["a good row"]
    assert report["verify"]["checks"]["nothing_written_or_lost"] is True
    assert report["outputs"]["by_kind"]["not-null"] > 5
    assert state_of(sb)["rows"] == before  # sequences too: put back after the cases
    records = evidence.read(evidence.ledger_path(sb.id))
    results = json.loads(evidence.read_artifact(sb.id, records[-1]["artifacts"]["report.json"]))
    assert {r["name"]: r["actual"] for r in results}["wrong expectation"] == "23502"


def test_a_failing_migration_leaves_the_sandbox_as_it_was(sb: api.Sandbox, tmp_path: Path) -> None:
    bad = tmp_path / "002_bad.sql"
    bad.write_text(
        "CREATE TABLE runtime.first_half (id int);\n\n"
        "ALTER TABLE runtime.no_such_table ADD COLUMN x int;\n"
    )
    before = state_of(sb)
    code, out, err = cli("apply", sb.id, str(MIGRATION), str(bad))
    assert code == 17
    assert f"{bad}:3: " in err and "no_such_table" in err and err.count("\n") == 1
    after = state_of(sb)
    assert after["schema"] == before["schema"] and after["rows"] == before["rows"]
    last = evidence.read(evidence.ledger_path(sb.id))[-1]
    assert last["primitive"] == "apply" and last["outputs"]["exit_code"] == 17


def test_evidence_readback_rechecks_and_exports_artifacts(sb: api.Sandbox, tmp_path: Path) -> None:
    sb.vocab_build(VOCAB)
    sb.verify()
    code, out, err = cli("evidence", "verify", sb.id, "--json")
    assert code == 0, err
    rechecks = json.loads(out)["outputs"]["rechecks"]
    assert set(rechecks.values()) == {"holds"}, rechecks
    sb.query("UPDATE dotbox_vocab.label SET code = 'UNCLASSIFIED' WHERE vocab = 'C1'")
    rechecks = json.loads(cli("evidence", "verify", sb.id, "--json")[1])["outputs"]["rechecks"]
    assert rechecks["2"].startswith("no longer holds: the labels changed")

    bundle = tmp_path / "bundle"
    code, out, err = cli("evidence", "export", sb.id, "--out", str(bundle))
    assert code == 0, err
    manifest = json.loads((bundle / "manifest.json").read_text())
    artifacts = [name for name in manifest["files"] if name.startswith("artifacts/")]
    assert len(artifacts) >= 2  # vocabulary file and previous state of the vocab-build
    assert cli("evidence", "verify", str(bundle))[0] == 0
    victim = bundle / artifacts[0]
    victim.write_bytes(victim.read_bytes() + b" ")
    code, out, err = cli("evidence", "verify", str(bundle))
    assert code == 12 and "does not match its sha256" in err


def test_primitives_refuse_what_is_not_a_live_sandbox(sb: api.Sandbox) -> None:
    code, _, err = cli("verify", sb.dsn)
    assert code == 4 and "connection string" in err
    code, _, err = cli("harness", "sb-nothere", "--auto")
    assert code == 3
    code, _, err = cli("vocab", "build", sb.id, "--vocab", "/nonexistent.yaml")
    assert code == 2 and "/nonexistent.yaml" in err
    code, _, err = cli("harness", sb.id)
    assert code == 2 and "--cases FILE, --auto" in err


def test_the_main_job_runs_end_to_end(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    code, out, err = cli("demo", "--out", str(bundle))
    assert code == 0, err
    steps = [line.split()[0] for line in out.splitlines() if not line.startswith(" ")]
    assert steps == ["create", "vocab", "apply", "verify", "harness", "evidence", "drop"]
    assert "column runtime.item.summary added" in out
    assert cli("evidence", "verify", str(bundle))[0] == 0
    primitives = [r["primitive"] for r in evidence.read(bundle / "ledger.jsonl")]
    assert primitives == ["sandbox-create", "vocab-build", "apply", "verify", "bad-input-harness"]


def test_verify_and_harness_finish_on_the_gitlab_corpus() -> None:
    from tests.conftest import corpus

    api.import_snapshot(corpus("gitlab.sql"), "gitlab", replace=True)
    with api.sandbox("gitlab", ttl="20m") as gl:
        report = gl.verify()
        assert report.verify is not None and report.verify.checks["equal"], report.verify
        outcome = gl.harness(auto=True)
        assert outcome.outputs["passed"] > 10_000
        assert outcome.verify is not None
        assert outcome.verify.checks["nothing_written_or_lost"] is True
        assert outcome.verify.checks["failed"] == [] and outcome.outputs["failed"] == 0
        assert outcome.outputs["passed"] + outcome.outputs["skipped"] == outcome.outputs["cases"]
