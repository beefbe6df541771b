"""Attack tests: each class of attack gets its own stand-in official server (a container of the
test's own on a bridge network of its own, a canary table, its port published on 127.0.0.1) and
a control proving the route to it exists outside dotbox. An attack test passes only when the
attack is refused or fails, the canary is unread and unchanged, and nothing is left.

These tests need the Docker engine: under CI=true a missing engine fails them, never skips."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.conftest import docker_engine  # noqa: F401  (autouse: engine or fail)
from tests.security.attack import Official, official_server


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "security" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture
def official() -> Iterator[Official]:
    """A fresh stand-in official server for this test alone; after the test it must have seen
    no connection and its canary must be as it was."""
    with official_server() as server:
        yield server
        server.assert_untouched()
