"""apply: a user's migration, in one transaction that stops at the first error."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from dotbox.core.errors import ApplyFailed, InvalidInput
from dotbox.pg import db, drift_words, fingerprint
from dotbox.primitives import verify
from dotbox.primitives.facets import Plan, Primitive, Verdict
from dotbox.primitives.inputs import Inputs, SandboxId
from dotbox.sandboxes import guard
from dotbox.sandboxes.guard import LiveSandbox
from dotbox.sql import sqltext


class ApplyInputs(Inputs):
    sandbox: SandboxId
    files: list[Path] = Field(min_length=1, description="SQL files, applied in order")

    @field_validator("files")
    @classmethod
    def _files(cls, v: list[Path]) -> list[Path]:
        for path in v:
            statements(path)
        return v


def statements(path: Path) -> list[sqltext.Statement]:
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}") from None
    try:
        found = sqltext.split(text)
    except sqltext.UnterminatedText as exc:
        raise InvalidInput(f"{path}:{exc.line}: {exc}") from None
    for st in found:
        if st.kind != "sql":
            raise InvalidInput(
                f"{path}:{st.start_line}: psql meta-commands and COPY data are not run by"
                " apply; use plain SQL"
            )
    return found


class MigrationApply(Primitive[ApplyInputs, LiveSandbox]):
    name = "apply"
    inputs = ApplyInputs
    failure = ApplyFailed

    def __init__(self, progress: Any = None) -> None:
        super().__init__(progress)
        self.before: str = ""

    def guard(self, inputs: ApplyInputs) -> LiveSandbox:
        return guard.require_live(inputs.sandbox)

    def plan(self, inputs: ApplyInputs, target: LiveSandbox) -> Plan:
        steps = ["BEGIN"]
        for path in inputs.files:
            steps += [f"{path}:{st.start_line}: {st.text.strip()}" for st in statements(path)]
        steps.append("COMMIT")
        return Plan(
            summary=f"{len(steps) - 2} statements from {len(inputs.files)} files", steps=steps
        )

    def apply(self, inputs: ApplyInputs, target: LiveSandbox, plan: Plan) -> dict[str, Any]:
        self.before = fingerprint.digest(verify.live(target))
        ran = 0
        with db.connect(target.credentials) as conn:
            for path in inputs.files:
                for st in statements(path):
                    try:
                        conn.execute(st.text.encode())
                    except db.Error as exc:
                        conn.rollback()
                        first = str(exc).strip().splitlines()[0]
                        raise ApplyFailed(
                            f"{path}:{st.start_line}: {first}",
                            hint=f"rolled back: none of the {ran + 1} statements run took effect",
                        ) from None
                    ran += 1
            conn.commit()
        return {
            "statements": ran,
            "files": {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in inputs.files},
        }

    def verify(self, inputs: ApplyInputs, target: LiveSandbox, outputs: dict[str, Any]) -> Verdict:
        report = verify.verify(target)
        return Verdict(
            ok=True,
            checks={
                "fingerprint_before": self.before,
                "fingerprint_after": report.live,
                "schema_changed": report.live != self.before,
                "drift_from_snapshot": [c.describe() for c in report.drift],
                "drift_from_snapshot_in_words": [drift_words.change(c) for c in report.drift],
            },
        )

    def sandbox_of(self, inputs: ApplyInputs, target: LiveSandbox, outputs: dict[str, Any]) -> str:
        return target.info.id

    def artifacts(self, inputs: ApplyInputs, outputs: dict[str, Any]) -> dict[str, bytes]:
        return {str(p): p.read_bytes() for p in inputs.files}

    def recheck(self, record: dict[str, Any]) -> str:
        target = guard.require_live(record["sandbox"])
        now = fingerprint.digest(verify.live(target))
        if now != record["verify"]["checks"]["fingerprint_after"]:
            return "no longer holds: the schema changed since"
        return "holds"
