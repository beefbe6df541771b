"""The ``dotbox`` command's entry point (console script and ``python -m dotbox``).

Two commands are answered without importing the CLI (typer and click cost more than the rest
of the start): the overview (``dotbox``, ``dotbox --help``: ``command_index.overview``, the
same text typer prints) and ``dotbox list [--json]`` (``dotbox.sandbox.inventory``, which the typer
command calls too). Only those exact words take this path; anything else — other options,
``--debug`` or DOTBOX_DEBUG=1, shell completion — goes to ``dotbox.cli`` untouched.

For the rest, it tells ``dotbox.cli`` to register only the command being run (see
``command_index.COMMANDS``) instead of all of them. Importing ``dotbox.cli`` any other way
(tests, docs generation) registers every command, as before.
"""

from __future__ import annotations

import errno
import os
import sys

from dotbox.core.errors import DotboxError

LAZY = False  # set by main() before dotbox.cli is imported


def main() -> None:
    code = fast(sys.argv[1:])
    if code is not None:
        if code:
            sys.exit(code)
        return
    global LAZY
    LAZY = True
    from dotbox.cli.shared import main as cli_main

    cli_main()


def fast(argv: list[str]) -> int | None:
    """Answer ``argv`` without the CLI and return the exit code, or None when the CLI must."""
    if os.environ.get("DOTBOX_DEBUG") == "1" or os.environ.get("_DOTBOX_COMPLETE"):
        return None
    if argv in ([], ["--help"]):
        from dotbox.cli.command_index import overview

        # click's no_args_is_help: the overview on stderr, exit 2
        print(overview(), file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    if argv in (["list"], ["list", "--json"]):
        return _list(as_json=len(argv) == 2)
    return None


def _list(*, as_json: bool) -> int:
    """``dotbox list [--json]``, as ``dotbox.cli.sandbox_cmds.list_`` prints it."""
    from dotbox.sandbox import inventory

    try:
        found = inventory.rows()
        print(inventory.json_text(found) if as_json else "\n".join(inventory.text_lines(found)))
    except DotboxError as exc:
        return failed(exc)
    except KeyboardInterrupt:
        print("dotbox: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        error = storage_failure(exc)
        if error is None:
            raise
        return failed(error)
    return 0


def failed(exc: DotboxError) -> int:
    """One line on stderr for a DotboxError; its exit code (as ``dotbox.cli.fail``)."""
    print(f"dotbox: error: {exc.one_line()}", file=sys.stderr)
    return exc.exit_code


def storage_failure(exc: OSError) -> DotboxError | None:
    """A full or read-only disk met somewhere no write was expected, as a DotboxError naming
    the path; None for any other OSError."""
    if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
        return None
    from dotbox.core.paths import storage_error

    return storage_error(exc.filename, exc)
