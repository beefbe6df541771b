"""The primitives' inputs as pydantic models: the contract facet validates a command line's or a
caller's raw values against them before anything happens. (A primitive whose inputs are a frozen
dataclass, as sandbox-drop's, is checked without pydantic: see ``facets.Primitive.contract``.)"""

from __future__ import annotations

import dataclasses
import typing
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from dotbox.core.errors import InvalidInput
from dotbox.primitives.contract import required, sandbox_id


class Inputs(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


SandboxId = Annotated[str, AfterValidator(sandbox_id)]


def validated(kind: type[Inputs], raw: dict[str, Any], name: str) -> Inputs:
    try:
        return kind.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        msg = str(first["msg"]).removeprefix("Value error, ")
        raise InvalidInput(f"{name}: {where}: {msg}" if where else msg) from None


def fields(kind: type[Any]) -> dict[str, tuple[Any, bool]]:
    """Each input of ``kind`` (a model or a dataclass): its type and whether it is required."""
    if dataclasses.is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        return {f.name: (hints[f.name], required(f)) for f in dataclasses.fields(kind)}
    return {k: (f.annotation, f.is_required()) for k, f in kind.model_fields.items()}
