"""verify: the sandbox's schema equals its snapshot (or the exact drift), plus user checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from dotbox import images
from dotbox.core.errors import Drift
from dotbox.primitives import verify
from dotbox.primitives.facets import Inputs, Plan, Primitive, SandboxId, Verdict
from dotbox.sandbox import guard
from dotbox.sandbox.guard import LiveSandbox


class VerifyInputs(Inputs):
    sandbox: SandboxId
    checks: Path | None = Field(None, description="checks file (YAML): SQL with expected results")

    @field_validator("checks")
    @classmethod
    def _checks(cls, v: Path | None) -> Path | None:
        if v is not None:
            verify.load_checks(v)
        return v

    def check_list(self) -> list[verify.Check]:
        return verify.load_checks(self.checks) if self.checks else []


class SchemaVerify(Primitive[VerifyInputs, LiveSandbox]):
    name = "verify"
    inputs = VerifyInputs
    failure = Drift

    report: verify.VerifyReport | None = None

    def guard(self, inputs: VerifyInputs) -> LiveSandbox:
        return guard.require_live(inputs.sandbox)

    def plan(self, inputs: VerifyInputs, target: LiveSandbox) -> Plan:
        steps = [
            f"read the fingerprint baked at {images.FINGERPRINT_FILE} in"
            f" {target.info.container[:12]}",
            "read the live fingerprint: SELECT kind, identity, definition FROM pg_catalog …"
            " (read-only)",
        ]
        steps += [f"check {c.name} (read-only, rolled back): {c.sql}" for c in inputs.check_list()]
        return Plan(
            summary=f"verify {target.info.id} against snapshot {target.info.snapshot}", steps=steps
        )

    def apply(self, inputs: VerifyInputs, target: LiveSandbox, plan: Plan) -> dict[str, Any]:
        self.report = verify.verify(target, inputs.check_list())
        return {"objects": self.report.objects, "seconds": self.report.seconds}

    def verify(self, inputs: VerifyInputs, target: LiveSandbox, outputs: dict[str, Any]) -> Verdict:
        r = self.report
        assert r is not None
        return Verdict(
            ok=r.ok,
            checks={
                "equal": r.equal,
                "summary": r.summary(),
                "baked": r.baked,
                "live": r.live,
                "drift": [c.describe() for c in r.drift],
                "checks": [c.model_dump(mode="json") for c in r.checks],
            },
        )

    def sandbox_of(self, inputs: VerifyInputs, target: LiveSandbox, outputs: dict[str, Any]) -> str:
        return target.info.id

    def recheck(self, record: dict[str, Any]) -> str:
        target = guard.require_live(record["sandbox"])
        now = verify.verify(target).live
        if now != record["verify"]["checks"]["live"]:
            return "no longer holds: the schema changed since (run verify again)"
        return "holds"
