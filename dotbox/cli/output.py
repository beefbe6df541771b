"""What the commands print on stdout and stderr: a line, or data as indented JSON. Light on
purpose (no typer): ``dotbox create`` and ``dotbox drop`` print through it without typer."""

from __future__ import annotations

import json
import sys
from typing import Any


def echo(text: str, *, err: bool = False) -> None:
    """One line on stdout (stderr with ``err``), flushed at once, as click's echo does: a line
    on stdout and one on stderr keep their order in a stream that gets both."""
    print(text, file=sys.stderr if err else sys.stdout, flush=True)


def emit(data: Any) -> None:
    """``data`` as indented JSON on stdout (pydantic models as their JSON form)."""

    def plain(obj: Any) -> Any:
        if hasattr(obj, "model_dump"):  # a pydantic model (no pydantic import needed to know)
            return obj.model_dump(mode="json")
        if isinstance(obj, list):
            return [plain(o) for o in obj]
        if isinstance(obj, dict):
            return {k: plain(v) for k, v in obj.items()}
        return obj

    echo(json.dumps(plain(data), indent=2))
