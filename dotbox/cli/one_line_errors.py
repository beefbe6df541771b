"""The one error handler of dotbox's command lines: an error that ends a command becomes one
line on stderr (``PROG: error: …``) and its documented exit code (``dotbox.core.errors``).

Every front end calls it: the ``dotbox`` group (``dotbox.cli.group.LazyGroup.invoke``), the
console script's fast path for ``create`` and ``drop`` (``dotbox.cli.toplevel``) and the
governance scripts' argparse front end (``dotbox.cli.governance_scripts``). Light on purpose
(no typer): the fast path and the scripts need it too.
"""

from __future__ import annotations

import errno
import os
import sys

from dotbox.core.errors import DotboxError

INTERRUPTED = 130  # the shell's code for a command ended by SIGINT (128 + 2)


def debugging(flag: bool = False) -> bool:
    """Whether errors are to show their traceback: ``--debug`` given, or DOTBOX_DEBUG=1."""
    return flag or os.environ.get("DOTBOX_DEBUG") == "1"


def exit_code(exc: BaseException, prog: str, *, debug: bool = False) -> int:
    """Print the one line for ``exc`` on stderr and return its exit code.

    A DotboxError is reported as itself; a full or read-only disk met somewhere no write was
    expected (an OSError) as the storage error naming the path; Ctrl-C as "interrupted" (130).
    Anything else is not ours to report and is raised again, as is every error when debugging
    (``debug`` or DOTBOX_DEBUG=1), so that its traceback shows. Call it from an ``except``
    block."""
    if isinstance(exc, KeyboardInterrupt):
        print(f"{prog}: interrupted", file=sys.stderr)
        return INTERRUPTED
    error: DotboxError | None = None
    if isinstance(exc, DotboxError):
        error = exc
    elif isinstance(exc, OSError):
        error = storage_failure(exc)
    if error is None or debugging(debug):
        raise exc
    print(f"{prog}: error: {error.one_line()}", file=sys.stderr)
    return error.exit_code


def storage_failure(exc: OSError) -> DotboxError | None:
    """A full or read-only disk met somewhere no write was expected, as a DotboxError naming
    the path; None for any other OSError."""
    if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
        return None
    from dotbox.core.paths import storage_error

    return storage_error(exc.filename, exc)
