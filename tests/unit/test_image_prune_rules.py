"""Which images ``dotbox image prune`` chooses, and why: only what this home baked, whose
snapshot is gone from it or (with --older-than) that nothing of it used for that long."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dotbox.maintenance.image_inventory import ImageRow, why_prunable

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def row(**change: Any) -> ImageRow:
    values: dict[str, Any] = {
        "id": "sha256:" + "a" * 64,
        "tag": "dotbox/sandbox:pg17-" + "b" * 20,
        "kind": "baked",
        "pg_major": 17,
        "snapshot": "app",
        "snapshot_digest": "c" * 64,
        "snapshot_here": True,
        "baked_here": True,
        "baked_at": NOW - timedelta(days=3),
        "size_bytes": 1,
        "created": NOW - timedelta(days=3),
        "last_used": None,
        "containers": [],
        "sandboxes": [],
    }
    return ImageRow(**(values | change))


def test_a_current_snapshot_is_kept_without_older_than() -> None:
    assert why_prunable(row(), None, NOW) is None


def test_a_snapshot_gone_from_this_home() -> None:
    reason = why_prunable(row(snapshot_here=False), None, NOW)
    assert reason == "snapshot app (cccccccccccc) is gone from this home"


@pytest.mark.parametrize(
    ("last_used", "chosen"),
    [(None, True), (NOW - timedelta(days=2), True), (NOW - timedelta(hours=1), False)],
)
def test_older_than_counts_the_last_use_or_the_bake(
    last_used: datetime | None, chosen: bool
) -> None:
    reason = why_prunable(row(last_used=last_used), timedelta(days=1), NOW)
    assert (reason is not None) is chosen
    assert reason is None or reason.startswith("unused since 2026-05-")


@pytest.mark.parametrize(
    "change",
    [
        {"baked_here": False, "baked_at": None, "snapshot_here": False},  # another home's bake
        {"kind": "base", "snapshot_here": False},  # a base image, never pruned
        {"kind": "tools", "snapshot_here": False},  # nor the tools image
    ],
)
def test_never_another_homes_bake_nor_a_base(change: dict[str, Any]) -> None:
    assert why_prunable(row(**change), timedelta(seconds=1), NOW) is None
