"""Generated input: every name, TTL or snapshot name is accepted or refused with a
DotboxError — never another exception."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dotbox.core import validate
from dotbox.core.errors import DotboxError, InvalidInput, Refused
from dotbox.sandboxes import lifecycle

TEXT = st.text(min_size=0, max_size=80)
TTLISH = st.from_regex(r"[0-9]{0,4}[smhdx ]?[0-9]{0,3}[smhd]?", fullmatch=True) | TEXT


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_sandbox_names(value: str) -> None:
    try:
        assert validate.sandbox_name(value) == value
        assert 1 <= len(value) <= 32 and value == value.lower()
    except InvalidInput:
        pass


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_snapshot_names(value: str) -> None:
    try:
        assert validate.snapshot_name(value) == value
        assert "/" not in value and len(value) <= 64
    except InvalidInput:
        pass


@settings(max_examples=400, deadline=None)
@given(TTLISH)
def test_ttls(value: str) -> None:
    try:
        seconds = validate.ttl(value).total_seconds()
        assert 1 <= seconds <= 30 * 86400
    except InvalidInput:
        pass


DSNISH = st.builds(
    lambda scheme, user, host, rest: f"{scheme}{user}@{host}{rest}",
    st.sampled_from(["postgresql://", "postgres://", "", "host="]),
    st.text(max_size=10),
    st.text(max_size=15),
    st.text(max_size=15),
)


@settings(max_examples=200, deadline=None)
@given(DSNISH)
def test_connection_strings_are_never_taken_for_a_sandbox(value: str) -> None:
    try:
        lifecycle.refuse_dsn(value)
        validate.sandbox_name(value)
    except (Refused, InvalidInput):
        return
    except DotboxError as exc:  # pragma: no cover - any other refusal is still a DotboxError
        raise AssertionError(f"unexpected {exc!r}") from exc
    assert "@" not in value and "://" not in value and "=" not in value
