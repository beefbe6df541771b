from datetime import UTC, datetime, timedelta

import pytest

from dotbox.sandboxes.inventory import sandbox_state

NOW = datetime(2026, 1, 1, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
EARLIER = NOW - timedelta(minutes=1)


@pytest.mark.parametrize(
    ("status", "ready", "ready_by", "expires", "state"),
    [
        ("running", True, EARLIER, LATER, "ready"),
        ("running", True, EARLIER, EARLIER, "expired"),
        ("running", False, LATER, LATER, "creating"),  # socket may exist: not ready yet
        ("running", False, EARLIER, LATER, "broken"),  # past its deadline without the marker
        ("created", False, LATER, LATER, "creating"),
        ("created", False, EARLIER, LATER, "broken"),
        ("exited", True, EARLIER, LATER, "broken"),
        ("dead", False, LATER, LATER, "broken"),
        ("running", False, None, LATER, "creating"),
    ],
)
def test_state_never_says_ready_without_the_marker(
    status: str, ready: bool, ready_by: datetime | None, expires: datetime, state: str
) -> None:
    assert (
        sandbox_state(status=status, ready=ready, ready_by=ready_by, expires=expires, now=NOW)
        == state
    )
