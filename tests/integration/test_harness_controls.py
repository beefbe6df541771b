"""The bad-input harness never cries wolf: every derived case first proves its control (the
unbroken row is accepted), a case whose control cannot be built is skipped with its reason, and
a constraint that really is not enforced still fails. ``harness --auto`` on every corpus is in
test_snapshot_corpora.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from dotbox import api, evidence
from tests.integration.conftest import run_cli

SCHEMA = """\
CREATE TABLE tree (id int PRIMARY KEY, parent int REFERENCES tree (id));
CREATE TABLE folder (id serial PRIMARY KEY, parent_id int NOT NULL REFERENCES folder (id),
                     name text NOT NULL);
CREATE TABLE plan (
    id int PRIMARY KEY,
    tree_id int NOT NULL REFERENCES tree (id),
    pricing_type text DEFAULT 'legacy'
        CHECK (pricing_type <> 'legacy' OR (interval IS NOT NULL AND amount_cents IS NOT NULL)),
    interval text,
    amount_cents int
);
CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL);
-- every insert is refused by a trigger: no control row can be built
CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'no rows here' USING ERRCODE = 'P0001'; END $$;
CREATE TABLE locked (id int PRIMARY KEY, code text NOT NULL);
CREATE TRIGGER locked_refuse AFTER INSERT ON locked FOR EACH ROW EXECUTE FUNCTION refuse();
-- the exclusion constraint's index comes before the unique key's: two equal rows break both
CREATE TABLE booking (id int NOT NULL, during int4range NOT NULL,
                      EXCLUDE USING gist (during WITH &&));
ALTER TABLE booking ADD CONSTRAINT booking_id_key UNIQUE (id);
-- a trigger that fills in a NULL: an accepted NULL proves nothing there
CREATE FUNCTION fill_label() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.label := coalesce(NEW.label, 'filled'); RETURN NEW; END $$;
CREATE TABLE fills (id int PRIMARY KEY, label text NOT NULL);
CREATE TRIGGER fills_fill BEFORE INSERT ON fills FOR EACH ROW EXECUTE FUNCTION fill_label();
-- rows are routed to a partition before constraints see them
CREATE TABLE events (id int NOT NULL, at date NOT NULL, PRIMARY KEY (id, at))
    PARTITION BY RANGE (at);
CREATE TABLE events_2000 PARTITION OF events FOR VALUES FROM ('2000-01-01') TO ('2001-01-01');
CREATE TABLE archive (id int NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE archive_1990 PARTITION OF archive FOR VALUES FROM ('1990-01-01') TO ('1991-01-01');
CREATE TABLE unrouted (id int NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
-- rows shipped with the schema hold the keys a first row would take: the control takes others
CREATE TABLE kind (id int PRIMARY KEY, name varchar(20) NOT NULL UNIQUE CHECK (name <> ''));
INSERT INTO kind VALUES (1, 'x'), (-1, 'X'), (0, '0');
-- (n: a name the harness's own queries once used, which hid the column from its CHECK)
CREATE TABLE kind_part (kind_id int NOT NULL REFERENCES kind (id), n int NOT NULL CHECK (n > 0),
                        PRIMARY KEY (kind_id, n));
INSERT INTO kind_part VALUES (1, 1);
-- shipped with explicit keys, its sequence not advanced: its next value is a shipped row's key
CREATE TABLE proto (id serial PRIMARY KEY, name text NOT NULL);
INSERT INTO proto VALUES (1, 'icmp'), (2, 'igmp');
-- types with fillers of their own (ulogd2.sql's mac table)
CREATE TABLE nic (mac macaddr PRIMARY KEY, mac8 macaddr8 NOT NULL);
CREATE TABLE nic_port (mac macaddr NOT NULL REFERENCES nic (mac), port int NOT NULL);
-- a partition with a foreign key of its own (pagila's payment_p2022_01)
CREATE TABLE ledger (id int NOT NULL, tree_id int NOT NULL, at date NOT NULL,
                     PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE ledger_2000 PARTITION OF ledger FOR VALUES FROM ('2000-01-01') TO ('2001-01-01');
ALTER TABLE ONLY ledger_2000 ADD CONSTRAINT ledger_2000_tree_fkey
    FOREIGN KEY (tree_id) REFERENCES tree (id);
"""


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> str:
    src = tmp_path_factory.mktemp("harness") / "controls.sql"
    src.write_text(SCHEMA)
    run_cli(
        "snapshot", "import", str(src), "--name", "harness-controls", "--replace", "--allow-data",
        check=True,
    )  # fmt: skip
    return "harness-controls"


@pytest.fixture
def sb(snapshot: str) -> Iterator[api.Sandbox]:
    with api.sandbox(snapshot, ttl="20m") as sandbox:
        yield sandbox


def harness(sb: api.Sandbox, *args: str) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """Exit code, the --json report, and each case's result (from the record's artifact)."""
    proc = run_cli("harness", sb.id, "--auto", "--json", *args)
    report = json.loads(proc.stdout)
    record = evidence.read(evidence.ledger_path(sb.id))[-1]
    results = json.loads(evidence.read_artifact(sb.id, record["artifacts"]["report.json"]))
    assert record["outputs"] == report["outputs"]  # the ledger keeps the same counts
    return proc.returncode, report, {r["name"]: r for r in results}


def outcome(results: dict[str, Any], name: str) -> tuple[str, str]:
    return results[name]["outcome"], results[name]["actual"]


def test_self_references_and_checks_with_defaults_are_no_false_failures(
    sb: api.Sandbox,
) -> None:
    code, report, results = harness(sb)
    out = report["outputs"]
    assert code == 0, report["verify"]["checks"]["failed"]
    assert out["failed"] == 0 and out["passed"] > 10
    assert out["passed"] + out["skipped"] + out["failed"] == out["cases"]
    assert sum(out["skip_reasons"].values()) == out["skipped"]
    # the orphan of a key on its own table points at no row, not at itself
    assert outcome(results, "public.tree orphan tree_parent_fkey") == ("passed", "23503")
    assert outcome(results, "public.folder orphan folder_parent_id_fkey") == ("passed", "23503")
    assert outcome(results, "public.folder.name NULL into NOT NULL") == ("passed", "23502")
    # the default 'legacy' would break plan_check: the row satisfies it, and it is broken too
    assert outcome(results, "public.plan orphan plan_tree_id_fkey") == ("passed", "23503")
    assert outcome(results, "public.plan breaks plan_check") == ("passed", "23514")
    assert outcome(results, "public.plan duplicate plan_pkey") == ("passed", "23505")


def test_rows_shipped_with_the_schema_do_not_take_the_control_rows_keys(sb: api.Sandbox) -> None:
    code, report, results = harness(sb)
    assert code == 0 and report["outputs"]["failed"] == 0
    for name in ["public.kind duplicate kind_pkey", "public.kind duplicate kind_name_key",
                 "public.kind_part duplicate kind_part_pkey"]:  # fmt: skip
        assert outcome(results, name) == ("passed", "23505")
    assert outcome(results, "public.kind.name NULL into NOT NULL") == ("passed", "23502")
    assert outcome(results, "public.kind breaks kind_name_check") == ("passed", "23514")
    assert outcome(results, "public.kind_part orphan kind_part_kind_id_fkey") == ("passed", "23503")
    assert outcome(results, "public.kind_part breaks kind_part_n_check") == ("passed", "23514")
    assert outcome(results, "public.proto.name NULL into NOT NULL") == ("passed", "23502")
    assert outcome(results, "public.proto.id NULL into NOT NULL") == ("passed", "23502")
    assert outcome(results, "public.proto duplicate proto_pkey") == ("passed", "23505")


def test_a_partitions_own_foreign_key_is_set_aside_in_the_control(sb: api.Sandbox) -> None:
    code, report, results = harness(sb)
    assert code == 0 and report["outputs"]["failed"] == 0
    for name in ["public.ledger.id NULL into NOT NULL", "public.ledger.tree_id NULL into NOT NULL"]:
        assert outcome(results, name) == ("passed", "23502")
    assert outcome(results, "public.ledger duplicate ledger_pkey") == ("passed", "23505")
    # no orphan case of its own: a row another partition took would never meet that key
    assert not any(n.startswith("public.ledger orphan") for n in results)


def test_mac_addresses_get_row_cases(sb: api.Sandbox) -> None:
    code, report, results = harness(sb)
    assert code == 0 and report["outputs"]["failed"] == 0
    assert outcome(results, "public.nic.mac8 NULL into NOT NULL") == ("passed", "23502")
    assert outcome(results, "public.nic duplicate nic_pkey") == ("passed", "23505")
    assert outcome(results, "public.nic.mac wrong type (macaddr)") == ("passed", "22P02")
    assert outcome(results, "public.nic.mac8 wrong type (macaddr8)") == ("passed", "22P02")
    assert outcome(results, "public.nic_port orphan nic_port_mac_fkey") == ("passed", "23503")
    # control: once the shipped rows are gone, the first rows tried are taken as they are
    sb.query("DELETE FROM kind_part")
    sb.query("DELETE FROM kind")
    code, _, emptied = harness(sb)
    assert code == 0
    assert outcome(emptied, "public.kind duplicate kind_pkey") == ("passed", "23505")
    assert "VALUES ('1', 'x'), ('1', 'x')" in emptied["public.kind duplicate kind_pkey"]["sql"]
    assert "VALUES ('1', 'x'), ('1', 'x')" not in results["public.kind duplicate kind_pkey"]["sql"]


def test_a_case_whose_control_cannot_be_built_is_skipped_with_its_reason(
    sb: api.Sandbox,
) -> None:
    code, report, results = harness(sb)
    assert code == 0 and report["outputs"]["failed"] == 0
    for name in ["public.locked.code NULL into NOT NULL", "public.locked duplicate locked_pkey"]:
        assert results[name]["outcome"] == "skipped" and results[name]["actual"] == "-"
        assert results[name]["reason"].startswith("its control row was rejected with P0001")
        assert "no rows here" in results[name]["reason"]
    dup = results["public.booking duplicate booking_id_key"]
    assert dup["outcome"] == "skipped" and dup["actual"] == "23P01", dup
    assert "even with the constraint under test set aside" in dup["reason"]
    assert outcome(results, "public.booking.id NULL into NOT NULL") == ("passed", "23502")
    fills = results["public.fills.label NULL into NOT NULL"]
    assert fills["outcome"] == "skipped" and fills["actual"] == "accepted", fills
    assert fills["reason"].startswith("a BEFORE INSERT trigger may rewrite the row")
    assert outcome(results, "public.fills.id NULL into NOT NULL") == ("passed", "23502")
    assert outcome(results, "public.events.id NULL into NOT NULL") == ("passed", "23502")
    assert outcome(results, "public.events duplicate events_pkey") == ("passed", "23505")
    # a row the only partition takes is found by search over the partitions' bounds
    assert outcome(results, "public.archive.id NULL into NOT NULL") == ("passed", "23502")
    unrouted = results["public.unrouted.id NULL into NOT NULL"]  # no partition at all
    assert unrouted["outcome"] == "skipped", unrouted
    assert unrouted["reason"].startswith("its control row was rejected with 23514: no partition")
    reasons = report["outputs"]["skip_reasons"]
    assert reasons["its control row was rejected with P0001"] >= 3
    text = run_cli("harness", sb.id, "--auto")
    assert text.returncode == 0
    assert "  skip -        (want 23502) public.locked.code NULL into NOT NULL: its control" in (
        text.stdout
    )
    assert f"skipped {reasons['its control row was rejected with P0001']}: its control" in (
        text.stdout
    )
    assert " 0 failed of " in text.stdout


def test_a_constraint_that_is_not_enforced_still_fails(sb: api.Sandbox) -> None:
    code, _, before = harness(sb)
    assert code == 0
    sb.query("CREATE RULE notes_vanish AS ON INSERT TO notes DO INSTEAD NOTHING")
    code, report, after = harness(sb)
    assert code == 16
    failed = {n for n, r in after.items() if r["outcome"] == "failed"}
    assert failed == {"public.notes.body NULL into NOT NULL", "public.notes.id NULL into NOT NULL",
                      "public.notes duplicate notes_pkey"}  # fmt: skip
    assert {after[n]["actual"] for n in failed} == {"accepted"}
    assert report["outputs"]["failed"] == 3
    assert report["verify"]["checks"]["accepted"] == sorted(failed, key=list(after).index)
    assert {n: r["outcome"] for n, r in after.items() if n not in failed} == {
        n: r["outcome"] for n, r in before.items() if n not in failed
    }
