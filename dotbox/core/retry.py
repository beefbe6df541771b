"""The one wait helper: poll until a call succeeds or a deadline passes. Every wait uses it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_fixed

T = TypeVar("T")


def poll(
    attempt: Callable[[], T],
    *,
    deadline: float,
    interval: float,
    retry_on: tuple[type[BaseException], ...],
) -> T:
    """Call ``attempt`` until it returns; re-raise its last error once ``deadline`` s passed."""
    for try_ in Retrying(
        stop=stop_after_delay(deadline),
        wait=wait_fixed(interval),
        retry=retry_if_exception_type(retry_on),
        reraise=True,
    ):
        with try_:
            return attempt()
    raise AssertionError("unreachable")  # pragma: no cover
