"""A dotbox/* tag is used only if its image carries dotbox's label: a base image
dotbox.base=pgMAJOR, a sandbox image dotbox.recipe. A retagged foreign image is refused, one
line; a sandbox image of another recipe is baked anew (not refused)."""

from __future__ import annotations

import pytest

from dotbox import images
from dotbox.core.errors import Refused
from dotbox.core.records import ImageInfo
from dotbox.engine import client

ID = "sha256:" + "f" * 64


def serve(monkeypatch: pytest.MonkeyPatch, labels: dict[str, str]) -> None:
    found = ImageInfo(id=ID, tags=[], labels=labels, size_bytes=0)
    monkeypatch.setattr(client, "image", lambda ref: found)


def test_a_base_image_with_its_label_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    serve(monkeypatch, {"dotbox.base": "pg17"})
    assert images.base_image(17, build=False).id == ID


@pytest.mark.parametrize("labels", [{}, {"dotbox.base": "pg15"}, {"dotbox.recipe": "x"}])
def test_a_base_tag_on_a_foreign_image_is_refused(
    monkeypatch: pytest.MonkeyPatch, labels: dict[str, str]
) -> None:
    serve(monkeypatch, labels)
    with pytest.raises(Refused) as err:
        images.base_image(17, build=False)
    line = err.value.one_line()
    assert "image dotbox/base:pg17 (sha256:ffffffffffff) has no dotbox.base=pg17 label" in line
    assert "\n" not in line


def test_a_sandbox_tag_on_a_foreign_image_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    serve(monkeypatch, {"dotbox.base": "pg17"})
    with pytest.raises(Refused, match="has no dotbox.recipe label"):
        images.baked_image("dotbox/sandbox:pg17-x", "r1")


def test_a_sandbox_image_of_another_recipe_is_baked_anew(monkeypatch: pytest.MonkeyPatch) -> None:
    serve(monkeypatch, {"dotbox.recipe": "r0"})
    assert images.baked_image("dotbox/sandbox:pg17-x", "r1") is None
    assert images.baked_image("dotbox/sandbox:pg17-x", "r0") is not None
