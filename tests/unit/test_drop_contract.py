"""sandbox-drop's contract is a dataclass checked without pydantic (so that `dotbox drop` from a
shell imports none): it refuses what a pydantic model would refuse, in the same words."""

from __future__ import annotations

from typing import Any

import pytest

from dotbox.core.errors import DotboxError, InvalidInput, Refused
from dotbox.primitives.drop import DropInputs, SandboxDrop
from dotbox.primitives.inputs import Inputs, SandboxId, validated


class AsAModel(Inputs):
    sandbox: SandboxId


def refusal(check: Any, raw: dict[str, Any]) -> tuple[type[DotboxError], str]:
    with pytest.raises(DotboxError) as caught:
        check(raw)
    return type(caught.value), str(caught.value)


def test_a_sandbox_id_passes() -> None:
    assert SandboxDrop().contract({"sandbox": "sb-1234abcd"}) == DropInputs(sandbox="sb-1234abcd")


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ({}, InvalidInput),
        ({"sandbox": "sb-1", "force": True}, InvalidInput),
        ({"sandbox": "Not A Name"}, InvalidInput),
        ({"sandbox": "postgresql://app:pw@official:5432/prod"}, Refused),
        ({"sandbox": "host=official dbname=prod"}, Refused),
    ],
    ids=["missing", "unknown-input", "bad-name", "dsn-url", "dsn-keywords"],
)
def test_refused_as_a_pydantic_model_refuses_it(raw: dict[str, Any], kind: type) -> None:
    by_dataclass = refusal(SandboxDrop().contract, raw)
    by_model = refusal(lambda r: validated(AsAModel, r, "sandbox-drop"), raw)
    assert by_dataclass == by_model
    assert by_dataclass[0] is kind


def test_a_value_that_is_not_text_is_refused() -> None:
    kind, message = refusal(SandboxDrop().contract, {"sandbox": 5})
    assert kind is InvalidInput and "sandbox" in message
