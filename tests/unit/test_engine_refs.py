"""A user's sandbox reference reaches the engine's API only as a name: '../x' and the like are
refused (InvalidInput, one line) before any engine call; API paths are quoted segment by
segment and never climb."""

from __future__ import annotations

import pytest

from dotbox.core.errors import InvalidInput
from dotbox.engine import client, transport
from dotbox.sandboxes import lifecycle

CLIMBING = ["../x", "..", ".", "a/../../x", "../../containers/json", "x/y", "", "a b", "x?y", "x#y"]


@pytest.mark.parametrize("ref", CLIMBING)
def test_a_reference_that_is_no_name_never_reaches_the_engine(
    ref: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_engine(*args: object, **kwargs: object) -> None:
        raise AssertionError("the engine was asked")

    monkeypatch.setattr(client, "inspect_container", no_engine)
    monkeypatch.setattr(client, "containers", no_engine)
    with pytest.raises(InvalidInput) as err:
        lifecycle.resolve(ref)
    assert "invalid sandbox name" in err.value.one_line() and err.value.exit_code == 2


@pytest.mark.parametrize(
    ("ref", "path"),
    [
        ("dotbox-sb-1", "dotbox-sb-1"),
        ("dotbox/base:pg17", "dotbox/base:pg17"),
        ("sha256:" + "a" * 64, "sha256:" + "a" * 64),
        ("x?all=1#", "x%3Fall%3D1%23"),
        ("x%2F..", "x%252F.."),
    ],
)
def test_api_paths_are_quoted_by_segment(ref: str, path: str) -> None:
    assert transport.api_path(ref) == path


@pytest.mark.parametrize("ref", ["..", "../x", "a/../b", "a//b", "/x", "x/", "./x"])
def test_api_paths_that_would_climb_are_refused(ref: str) -> None:
    with pytest.raises(InvalidInput, match="invalid engine reference"):
        transport.api_path(ref)
