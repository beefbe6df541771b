"""Progress on stderr for long work (bake, base build); silent when stderr is not a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dotbox.images import Progress


@contextmanager
def display(enabled: bool = True) -> Iterator[Progress]:
    if not enabled or not sys.stderr.isatty():
        yield lambda phase, done, total: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.progress import Progress as RichProgress

    bars = RichProgress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task: Any = None

    def update(phase: str, done: int, total: int) -> None:
        nonlocal task
        if task is None:
            task = bars.add_task(phase, total=total or None)
        bars.update(task, description=phase, completed=done, total=total or None)

    with bars:
        yield update
