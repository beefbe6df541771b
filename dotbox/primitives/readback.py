"""evidence-readback: read a sandbox's ledger back, check its hash chain, re-check each record's
postcondition against the live sandbox, and export a bundle with a sha256 manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from dotbox import evidence
from dotbox.core import validate
from dotbox.core.errors import DotboxError, EvidenceBroken, InvalidInput, NotFound
from dotbox.core.models import Frozen
from dotbox.core.records import jsonable
from dotbox.primitives import recheck_words
from dotbox.primitives.facets import Plan, Primitive, Verdict
from dotbox.primitives.inputs import Inputs
from dotbox.sandboxes import lifecycle


class ReadbackInputs(Inputs):
    target: str = Field(description="sandbox id, or an exported bundle directory")
    out: Path | None = Field(None, description="export a bundle into this empty or new directory")
    recheck: bool = Field(True, description="re-check each record against the live sandbox")

    @field_validator("target")
    @classmethod
    def _target(cls, v: str) -> str:
        if Path(v).is_dir():
            return v
        lifecycle.refuse_dsn(v)
        return validate.sandbox_name(v)

    @field_validator("out")
    @classmethod
    def _out(cls, v: Path | None) -> Path | None:
        if v is not None and v.exists() and (not v.is_dir() or any(v.iterdir())):
            raise InvalidInput(f"{v} exists and is not an empty directory")
        return v


class ReadbackTarget(Frozen):
    sandbox: str | None  # None: an exported bundle, read where it lies
    ledger: Path
    bundle: Path | None = None
    live: bool = False


class EvidenceReadback(Primitive[ReadbackInputs, ReadbackTarget]):
    name = "evidence-readback"
    inputs = ReadbackInputs
    failure = EvidenceBroken

    def guard(self, inputs: ReadbackInputs) -> ReadbackTarget:
        if Path(inputs.target).is_dir():
            bundle = Path(inputs.target)
            return ReadbackTarget(sandbox=None, ledger=bundle / "ledger.jsonl", bundle=bundle)
        ledger = evidence.ledger_path(inputs.target)
        if not ledger.exists():
            raise NotFound(f"sandbox {inputs.target} has no evidence ledger at {ledger}")
        live = lifecycle.find(inputs.target) is not None
        return ReadbackTarget(sandbox=inputs.target, ledger=ledger, live=live)

    def plan(self, inputs: ReadbackInputs, target: ReadbackTarget) -> Plan:
        steps = [f"check the hash chain of {target.ledger}"]
        if target.bundle:
            steps.insert(0, f"check every file of {target.bundle} against manifest.json")
        elif inputs.recheck and target.live:
            steps.append(f"re-check each record's postcondition against sandbox {target.sandbox}")
        if inputs.out and target.sandbox:
            steps.append(f"export ledger, artifacts and manifest.json into {inputs.out}")
        return Plan(summary=f"read back {target.bundle or target.sandbox}", steps=steps)

    def apply(self, inputs: ReadbackInputs, target: ReadbackTarget, plan: Plan) -> dict[str, Any]:
        if target.bundle is not None:
            return {"chain": jsonable(evidence.verify_bundle(target.bundle))}
        assert target.sandbox is not None
        chain = evidence.verify_file(target.ledger)
        outputs: dict[str, Any] = {"chain": jsonable(chain)}
        if chain.ok and inputs.recheck and target.live:
            records = evidence.read(target.ledger)
            outputs["rechecks"] = {str(r["seq"]): _recheck(r) for r in records}
            outputs["rechecks_in_words"] = {
                str(r["seq"]): recheck_words.in_words(r, outputs["rechecks"][str(r["seq"])])
                for r in records
            }
        if inputs.out is not None and target.sandbox:
            outputs["bundle"] = str(evidence.export(target.sandbox, inputs.out))
        return outputs

    def verify(
        self, inputs: ReadbackInputs, target: ReadbackTarget, outputs: dict[str, Any]
    ) -> Verdict:
        checks: dict[str, Any] = {"chain_ok": outputs["chain"]["ok"]}
        if outputs["chain"].get("problem"):
            checks["problem"] = outputs["chain"]["problem"]
        if "bundle" in outputs:
            bundle = evidence.verify_bundle(Path(outputs["bundle"]))
            checks["bundle_ok"] = bundle.ok
        ok = bool(checks["chain_ok"]) and checks.get("bundle_ok", True)
        return Verdict(ok=ok, checks=checks)

    def sandbox_of(
        self, inputs: ReadbackInputs, target: ReadbackTarget, outputs: dict[str, Any]
    ) -> str | None:
        return target.sandbox  # a bundle is read where it lies: nothing is appended to it


def _recheck(record: dict[str, Any]) -> str:
    from dotbox.primitives.apply import MigrationApply
    from dotbox.primitives.bad_input_harness import BadInputHarness
    from dotbox.primitives.create import SandboxCreate
    from dotbox.primitives.drop import SandboxDrop
    from dotbox.primitives.verify import SchemaVerify
    from dotbox.primitives.vocab_build import VocabBuild

    kinds = (SandboxCreate, SandboxDrop, VocabBuild, SchemaVerify, BadInputHarness, MigrationApply)
    kind = {k.name: k for k in kinds}.get(record["primitive"])
    if kind is None:
        return "not re-checkable: no primitive of that name"
    try:
        return kind().recheck(record)
    except DotboxError as exc:
        return f"could not re-check: {exc.one_line()}"
