"""The Django, Alembic and Rails recipes of docs/recipes, run exactly as written: their files
written into an empty directory and their shell blocks run in order in one bash (``set -euo
pipefail``), with this session's dotbox and DOTBOX_HOME. Each block's output is then read for
what the recipe says it shows. Whatever the recipe leaves (it fails half-way) is removed.

Rails's image is not built by the recipe's Dockerfile (rubygems.org is unreachable here) but
from Debian 12's packages by tests/images/build-rails.sh, with the recipe's own Gemfile. It is
tagged by the digest of that script and the Gemfile and left on the engine, like the tools
image, so a second run does not build it again (~1-2 minutes)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dotbox.engine import client
from dotbox.sandboxes import run_image
from tests import recipe_blocks
from tests.integration.conftest import cli_json, run_cli

RECIPES = recipe_blocks.RECIPES
BUILD_RAILS = Path(__file__).resolve().parents[1] / "images" / "build-rails.sh"


@pytest.fixture(scope="module")
def tools() -> str:
    """The tools image of the default snapshot's major (17), built if missing; left on the
    engine like the base images."""
    return run_image.tools_image(17).id


@pytest.fixture(scope="module")
def rails_image(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The Rails recipe's app image, built from Debian's packages if missing."""
    blocks = recipe_blocks.blocks(RECIPES / "rails.md")
    gemfile = next(b.text for b in blocks if b.file == "Gemfile")
    key = hashlib.sha256(BUILD_RAILS.read_bytes() + gemfile.encode()).hexdigest()[:16]
    tag = f"dotbox-test-recipes/rails:{key}"
    if client.image(tag) is None:
        context = tmp_path_factory.mktemp("rails")
        (context / "Gemfile").write_text(gemfile)
        built = subprocess.run(
            ["bash", str(BUILD_RAILS), tag, str(context / "Gemfile")],
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return tag


def _ids(listing: object, key: str) -> set[str]:
    assert isinstance(listing, list)
    return {str(row[key]) for row in listing}


@pytest.fixture
def leaves_nothing() -> Iterator[None]:
    """Removes what a recipe that failed half-way left in this session's home, after checking
    that a recipe that ran to its end left nothing."""
    sandboxes, snapshots = _ids(cli_json("list"), "id"), _ids(cli_json("snapshot", "list"), "name")
    yield
    left = _ids(cli_json("list"), "id") - sandboxes
    stored = _ids(cli_json("snapshot", "list"), "name") - snapshots - {"default"}  # bundled
    for sandbox in left:
        run_cli("drop", sandbox)
    for snapshot in stored:
        run_cli("snapshot", "rm", snapshot)
    run_cli("image", "prune")
    assert not left and not stored, (left, stored)


def run_recipe(recipe: Path, cwd: Path, image: str = "") -> dict[str, str]:
    """Runs the recipe in ``cwd`` (``$IMAGE`` set to ``image``, the app's image, built
    elsewhere); what each shell block printed (stdout and stderr)."""
    bin_dir = cwd.parent / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "dotbox"
    wrapper.write_text(f'#!/bin/sh\nexec {sys.executable} -m dotbox "$@"\n')
    wrapper.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "DOTBOX_CONFIG": "",  # no dotbox.toml above the directory steers it
        "IMAGE": image,
    }
    proc = subprocess.run(
        ["bash", "-c", recipe_blocks.script(recipe)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout
    return recipe_blocks.outputs(recipe, proc.stdout)


def printed_by(outputs: dict[str, str], command: str) -> str:
    """What the shell block holding ``command`` printed."""
    found = [out for text, out in outputs.items() if command in text]
    assert len(found) == 1, f"{len(found)} blocks hold {command!r}"
    return found[0]


def assert_image_pruned(outputs: dict[str, str]) -> None:
    pruned = printed_by(outputs, "dotbox image prune")
    tags = [w for w in pruned.split() if w.startswith("dotbox/sandbox:")]
    assert tags, pruned
    assert all(client.image(tag) is None for tag in tags), tags


def test_the_django_recipe_as_written(tools: str, leaves_nothing: None, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    out = run_recipe(RECIPES / "django.md", project)

    migrated = printed_by(out, '"$SB" --image tools -- python3 manage.py migrate')
    assert "Applying shop.0001_initial... OK" in migrated, migrated
    assert (project / "shop/migrations/0001_initial.py").is_file()  # makemigrations, --rw
    drift = printed_by(out, 'dotbox verify "$SB"')
    for table in ("public.django_migrations", "public.shop_shelf", "public.shop_book"):
        assert f"drift: table {table} added" in drift, drift
    shown = printed_by(out, "dotbox snapshot show")
    assert "public.django_migrations (1 row)" in shown, shown

    following = printed_by(out, 'dotbox verify "$NEXT"')
    assert "equal to snapshot shop-migrated" in following, following
    assert "shop|0001_initial" in following.splitlines(), following
    assert "No migrations to apply." in following
    assert "Ran 3 tests" in following and "\nOK\n" in following, following
    assert "Creating test database" in following and "Destroying test database" in following
    databases = following.split("Destroying test database")[-1].splitlines()[1:]
    assert "sandbox" in databases and "test_sandbox" not in databases, databases
    assert_image_pruned(out)


def test_the_alembic_recipe_as_written(tools: str, leaves_nothing: None, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    out = run_recipe(RECIPES / "alembic.md", project)

    migrated = printed_by(out, '"$SB" --image tools -- alembic upgrade head')
    assert "Running upgrade  -> 0001" in migrated and "Running upgrade 0001 -> 0002" in migrated
    drift = printed_by(out, 'dotbox verify "$SB"')
    for table in ("public.alembic_version", "public.shelf", "public.book"):
        assert f"drift: table {table} added" in drift, drift
    shown = printed_by(out, "dotbox snapshot show")
    assert "public.alembic_version (1 row)" in shown, shown

    following = printed_by(out, 'dotbox verify "$NEXT"')
    assert "equal to snapshot library-migrated" in following, following
    assert "0002 (head)" in following
    assert "Running upgrade" not in following  # nothing ran again
    assert "Ran 3 tests" in following and "\nOK\n" in following, following
    assert_image_pruned(out)


def test_the_rails_recipe_as_written(
    rails_image: str, leaves_nothing: None, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    out = run_recipe(RECIPES / "rails.md", project, image=rails_image)

    drift = printed_by(out, 'dotbox verify "$SB"')
    tables = ("schema_migrations", "ar_internal_metadata", "shelves", "books")
    for table in tables:
        assert f"drift: table public.{table} added" in drift, drift
    assert "constraint public.shelves.shelves_slots_positive added: CHECK ((slots > 0))" in drift
    assert (project / "db/schema.rb").is_file()  # db:migrate dumped it, --rw
    shown = printed_by(out, "dotbox snapshot show")
    assert "public.ar_internal_metadata (1 row), public.schema_migrations (2 rows)" in shown

    following = printed_by(out, 'dotbox verify "$NEXT"')
    assert "equal to snapshot shop-rails-migrated" in following, following
    status = [line.split() for line in following.splitlines() if line.strip().startswith("up ")]
    assert [s[:2] for s in status] == [["up", "20250101000001"], ["up", "20250101000002"]]
    assert not [line for line in following.splitlines() if line.strip().startswith("down ")]
    assert "3 runs, 5 assertions, 0 failures, 0 errors" in following, following
    assert "Dropped database 'sandbox_test'" in following
    databases = following.split("Dropped database 'sandbox_test'")[-1].splitlines()[1:]
    assert "sandbox" in databases and "sandbox_test" not in databases, databases
    assert_image_pruned(out)
