"""bad-input-harness: throw invalid inputs at a sandbox; each must be rejected with its SQLSTATE
and nothing may be written or lost."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator

from dotbox.core.errors import HarnessFailed
from dotbox.pg import db
from dotbox.primitives import harness, harness_derive
from dotbox.primitives.facets import Plan, Primitive, Verdict
from dotbox.primitives.inputs import Inputs, SandboxId
from dotbox.sandboxes import guard
from dotbox.sandboxes.guard import LiveSandbox


class HarnessInputs(Inputs):
    sandbox: SandboxId
    cases: Path | None = Field(None, description="cases file (YAML): statement + SQLSTATE")
    auto: bool = Field(False, description="derive cases from the catalog")

    @field_validator("cases")
    @classmethod
    def _cases(cls, v: Path | None) -> Path | None:
        if v is not None:
            harness.load_cases(v)
        return v

    @model_validator(mode="after")
    def _some(self) -> HarnessInputs:
        if self.cases is None and not self.auto:
            raise ValueError("give --cases FILE, --auto, or both")
        return self


class BadInputHarness(Primitive[HarnessInputs, LiveSandbox]):
    name = "bad-input-harness"
    inputs = HarnessInputs
    failure = HarnessFailed

    cases: list[harness.Case] = []
    not_built: dict[str, int] = {}  # derived cases that could not be built, by reason
    results: list[harness.CaseResult] = []

    def guard(self, inputs: HarnessInputs) -> LiveSandbox:
        return guard.require_live(inputs.sandbox)

    def plan(self, inputs: HarnessInputs, target: LiveSandbox) -> Plan:
        cases = harness.load_cases(inputs.cases) if inputs.cases else []
        if inputs.auto:
            with db.connect(target.credentials) as conn:
                conn.read_only = True
                derived, self.not_built = harness_derive.derive(conn)
            cases += derived
        self.cases = cases
        not_built = sum(self.not_built.values())
        controls = len({c.control for c in cases if c.control})
        return Plan(
            summary=f"{len(cases)} cases, {controls} distinct controls run first"
            + (f"; {not_built} skipped: could not be built" if not_built else ""),
            steps=[_step(c) for c in cases],
        )

    def apply(self, inputs: HarnessInputs, target: LiveSandbox, plan: Plan) -> dict[str, Any]:
        with db.connect(target.credentials, autocommit=True) as conn:
            before = harness.table_state(conn)
            self.results = harness.run_cases(conn, self.cases) if self.cases else []
            restored = harness.restore_sequences(conn, before)
        counted = Counter(r.outcome for r in self.results)
        reasons = Counter(self.not_built) + Counter(harness.skip_reasons(self.results))
        return {
            "cases": len(self.results) + sum(self.not_built.values()),
            "passed": counted["passed"],
            "skipped": counted["skipped"] + sum(self.not_built.values()),
            "failed": counted["failed"],
            "skip_reasons": dict(reasons.most_common()),
            "by_kind": dict(Counter(r.kind for r in self.results)),
            "sequences_restored": restored,
            "state_before": harness.state_digest(before),
        }

    def verify(
        self, inputs: HarnessInputs, target: LiveSandbox, outputs: dict[str, Any]
    ) -> Verdict:
        with db.connect(target.credentials, autocommit=True) as conn:
            after = harness.table_state(conn)
        digest = harness.state_digest(after)
        failed = [r for r in self.results if r.outcome == "failed"]
        return Verdict(
            ok=not failed and digest == outputs["state_before"],
            checks={
                "failed": [f"{r.name}: expected {r.expected}, got {r.actual}" for r in failed],
                "accepted": [r.name for r in failed if r.actual == "accepted"],
                "state_after": digest,
                "nothing_written_or_lost": digest == outputs["state_before"],
                "tables_and_sequences": len(after),
            },
        )

    def sandbox_of(
        self, inputs: HarnessInputs, target: LiveSandbox, outputs: dict[str, Any]
    ) -> str:
        return target.info.id

    def artifacts(self, inputs: HarnessInputs, outputs: dict[str, Any]) -> dict[str, bytes]:
        found = {"report.json": json.dumps([r.model_dump() for r in self.results]).encode()}
        if inputs.cases:
            found["cases.yaml"] = inputs.cases.read_bytes()
        return found

    def recheck(self, record: dict[str, Any]) -> str:
        target = guard.require_live(record["sandbox"])
        with db.connect(target.credentials, autocommit=True) as conn:
            now = harness.state_digest(harness.table_state(conn))
        if now != record["verify"]["checks"]["state_after"]:
            return "no longer holds: tables or sequences changed since (later writes)"
        return "holds"


def _step(case: harness.Case) -> str:
    control = f" (after its control: {case.control})" if case.control else ""
    return f"expect {case.sqlstate}: {case.sql}{control}"
