"""Every recipe in docs/recipes parses (fences closed, each block with a language, files at
relative paths), the index names each, and every dotbox command a recipe types exists with
the options it gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer

from dotbox.cli import group as cli_group
from tests import recipe_blocks
from tests.recipe_blocks import Block, MalformedRecipe

RECIPES = sorted(p for p in recipe_blocks.RECIPES.glob("*.md") if p.name != "README.md")
EXPECTED = {"django.md", "alembic.md", "rails.md", "prisma.md", "directus.md"}


def test_the_recipes_the_issue_asks_for_are_there_and_indexed() -> None:
    assert {p.name for p in RECIPES} == EXPECTED
    index = (recipe_blocks.RECIPES / "README.md").read_text()
    for name in EXPECTED:
        assert f"]({name})" in index, name


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.name)
def test_a_recipe_parses_into_files_and_shell_blocks(recipe: Path) -> None:
    found = recipe_blocks.blocks(recipe)
    assert any(b.is_shell for b in found), "a recipe has commands to type"
    recipe_blocks.script(recipe)  # no file written twice


def _is_group(command: Any) -> bool:
    return hasattr(command, "list_commands")  # typer's click or click's own


def _command(words: list[str]) -> Any:
    group = typer.main.get_command(cli_group.app)
    command: Any = group
    with group.make_context("dotbox", ["list"]) as ctx:
        for word in words:
            if not _is_group(command):
                break
            sub = command.get_command(ctx, word)
            assert sub is not None, f"dotbox {' '.join(words)}: no command {word!r}"
            command = sub
    assert not _is_group(command), f"dotbox {' '.join(words)} names a group"
    return command


def _unknown(words: list[str], options: list[str]) -> set[str]:
    command = _command(words)
    return set(options) - {o for p in command.params for o in (*p.opts, *p.secondary_opts)}


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.name)
def test_every_dotbox_command_in_a_recipe_exists_with_its_options(recipe: Path) -> None:
    found = recipe_blocks.blocks(recipe)
    typed = [c for b in found if b.is_shell for c in recipe_blocks.commands(b)]
    assert typed
    for words, options in typed:
        assert not _unknown(words, options), f"dotbox {' '.join(words)} {options}"


def test_the_command_reader_sees_through_subshells_and_stops_at_double_dash() -> None:
    block = Block(1, "sh", '(eval "$(dotbox env "$SB")" && dotbox run "$SB" --rw -- x --nope)\n')
    assert recipe_blocks.commands(block) == [(["env"], []), (["run"], ["--rw"])]
    assert _unknown(["run"], ["--rw", "--image"]) == set()
    assert _unknown(["run"], ["--rw", "--nope"]) == {"--nope"}  # the control
    with pytest.raises(AssertionError, match="no command 'nope'"):
        _command(["snapshot", "nope"])


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("```sh\ndotbox list\n", "never closed"),
        ("```\nplain\n```\n", "needs a language"),
        ("```python file=../x.py\n\n```\n", "relative path"),
        ("```python file=/etc/x\n\n```\n", "relative path"),
        ("```sh file=x.sh\ntrue\n```\n", "a sh block is run"),
    ],
)
def test_a_malformed_recipe_is_refused_with_its_line(tmp_path: Path, text: str, words: str) -> None:
    bad = tmp_path / "bad.md"
    bad.write_text("# A recipe\n\n" + text)
    with pytest.raises(MalformedRecipe, match=words):
        recipe_blocks.blocks(bad)


def test_a_file_written_twice_is_refused(tmp_path: Path) -> None:
    twice = tmp_path / "twice.md"
    twice.write_text("```python file=a.py\nx = 1\n```\n\n```python file=a.py\nx = 2\n```\n")
    with pytest.raises(MalformedRecipe, match="written twice"):
        recipe_blocks.script(twice)
