"""The catalogue of primitives: every primitive carries all eight facets, and help, docs and
registry are generated from it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dotbox.cli import help_text
from dotbox.cli.group import app
from dotbox.primitives.catalogue import ENTRIES
from dotbox.primitives.facets import FACETS, Primitive
from dotbox.primitives.inputs import Inputs, fields
from dotbox.primitives.registry import CATALOGUE

ACTIONS = ("guard", "plan", "apply", "verify", "sandbox_of")


def test_catalogue_and_primitive_classes_hold_the_same_primitives() -> None:
    assert set(CATALOGUE) == set(ENTRIES)
    assert {
        "sandbox-create",
        "sandbox-drop",
        "vocab-build",
        "verify",
        "bad-input-harness",
        "evidence-readback",
    } <= set(CATALOGUE)


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_every_primitive_has_all_eight_facets(name: str) -> None:
    kind = CATALOGUE[name]
    primitive = kind()  # an abstract facet left out makes this a TypeError
    facets = help_text.facets(kind.entry)
    assert tuple(facets) == FACETS
    assert all(text.strip() for text in facets.values()), facets
    # contract: a pydantic model (or, for a drop, a dataclass) whose fields are exactly the
    # inputs the catalogue describes
    assert issubclass(kind.inputs, Inputs) or name == "sandbox-drop"
    assert list(fields(kind.inputs)) == list(kind.describe.inputs)
    # guard, plan, apply, verify and evidence's target are the primitive's own code
    for action in ACTIONS:
        assert action in kind.__dict__, f"{name} does not implement {action}"
    # rollback: implemented, or the catalogue says plainly why there is none
    if "rollback" not in kind.__dict__:
        assert re.match(r"None\b", kind.describe.rollback), kind.describe.rollback
    assert 0 in kind.describe.exit_codes and kind.describe.examples
    assert kind.failure.exit_code in kind.describe.exit_codes or name == "sandbox-create"
    assert isinstance(primitive, Primitive)


def test_a_primitive_outside_the_catalogue_cannot_be_defined() -> None:
    with pytest.raises(KeyError):
        type("Rogue", (CATALOGUE["verify"],), {"name": "rogue-primitive"})


COMMANDS = {
    "sandbox-create": ["create"],
    "sandbox-drop": ["drop"],
    "vocab-build": ["vocab", "build"],
    "verify": ["verify"],
    "bad-input-harness": ["harness"],
    "evidence-readback": ["evidence", "verify"],
    "apply": ["apply"],
}


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_help_has_the_same_sections_in_the_same_order(name: str) -> None:
    result = CliRunner().invoke(app, [*COMMANDS[name], "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    positions = [result.output.find(f"\n  {title}\n") for title in help_text.SECTIONS]
    assert all(p >= 0 for p in positions), (name, positions, result.output)
    assert positions == sorted(positions)
    assert "--dry-run" in result.output and "--json" in result.output
    assert CATALOGUE[name].entry.command.split()[1:] == COMMANDS[name]


def test_registry_manifest_names_code_entry_point_and_hash() -> None:
    manifest = help_text.registry_manifest()
    tools = {t["primitive"]: t for t in manifest["tools"]}
    assert set(tools) == set(CATALOGUE)
    for tool in tools.values():
        assert re.fullmatch(r"[0-9a-f]{64}", tool["sha256"])
        assert tuple(tool["facets"]) == FACETS
    assert tools["vocab-build"]["name"] == "dot-c1-staging-vocab-build"


def test_docs_pages_are_generated_from_the_catalogue() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "primitives"
    for entry in ENTRIES.values():
        page = docs / f"{entry.name}.md"
        assert page.exists(), f"{page} is missing: run `make docs`"
        assert page.read_text() == help_text.docs_page(entry), f"{page} is stale: `make docs`"


def test_primitives_command_lists_facets_and_exports_the_registry() -> None:
    import json

    listed = CliRunner().invoke(app, ["primitives", "--json"])
    assert listed.exit_code == 0
    assert [p["name"] for p in json.loads(listed.output)] == list(ENTRIES)
    registry = CliRunner().invoke(app, ["primitives", "--registry"])
    tools = json.loads(registry.output)["tools"]
    assert {t["entry_point"] for t in tools if t["name"].startswith("dot-")} == {
        f"dotbox.cli.governance_scripts:{n}"
        for n in (
            "sandbox_create",
            "sandbox_drop",
            "vocab_build",
            "verify",
            "bad_input_harness",
            "evidence_readback",
        )
    }
