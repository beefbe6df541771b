"""The contract facet's checks that need no pydantic: a sandbox id, and the inputs of a
primitive that are a frozen dataclass (sandbox-drop's: ``dotbox drop`` from a shell imports no
pydantic). Inputs that are pydantic models are validated by ``dotbox.primitives.inputs``."""

from __future__ import annotations

import dataclasses
from typing import Any

from dotbox.core.errors import InvalidInput


def sandbox_id(value: str) -> str:
    """A sandbox id, never a connection string (refused with exit 4)."""
    from dotbox.core import validate
    from dotbox.sandboxes import lifecycle

    lifecycle.refuse_dsn(value)
    return validate.sandbox_name(value)


def dataclass_inputs(kind: type[Any], raw: dict[str, Any], name: str) -> Any:
    """``kind(**raw)`` with pydantic's words for an unknown or a missing input."""
    fields = {f.name: f for f in dataclasses.fields(kind)}
    if unknown := sorted(set(raw) - set(fields)):
        raise InvalidInput(f"{name}: {unknown[0]}: Extra inputs are not permitted")
    if missing := [k for k, f in fields.items() if k not in raw and required(f)]:
        raise InvalidInput(f"{name}: {missing[0]}: Field required")
    return kind(**raw)


def required(f: dataclasses.Field[Any]) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
