"""What the commands print on stdout and stderr: a line, or data as indented JSON. Light on
purpose (no typer): ``dotbox create`` and ``dotbox drop`` print through it without typer."""

from __future__ import annotations

import json
import sys
from typing import Any

from dotbox.core.records import jsonable


def echo(text: str, *, err: bool = False) -> None:
    """One line on stdout (stderr with ``err``), flushed at once, as click's echo does: a line
    on stdout and one on stderr keep their order in a stream that gets both."""
    print(text, file=sys.stderr if err else sys.stdout, flush=True)


def emit(data: Any) -> None:
    """``data`` as indented JSON on stdout (records and models as their JSON form)."""
    echo(json.dumps(jsonable(data), indent=2))
