"""A re-check of an evidence record in words: what the record said when it ran (passed or
failed) first, then whether what it recorded still holds, so that a failed record never reads
as just "holds". The bare re-check result stays the machine form (--json)."""

from __future__ import annotations

from typing import Any

HOLDS = "holds"


def in_words(record: dict[str, Any], result: str) -> str:
    if record.get("primitive") == "bad-input-harness":
        return _harness(record, result)
    name = str(record.get("primitive", "?"))
    failed = not record.get("verify", {}).get("ok", True)
    if not failed:
        return f"{name} record: {result}"
    still = "what it recorded still holds" if result == HOLDS else result
    error = record.get("outputs", {}).get("error")
    return f"{name} record: failed when run{f' ({error})' if error else ''} — {still}"


def _harness(record: dict[str, Any], result: str) -> str:
    outputs = record.get("outputs", {})
    checks = record.get("verify", {}).get("checks", {})
    cases, failed = outputs.get("cases", 0), outputs.get("failed", 0)
    if "error" in outputs:
        ran = f"failed when run ({outputs['error']})"
    elif failed:
        ran = f"{failed} of {cases} cases failed when run"
    else:
        ran = f"all {cases} cases passed when run"
    if checks.get("nothing_written_or_lost") is False:
        ran += ", and the cases changed the tables' rows"
    still = "the table state it recorded still holds" if result == HOLDS else result
    return f"harness record: {ran} — {still}"
