"""Which image ``dotbox run --image`` runs: the tools image only if it carries dotbox's label
for that major (another recipe's is rebuilt, a foreign image refused), a user's image pinned to
its id with its entrypoint and volumes read from its config, a bad name refused before the
engine is asked, and a ``dotbox/`` tag only on an image dotbox made."""

from __future__ import annotations

from typing import Any

import pytest

from dotbox.core.errors import InvalidInput, NotFound, Refused
from dotbox.core.records import ImageInfo
from dotbox.engine import client
from dotbox.maintenance import image_inventory
from dotbox.sandboxes import run_image

ID = "sha256:" + "e" * 64


def serve(monkeypatch: pytest.MonkeyPatch, labels: dict[str, str], **config: Any) -> list[str]:
    """The engine holds one image, at every name, with ``labels`` and ``config``; returns the
    names it was asked for."""
    asked: list[str] = []

    def image(ref: str) -> ImageInfo:
        asked.append(ref)
        return ImageInfo(id=ID, tags=[], labels=labels, size_bytes=0)

    monkeypatch.setattr(client, "image", image)
    monkeypatch.setattr(client, "image_config", lambda ref: {"Labels": labels, **config})
    return asked


def current(major: int = 17) -> dict[str, str]:
    return {"dotbox.tools": f"pg{major}", "dotbox.recipe": run_image.tools_recipe()}


def test_the_current_tools_image_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    serve(monkeypatch, current())
    assert run_image.tools_image(17, build=False).id == ID
    assert run_image.resolve("tools", 17) == run_image.RunImage(ID, "dotbox/tools:pg17")


@pytest.mark.parametrize("labels", [{}, {"dotbox.tools": "pg15"}, {"dotbox.base": "pg17"}])
def test_a_tools_tag_on_a_foreign_image_is_refused(
    monkeypatch: pytest.MonkeyPatch, labels: dict[str, str]
) -> None:
    serve(monkeypatch, labels)
    with pytest.raises(Refused, match="has no dotbox.tools=pg17 label"):
        run_image.tools_image(17, build=False)


def test_a_tools_image_of_another_recipe_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    serve(monkeypatch, {"dotbox.tools": "pg17", "dotbox.recipe": "older"})
    with pytest.raises(NotFound, match="tools image dotbox/tools:pg17 is missing"):
        run_image.tools_image(17, build=False)


def test_no_tools_image_for_a_major_debian_does_not_carry(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = serve(monkeypatch, current(16))
    with pytest.raises(InvalidInput, match="no tools image for PostgreSQL 16"):
        run_image.tools_image(16)
    assert asked == []


def test_a_user_image_is_pinned_with_its_entrypoint_and_volumes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    serve(monkeypatch, {}, Entrypoint=["/entry.sh", "-x"], Volumes={"/var/b": {}, "/a": {}})
    assert run_image.resolve("registry.example:5000/team/app:1.2", 17) == run_image.RunImage(
        ID, "registry.example:5000/team/app:1.2", ("/entry.sh", "-x"), ("/a", "/var/b")
    )
    serve(monkeypatch, {}, Entrypoint=None, Volumes=None)
    assert run_image.resolve("app", 17) == run_image.RunImage(ID, "app")


@pytest.mark.parametrize("ref", ["", "-rm", "app name", "../../containers/x", "a" * 300, "ä"])
def test_a_bad_name_is_refused_before_the_engine_is_asked(
    monkeypatch: pytest.MonkeyPatch, ref: str
) -> None:
    asked = serve(monkeypatch, {})
    with pytest.raises(InvalidInput, match="invalid image"):
        run_image.resolve(ref, 17)
    assert asked == []


def test_a_missing_image_is_not_found_and_never_pulled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client, "image", lambda ref: None)
    with pytest.raises(NotFound, match="is not on the engine; dotbox never pulls"):
        run_image.resolve("app:1", 17)


@pytest.mark.parametrize(
    ("labels", "used"),
    [
        ({}, False),
        ({"dotbox.managed-by": "someone"}, False),
        ({"dotbox.managed-by": "dotbox"}, True),
        ({"dotbox.base": "pg17"}, True),
        ({"dotbox.tools": "pg18"}, True),
    ],
)
def test_a_dotbox_tag_runs_only_an_image_dotbox_made(
    monkeypatch: pytest.MonkeyPatch, labels: dict[str, str], used: bool
) -> None:
    serve(monkeypatch, labels)
    if used:
        assert run_image.resolve("dotbox/base:pg17", 17).id == ID
    else:
        with pytest.raises(Refused, match="dotbox did not make it"):
            run_image.resolve("dotbox/base:pg17", 17)
    assert run_image.resolve("mine/base:pg17", 17).id == ID  # the control: not a dotbox/ tag


@pytest.mark.parametrize(
    ("tags", "labels", "kind"),
    [
        (["dotbox/tools:pg17"], {"dotbox.tools": "pg17"}, "tools"),
        (["dotbox/tools:pg17"], {}, None),  # not dotbox's
        (["mine/app:1"], {"dotbox.tools": "pg17"}, None),  # built FROM it: labels inherited
        (["dotbox/base:pg17"], {"dotbox.base": "pg17"}, "base"),
    ],
)
def test_image_list_tells_a_tools_image_from_one_built_on_it(
    tags: list[str], labels: dict[str, str], kind: str | None
) -> None:
    found = ImageInfo(id=ID, tags=tags, labels=labels, size_bytes=0)
    assert image_inventory._kind(found) == kind
