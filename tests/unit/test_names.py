from datetime import timedelta

import pytest

from dotbox.core import validate
from dotbox.core.errors import InvalidInput


@pytest.mark.parametrize("value", ["a", "sb-1234abcd", "review-42", "x" * 32, "0abc"])
def test_sandbox_names_accepted(value: str) -> None:
    assert validate.sandbox_name(value) == value


@pytest.mark.parametrize(
    "value",
    ["", "-a", "a-", "A", "a_b", "a b", "a/b", "a;drop", "x" * 33, "é", "a\n", "../etc"],
)
def test_sandbox_names_refused(value: str) -> None:
    with pytest.raises(InvalidInput, match="invalid sandbox name"):
        validate.sandbox_name(value)


@pytest.mark.parametrize("value", ["pagila", "gitlab.v2", "a_b-c", "x" * 64])
def test_snapshot_names_accepted(value: str) -> None:
    assert validate.snapshot_name(value) == value


@pytest.mark.parametrize("value", ["", "Pagila", ".x", "x.", "a b", "x" * 65, "a/b"])
def test_snapshot_names_refused(value: str) -> None:
    with pytest.raises(InvalidInput):
        validate.snapshot_name(value)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("15m", 900), ("2h", 7200), ("1d12h", 129600), (" 2H ", 7200), ("30d", 2592000)],
)
def test_ttl_parsed(text: str, seconds: int) -> None:
    assert validate.ttl(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "0s", "2", "h", "2x", "-1h", "1h-", "31d", "1.5h", "2h 3m"])
def test_ttl_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="TTL"):
        validate.ttl(text)
