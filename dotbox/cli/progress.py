"""Progress on stderr for long work (bake, base build); silent when stderr is not a terminal.
rich is imported, and the bars drawn, at the first report: work that reports nothing (a
create handed out by the warm pool) never loads it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dotbox.images import Progress


@contextmanager
def display(enabled: bool = True) -> Iterator[Progress]:
    if not enabled or not sys.stderr.isatty():
        yield lambda phase, done, total: None
        return
    with ExitStack() as shown:
        bars: Any = None
        task: Any = None

        def update(phase: str, done: int, total: int) -> None:
            nonlocal bars, task
            if bars is None:
                bars = shown.enter_context(_bars())
            if task is None:
                task = bars.add_task(phase, total=total or None)
            bars.update(task, description=phase, completed=done, total=total or None)

        yield update


def _bars() -> Any:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.progress import Progress as RichProgress

    return RichProgress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
