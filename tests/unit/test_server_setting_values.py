"""Server settings chosen per sandbox: validated ranges (one line naming the flag), the server's
command-line options, and the labels they are read back from."""

from __future__ import annotations

import pytest

from dotbox.core import server
from dotbox.core.errors import InvalidInput
from dotbox.primitives.create import CreateInputs


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({}, (100, 10)),
        ({"max_connections": 10, "max_prepared_transactions": 0}, (10, 0)),
        ({"max_connections": 1000, "max_prepared_transactions": 1000}, (1000, 1000)),
        ({"max_prepared_transactions": 64}, (100, 64)),
    ],
)
def test_values_in_range_are_taken(given: dict[str, int], expected: tuple[int, int]) -> None:
    assert server.make(**given) == expected
    assert CreateInputs(**given).server_settings() == expected


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"max_connections": 9}, "--max-connections 9 is not between 10 and 1000"),
        ({"max_connections": 1001}, "--max-connections 1001 is not between 10 and 1000"),
        ({"max_prepared_transactions": -1}, "--max-prepared-transactions -1 is not between 0"),
        ({"max_connections": True}, "--max-connections True is not between 10 and 1000"),
    ],
)
def test_values_out_of_range_are_one_line(given: dict[str, int], message: str) -> None:
    with pytest.raises(InvalidInput) as err:
        server.make(**given)
    text = str(err.value)
    assert text.startswith(message) and "\n" not in text and "(allowed: a whole number" in text


def test_sandbox_create_refuses_them_in_its_contract() -> None:
    with pytest.raises(InvalidInput, match="--max-connections 2"):
        CreateInputs(max_connections=2)


def test_options_and_labels_read_back() -> None:
    chosen = server.ServerSettings(250, 30)
    assert chosen.options() == [
        *("-c", "max_connections=250"),
        *("-c", "max_prepared_transactions=30"),
    ]
    assert server.of_labels(chosen.labels()) == chosen
    assert server.of_labels({}) == server.BAKED == (40, 0)  # made before they were chosen
    broken = {**chosen.labels(), "dotbox.max-connections": "many"}
    assert server.of_labels(broken) == (40, 30)
