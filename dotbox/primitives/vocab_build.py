"""vocab-build: the label dictionary and one label per catalog object, built as a diff."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from dotbox import evidence
from dotbox.core.errors import ApplyFailed, CouldNotVerify
from dotbox.core.labels import Label
from dotbox.core.models import Frozen
from dotbox.pg import db, quote
from dotbox.primitives import vocab as vb
from dotbox.primitives.facets import Plan, Primitive, Verdict
from dotbox.primitives.inputs import Inputs, SandboxId
from dotbox.sandboxes import guard
from dotbox.sandboxes.guard import LiveSandbox

S = vb.S


class VocabInputs(Inputs):
    sandbox: SandboxId
    vocab: Path = Field(description="vocabulary file (YAML)")

    @field_validator("vocab")
    @classmethod
    def _vocab(cls, v: Path) -> Path:
        vb.load(v)  # refused with the file's line before anything happens
        return v

    def spec(self) -> vb.VocabFile:
        return vb.load(self.vocab)


class State(Frozen):
    """What the sandbox's dotbox_vocab schema holds."""

    exists: bool
    vocabularies: list[list[Any]] = []
    codes: list[list[Any]] = []
    labels: list[vb.Label] = []


def read_state(conn: Any) -> State:
    if not conn.execute(vb.EXISTS_SQL).fetchone()[0]:
        return State(exists=False)
    return State(
        exists=True,
        vocabularies=[list(r) for r in conn.execute(vb.VOCABULARIES_SQL).fetchall()],
        codes=[list(r) for r in conn.execute(vb.CODES_SQL).fetchall()],
        labels=vb.labels_from_rows(conn.execute(vb.LABELS_SQL).fetchall()),
    )


def catalog(conn: Any) -> list[vb.CatalogObject]:
    return vb.catalog_objects(conn.execute(vb.CATALOG_SQL).fetchall())


def _row(conn: Any, table: str, values: list[Any]) -> str:
    row = ", ".join(quote.literal(conn, v) for v in values)
    return f"INSERT INTO {quote.identifier(conn, S, table)} VALUES ({row})"


@dataclass
class _Changes:
    """The statements of a diff so far, and how many rows they insert, update and delete."""

    conn: Any
    steps: list[str]
    counts: dict[str, int] = field(
        default_factory=lambda: {"inserted": 0, "updated": 0, "deleted": 0}
    )

    def lit(self, value: Any) -> str:
        return quote.literal(self.conn, value)

    def insert(self, table: str, values: list[Any]) -> None:
        self.steps.append(_row(self.conn, table, values))
        self.counts["inserted"] += 1

    def update(self, statement: str) -> None:
        self.steps.append(statement)
        self.counts["updated"] += 1

    def delete(self, statement: str) -> None:
        self.steps.append(statement)
        self.counts["deleted"] += 1


LabelKey = tuple[vb.Kind, str, str]  # object kind, object identity, vocabulary


def diff_statements(
    conn: Any, spec: vb.VocabFile, state: State
) -> tuple[list[str], dict[str, int]]:
    """The statements that turn ``state`` into what ``spec`` gives for today's catalog: rows
    added or updated parents first (vocabulary, code, label), removed children first."""
    want = vb.dictionary(spec)
    changes = _Changes(conn, [] if state.exists else list(vb.SCHEMA_DDL))
    have_codes = {(r[0], r[1]): r[2] for r in state.codes}
    want_codes = {(v, c): d for v, c, d in want["codes"]}
    _add_or_update_vocabularies(changes, want["vocabularies"], state.vocabularies)
    _add_or_update_codes(changes, want_codes, have_codes)
    desired = {(lb.kind, lb.identity, lb.vocab): lb for lb in vb.classify(spec, catalog(conn))}
    _sync_labels(changes, desired, {(lb.kind, lb.identity, lb.vocab): lb for lb in state.labels})
    for v, c in sorted(have_codes.keys() - want_codes.keys()):
        changes.delete(
            f"DELETE FROM {S}.code WHERE vocab = {changes.lit(v)} AND code = {changes.lit(c)}"
        )
    unwanted = {r[0] for r in state.vocabularies} - {r[0] for r in want["vocabularies"]}
    for name in sorted(unwanted):
        changes.delete(f"DELETE FROM {S}.vocabulary WHERE vocab = {changes.lit(name)}")
    return changes.steps, changes.counts


def _add_or_update_vocabularies(
    changes: _Changes, want: list[list[Any]], have: list[list[Any]]
) -> None:
    lit = changes.lit
    have_by_name = {r[0]: r for r in have}
    for name, position, description, unclassified in want:
        if name not in have_by_name:
            changes.insert("vocabulary", [name, position, description, unclassified])
        elif have_by_name[name][1:] != [position, description, unclassified]:
            changes.update(
                f"UPDATE {S}.vocabulary SET position = {lit(position)},"
                f" description = {lit(description)}, unclassified = {lit(unclassified)}"
                f" WHERE vocab = {lit(name)}"
            )


def _add_or_update_codes(
    changes: _Changes, want: dict[tuple[str, str], str], have: dict[tuple[str, str], str]
) -> None:
    lit = changes.lit
    for (v, c), d in want.items():
        if (v, c) not in have:
            changes.insert("code", [v, c, d])
        elif have[(v, c)] != d:
            changes.update(
                f"UPDATE {S}.code SET description = {lit(d)}"
                f" WHERE vocab = {lit(v)} AND code = {lit(c)}"
            )


def _sync_labels(
    changes: _Changes, desired: dict[LabelKey, vb.Label], have: dict[LabelKey, vb.Label]
) -> None:
    """Labels no rule gives any more deleted first, then the rest inserted or updated."""
    lit = changes.lit
    for kind, identity, v in sorted(have.keys() - desired.keys()):
        changes.delete(
            f"DELETE FROM {S}.label WHERE object_kind = {lit(kind)}"
            f" AND object_identity = {lit(identity)} AND vocab = {lit(v)}"
        )
    for key in sorted(desired):
        lb = desired[key]
        if key not in have:
            changes.insert("label", [lb.kind, lb.identity, lb.vocab, lb.code, lb.rule])
        elif (have[key].code, have[key].rule) != (lb.code, lb.rule):
            changes.update(
                f"UPDATE {S}.label SET code = {lit(lb.code)}, rule = {lit(lb.rule)}"
                f" WHERE object_kind = {lit(lb.kind)} AND object_identity = {lit(lb.identity)}"
                f" AND vocab = {lit(lb.vocab)}"
            )


def execute(target: LiveSandbox, statements: list[str]) -> None:
    with db.connect(target.credentials) as conn, conn.transaction(), conn.pipeline():
        for statement in statements:
            conn.execute(statement.encode())


class VocabBuild(Primitive[VocabInputs, LiveSandbox]):
    name = "vocab-build"
    inputs = VocabInputs
    failure = CouldNotVerify

    before: State | None = None

    def guard(self, inputs: VocabInputs) -> LiveSandbox:
        return guard.require_live(inputs.sandbox)

    def plan(self, inputs: VocabInputs, target: LiveSandbox) -> Plan:
        with db.connect(target.credentials) as conn:
            conn.read_only = True
            self.before = read_state(conn)
            steps, counts = diff_statements(conn, inputs.spec(), self.before)
        summary = (
            f"{counts['inserted']} inserts, {counts['updated']} updates,"
            f" {counts['deleted']} deletes" + ("" if self.before.exists else f" (creates {S})")
        )
        return Plan(summary=summary, steps=steps)

    def apply(self, inputs: VocabInputs, target: LiveSandbox, plan: Plan) -> dict[str, Any]:
        try:
            execute(target, plan.steps)
        except db.Error as exc:
            raise ApplyFailed(f"vocab-build failed and was rolled back: {exc}") from None
        return {
            "statements": len(plan.steps),
            "changes": plan.summary,
            "schema_created": not (self.before and self.before.exists),
        }

    def verify(self, inputs: VocabInputs, target: LiveSandbox, outputs: dict[str, Any]) -> Verdict:
        spec = inputs.spec()
        with db.connect(target.credentials, autocommit=True) as conn:
            state = read_state(conn)
            objects = catalog(conn)
            coverage: dict[str, dict[str, int]] = {}
            for v, c, n in conn.execute(vb.COVERAGE_SQL).fetchall():
                coverage.setdefault(v, {})[c] = int(n)
            try:
                with conn.transaction(force_rollback=True):
                    conn.execute(
                        _row(
                            conn,
                            "label",
                            [
                                "table",
                                Label.PROBE,
                                spec.vocabularies[0].name,
                                "NO-SUCH-CODE",
                                None,
                            ],
                        ).encode()
                    )
                rejected = "accepted"
            except db.Error as exc:
                rejected = exc.sqlstate or "?"
        desired = vb.classify(spec, objects)
        got_dict = {"vocabularies": state.vocabularies, "codes": [list(r) for r in state.codes]}
        want_dict = vb.dictionary(spec)
        labels_equal = vb.labels_digest(state.labels) == vb.labels_digest(desired)
        dict_equal = json.dumps(got_dict, sort_keys=True) == json.dumps(want_dict, sort_keys=True)
        unclassified = {
            v.name: sorted(
                f"{lb.kind} {lb.identity}"
                for lb in state.labels
                if lb.vocab == v.name and lb.code == v.unclassified
            )
            for v in spec.vocabularies
        }
        return Verdict(
            ok=labels_equal and dict_equal and rejected == "23503",
            checks={
                "objects": len(objects),
                "labels": len(state.labels),
                "labels_match_rules": labels_equal,
                "dictionary_matches_file": dict_equal,
                "unknown_code_rejected_with": rejected,
                "labels_digest": vb.labels_digest(state.labels),
                "dictionary_digest": vb.dictionary_digest(got_dict),
                "coverage": coverage,
                "unclassified": unclassified,
            },
        )

    def sandbox_of(self, inputs: VocabInputs, target: LiveSandbox, outputs: dict[str, Any]) -> str:
        return target.info.id

    def artifacts(self, inputs: VocabInputs, outputs: dict[str, Any]) -> dict[str, bytes]:
        before = self.before or State(exists=False)
        return {
            "vocab.yaml": inputs.vocab.read_bytes(),
            "before.json": before.model_dump_json().encode(),
        }

    def rollback(self, record: dict[str, Any]) -> dict[str, Any]:
        target = guard.require_live(record["sandbox"])
        before = State.model_validate_json(
            evidence.read_artifact(target.info.id, record["artifacts"]["before.json"])
        )
        if not before.exists:
            statements = [f"DROP SCHEMA {S} CASCADE"]
        else:
            with db.connect(target.credentials) as conn:
                statements = [
                    f"DELETE FROM {S}.label",
                    f"DELETE FROM {S}.code",
                    f"DELETE FROM {S}.vocabulary",
                ]
                statements += [_row(conn, "vocabulary", r) for r in before.vocabularies]
                statements += [_row(conn, "code", r) for r in before.codes]
                statements += [
                    _row(conn, "label", [lb.kind, lb.identity, lb.vocab, lb.code, lb.rule])
                    for lb in before.labels
                ]
        execute(target, statements)
        with db.connect(target.credentials) as conn:
            now = read_state(conn)
        restored = now.model_dump_json() == before.model_dump_json()
        return {"restored": restored, "statements": len(statements), "schema_exists": now.exists}

    def recheck(self, record: dict[str, Any]) -> str:
        target = guard.require_live(record["sandbox"])
        with db.connect(target.credentials) as conn:
            state = read_state(conn)
        if vb.labels_digest(state.labels) != record["verify"]["checks"]["labels_digest"]:
            return "no longer holds: the labels changed since (rebuild or roll back)"
        return "holds"
