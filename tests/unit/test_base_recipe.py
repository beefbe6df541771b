"""The base recipe's digest: the one build-base.sh labels a base with (and .ci/setup compares)
and the one dotbox compares must agree, or every base looks stale."""

from __future__ import annotations

import subprocess
from importlib import resources

from dotbox import images
from dotbox.core.labels import Label
from dotbox.core.records import ImageInfo


def test_the_script_and_dotbox_compute_one_digest() -> None:
    script = resources.files("dotbox").joinpath("data/build-base.sh")
    with resources.as_file(script) as path:
        printed = subprocess.run(
            ["bash", str(path), "--recipe"], capture_output=True, text=True, check=True
        ).stdout.strip()
    assert printed == images.base_recipe()
    assert len(printed) == 12


def test_a_base_of_another_recipe_is_stale() -> None:
    def base(recipe: str | None) -> ImageInfo:
        labels = {Label.BASE: "pg17", **({Label.BASE_RECIPE: recipe} if recipe else {})}
        return ImageInfo(id="sha256:1", tags=["dotbox/base:pg17"], labels=labels, size_bytes=1)

    assert not images.stale_base(base(images.base_recipe()))
    assert images.stale_base(base("0123456789ab"))
    assert images.stale_base(base(None))  # made before bases were labelled with their recipe
