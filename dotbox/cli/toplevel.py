"""``main()``: the ``dotbox`` console script, and ``python -m dotbox``.

Every command line goes to the typer group (``dotbox.cli.group``) but the exact simple forms of
the two commands scripts run most, which are run here without importing typer:

    dotbox create [--json] [--snapshot NAME] [--name ID] [--ttl TTL]
    dotbox drop ID... [--json]

(options in any order, each at most once, a value not starting with "-"). They run the same
functions as their typer commands (``dotbox.cli.create_drop``) under the same error handler
(``dotbox.cli.one_line_errors.exit_code``): the same output and exit codes. Anything else
(another option, a missing or doubtful value, ``--help``, ``--debug``, shell completion) takes
the typer group, which parses, helps and refuses as usual.
"""

from __future__ import annotations

import errno
import functools
import gc
import os
import sys
from collections.abc import Callable
from typing import Any

from dotbox.cli.command_index import PROG

COMPLETING = f"_{PROG.upper()}_COMPLETE"  # click's completion variable: the group answers it
CREATE_VALUES = {"--snapshot": "snapshot", "--name": "name", "--ttl": "ttl"}


def main() -> None:
    work = None if COMPLETING in os.environ else fast_path(sys.argv[1:])
    if work is None:
        from dotbox.cli.group import app

        app(prog_name=PROG)
    elif code := _run(work):
        sys.exit(code)


def fast_path(args: list[str]) -> Callable[[], int] | None:
    """The work of ``dotbox ARGS`` if ARGS is one of the simple forms above, else None."""
    if args[:1] == ["drop"] and (ids := _drop_ids(args[1:])) is not None:
        return functools.partial(_dropped, ids, as_json="--json" in args)
    if args[:1] == ["create"] and (options := _create_options(args[1:])) is not None:
        return functools.partial(_created, options)
    return None


def _drop_ids(words: list[str]) -> list[str] | None:
    """The sandbox ids of ``drop WORDS``: one or more, and at most one --json."""
    ids = [w for w in words if w != "--json"]
    if not ids or len(words) - len(ids) > 1 or any(w.startswith("-") for w in ids):
        return None
    return ids


def _create_options(words: list[str]) -> dict[str, Any] | None:
    """The keyword arguments of ``create WORDS`` for ``create_drop.create``."""
    options: dict[str, Any] = {"as_json": False}
    rest = list(words)
    while rest:
        word = rest.pop(0)
        if word == "--json" and not options["as_json"]:
            options["as_json"] = True
            continue
        key = CREATE_VALUES.get(word)
        if key is None or key in options or not rest or rest[0].startswith("-"):
            return None
        options[key] = rest.pop(0)
    return options


def _dropped(ids: list[str], *, as_json: bool) -> int:
    from dotbox.cli import create_drop

    return create_drop.drop(ids, as_json=as_json)


def _created(options: dict[str, Any]) -> int:
    from dotbox.cli import create_drop

    create_drop.create(**options)
    return 0


def _run(work: Callable[[], int]) -> int:
    """Run ``work`` under the group's error handling: an error that ends it becomes one line
    and its exit code; a closed stdout ends it with exit 1 and nothing more, as click does."""
    from dotbox.cli.one_line_errors import exit_code
    from dotbox.core.errors import DotboxError

    try:
        try:
            return work()
        except (DotboxError, OSError, KeyboardInterrupt) as exc:
            return exit_code(exc, PROG)
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        _quiet_stdout()
        return 1
    finally:
        # The process ends now: the interpreter's last collections would walk every object
        # the imports made (pydantic's schemas, the driver), 20-40 ms, to free memory the
        # exit frees anyway. Objects freed by their reference counts still go at exit.
        gc.freeze()


def _quiet_stdout() -> None:
    """What is left to flush to a closed pipe goes nowhere (no second error at exit)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
