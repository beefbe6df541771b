"""``dotbox rollback SANDBOX RECORD``: undo what one ledger record did, where it can be undone."""

from __future__ import annotations

from typing import Any

from dotbox import evidence
from dotbox.core import validate
from dotbox.core.errors import EvidenceBroken, InvalidInput, Refused


def rollback(sandbox_id: str, seq: int, *, dry_run: bool = False) -> dict[str, Any]:
    """Find record ``seq`` in an intact ledger and run its primitive's rollback; the result is
    appended to the ledger as a ``rollback`` record."""
    from dotbox.primitives.registry import CATALOGUE

    validate.sandbox_name(sandbox_id)
    path = evidence.ledger_path(sandbox_id)
    chain = evidence.verify_file(path)
    if not chain.ok:
        raise EvidenceBroken(f"{path}: {chain.problem}", hint="a broken ledger is not acted on")
    records = evidence.read(path)
    if not 1 <= seq <= len(records):
        raise InvalidInput(f"sandbox {sandbox_id}'s ledger has records 1-{len(records)}, not {seq}")
    record = records[seq - 1]
    kind = CATALOGUE.get(record["primitive"])
    if kind is None:
        raise Refused(f"record {seq} is a {record['primitive']} record: it has no rollback")
    if record.get("outputs", {}).get("error"):
        raise Refused(f"record {seq} ({kind.name}) failed and changed nothing: nothing to undo")
    plan = {"record": seq, "primitive": kind.name, "rollback": kind.describe.rollback}
    if dry_run:
        return {**plan, "dry_run": True}
    outputs = kind().rollback(record)
    ok = bool(outputs.get("restored", True))
    appended = evidence.append(
        sandbox_id,
        "rollback",
        inputs={"record": seq, "record_hash": record["hash"], "primitive": kind.name},
        outputs=outputs,
        verify={"ok": ok, "checks": outputs},
    )
    return {**plan, "outputs": outputs, "ok": ok, "rollback_record": appended["seq"]}
