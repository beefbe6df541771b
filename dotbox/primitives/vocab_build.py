"""vocab-build: the label dictionary and one label per catalog object, built as a diff."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from dotbox import evidence
from dotbox.core.errors import ApplyFailed, CouldNotVerify
from dotbox.core.labels import Label
from dotbox.core.models import Frozen
from dotbox.pg import db, quote
from dotbox.primitives import vocab as vb
from dotbox.primitives.facets import Inputs, Plan, Primitive, SandboxId, Verdict
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


def diff_statements(
    conn: Any, spec: vb.VocabFile, state: State
) -> tuple[list[str], dict[str, int]]:
    """The statements that turn ``state`` into what ``spec`` gives for today's catalog."""

    def lit(value: Any) -> str:
        return quote.literal(conn, value)

    want = vb.dictionary(spec)
    steps: list[str] = [] if state.exists else list(vb.SCHEMA_DDL)
    counts = {"inserted": 0, "updated": 0, "deleted": 0}
    have_v = {r[0]: r for r in state.vocabularies}
    for name, position, description, unclassified in want["vocabularies"]:
        if name not in have_v:
            steps.append(_row(conn, "vocabulary", [name, position, description, unclassified]))
            counts["inserted"] += 1
        elif have_v[name][1:] != [position, description, unclassified]:
            steps.append(
                f"UPDATE {S}.vocabulary SET position = {lit(position)},"
                f" description = {lit(description)}, unclassified = {lit(unclassified)}"
                f" WHERE vocab = {lit(name)}"
            )
            counts["updated"] += 1
    have_c = {(r[0], r[1]): r[2] for r in state.codes}
    want_c = {(v, c): d for v, c, d in want["codes"]}
    for (v, c), d in want_c.items():
        if (v, c) not in have_c:
            steps.append(_row(conn, "code", [v, c, d]))
            counts["inserted"] += 1
        elif have_c[(v, c)] != d:
            steps.append(
                f"UPDATE {S}.code SET description = {lit(d)}"
                f" WHERE vocab = {lit(v)} AND code = {lit(c)}"
            )
            counts["updated"] += 1
    desired = {(lb.kind, lb.identity, lb.vocab): lb for lb in vb.classify(spec, catalog(conn))}
    have_l = {(lb.kind, lb.identity, lb.vocab): lb for lb in state.labels}
    for key in sorted(have_l.keys() - desired.keys()):
        kind, identity, v = key
        steps.append(
            f"DELETE FROM {S}.label WHERE object_kind = {lit(kind)}"
            f" AND object_identity = {lit(identity)} AND vocab = {lit(v)}"
        )
        counts["deleted"] += 1
    for key in sorted(desired):
        lb = desired[key]
        if key not in have_l:
            steps.append(_row(conn, "label", [lb.kind, lb.identity, lb.vocab, lb.code, lb.rule]))
            counts["inserted"] += 1
        elif (have_l[key].code, have_l[key].rule) != (lb.code, lb.rule):
            steps.append(
                f"UPDATE {S}.label SET code = {lit(lb.code)}, rule = {lit(lb.rule)}"
                f" WHERE object_kind = {lit(lb.kind)} AND object_identity = {lit(lb.identity)}"
                f" AND vocab = {lit(lb.vocab)}"
            )
            counts["updated"] += 1
    for v, c in sorted(have_c.keys() - want_c.keys()):
        steps.append(f"DELETE FROM {S}.code WHERE vocab = {lit(v)} AND code = {lit(c)}")
        counts["deleted"] += 1
    for name in sorted(have_v.keys() - {r[0] for r in want["vocabularies"]}):
        steps.append(f"DELETE FROM {S}.vocabulary WHERE vocab = {lit(name)}")
        counts["deleted"] += 1
    return steps, counts


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
