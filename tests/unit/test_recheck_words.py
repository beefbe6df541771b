"""A re-check in words says first whether the record passed or failed when it ran."""

from __future__ import annotations

from dotbox.primitives.recheck_words import in_words


def harness_record(failed: int, cases: int = 485, state_kept: bool = True) -> dict[str, object]:
    return {
        "primitive": "bad-input-harness",
        "outputs": {"cases": cases, "passed": cases - failed, "failed": failed},
        "verify": {
            "ok": failed == 0 and state_kept,
            "checks": {"nothing_written_or_lost": state_kept},
        },
    }


def test_a_failed_harness_record_does_not_read_as_just_holds() -> None:
    assert in_words(harness_record(3), "holds") == (
        "harness record: 3 of 485 cases failed when run — the table state it recorded still holds"
    )
    # the control: a passed one
    assert in_words(harness_record(0), "holds") == (
        "harness record: all 485 cases passed when run — the table state it recorded still holds"
    )
    later = "no longer holds: tables or sequences changed since (later writes)"
    assert in_words(harness_record(3), later).endswith(f"failed when run — {later}")
    assert "changed the tables' rows" in in_words(harness_record(0, state_kept=False), "holds")


def test_other_records_in_words() -> None:
    ok = {"primitive": "schema-verify", "verify": {"ok": True}}
    assert in_words(ok, "holds") == "schema-verify record: holds"
    failed = {
        "primitive": "schema-verify",
        "verify": {"ok": False},
        "outputs": {"error": "2 objects drifted"},
    }
    assert in_words(failed, "holds") == (
        "schema-verify record: failed when run (2 objects drifted) — what it recorded still holds"
    )
