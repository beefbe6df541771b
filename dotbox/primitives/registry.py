"""The catalogue of governed primitives: each carries all eight facets and runs through the
one lifecycle runner (``run``). A test walks the catalogue and fails on any facet missing."""

from __future__ import annotations

from typing import Any

from dotbox.primitives.apply import MigrationApply
from dotbox.primitives.bad_input_harness import BadInputHarness
from dotbox.primitives.create import SandboxCreate
from dotbox.primitives.drop import SandboxDrop
from dotbox.primitives.facets import Primitive
from dotbox.primitives.readback import EvidenceReadback
from dotbox.primitives.verify import SchemaVerify
from dotbox.primitives.vocab_build import VocabBuild

CATALOGUE: dict[str, type[Primitive[Any, Any]]] = {
    p.name: p
    for p in (
        SandboxCreate,
        SandboxDrop,
        VocabBuild,
        SchemaVerify,
        BadInputHarness,
        EvidenceReadback,
        MigrationApply,
    )
}
