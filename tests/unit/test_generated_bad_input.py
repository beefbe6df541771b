"""Generated input: every name, TTL or snapshot name is accepted or refused with a
DotboxError — never another exception; what the documented rules allow is accepted, and what
they do not is refused."""

from __future__ import annotations

import string

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dotbox.core import validate
from dotbox.core.errors import DotboxError, InvalidInput, Refused
from dotbox.sandboxes import lifecycle

TEXT = st.text(min_size=0, max_size=80)
ALNUM = string.ascii_lowercase + string.digits


def _allowed(value: str, longest: int, inner: str) -> bool:
    """The documented rule for names: 1 to ``longest`` characters of a-z, 0-9 and ``inner``,
    starting and ending with a letter or digit."""
    return (
        1 <= len(value) <= longest
        and all(c in ALNUM + inner for c in value)
        and value[0] in ALNUM
        and value[-1] in ALNUM
    )


def _names(longest: int, inner: str) -> st.SearchStrategy[str]:
    """Names the rule allows, of every length up to ``longest``."""
    ends = st.sampled_from(ALNUM)
    middle = st.text(alphabet=ALNUM + inner, max_size=longest - 2)
    return ends | st.builds(lambda a, m, b: a + m + b, ends, middle, ends)


TTLISH = st.from_regex(r"[0-9]{0,4}[smhdx ]?[0-9]{0,3}[smhd]?", fullmatch=True) | TEXT


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_sandbox_names(value: str) -> None:
    try:
        assert validate.sandbox_name(value) == value
    except InvalidInput:
        assert not _allowed(value, 32, "-"), value
    else:
        assert _allowed(value, 32, "-"), value


@settings(max_examples=400, deadline=None)
@given(_names(32, "-"))
def test_valid_sandbox_names_are_accepted(value: str) -> None:
    assert validate.sandbox_name(value) == value
    lifecycle.refuse_dsn(value)  # a sandbox id is never taken for a connection string


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_snapshot_names(value: str) -> None:
    try:
        assert validate.snapshot_name(value) == value
    except InvalidInput:
        assert not _allowed(value, 64, "._-"), value
    else:
        assert _allowed(value, 64, "._-"), value


@settings(max_examples=400, deadline=None)
@given(_names(64, "._-"))
def test_valid_snapshot_names_are_accepted(value: str) -> None:
    assert validate.snapshot_name(value) == value


@settings(max_examples=400, deadline=None)
@given(TTLISH)
def test_ttls(value: str) -> None:
    try:
        seconds = validate.ttl(value).total_seconds()
        assert 1 <= seconds <= 30 * 86400
    except InvalidInput:
        pass


UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 999), st.sampled_from("smhd")), min_size=1, max_size=4))
@example([(1, "s")])
@example([(0, "s")])
@example([(30, "d")])
@example([(29, "d"), (24, "h")])
@example([(30, "d"), (1, "s")])
@example([(720, "h"), (0, "m")])
def test_well_formed_ttls_are_accepted_within_bounds(parts: list[tuple[int, str]]) -> None:
    """Durations written as documented (90s, 15m, 2h, 1d12h): accepted, and worth their sum,
    exactly when between 1s and 30d."""
    text = "".join(f"{n}{unit}" for n, unit in parts)
    seconds = sum(n * UNITS[unit] for n, unit in parts)
    if 1 <= seconds <= 30 * 86400:
        assert validate.ttl(text).total_seconds() == seconds
    else:
        with pytest.raises(InvalidInput, match="between 1s and 30d"):
            validate.ttl(text)


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
