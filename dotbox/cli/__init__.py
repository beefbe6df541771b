"""The dotbox command line: parse, call the API, print text or --json, map errors to exit codes.

One module per command group; heavy modules (docker, psycopg, pglast, rich) are imported inside
the commands that need them, so that ``dotbox --help`` starts fast.
"""

from __future__ import annotations

import errno
import json
import os
import sys
from typing import Any, NoReturn

import typer

from dotbox.errors import EXIT_CODES, DotboxError

EXIT_TABLE = "\n\n".join(["Exit codes:"] + [f"{code}  {text}" for code, text in EXIT_CODES.items()])

app = typer.Typer(
    name="dotbox",
    help="Disposable, isolated PostgreSQL sandboxes seeded from a snapshot of official DDL.",
    epilog=EXIT_TABLE,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def group(name: str, help_: str) -> typer.Typer:
    """A command group (``dotbox NAME …``), registered on the main app."""
    sub = typer.Typer(help=help_, no_args_is_help=True, epilog=EXIT_TABLE, rich_markup_mode=None)
    app.add_typer(sub, name=name)
    return sub


JsonOpt = typer.Option(False, "--json", help="Print JSON for scripts instead of text.")

_debug = False


@app.callback()
def _main(debug: bool = typer.Option(False, "--debug", help="Show tracebacks.")) -> None:
    global _debug
    _debug = debug or os.environ.get("DOTBOX_DEBUG") == "1"


def fail(exc: DotboxError) -> NoReturn:
    if _debug:
        raise exc
    typer.echo(f"dotbox: error: {exc.one_line()}", err=True)
    raise typer.Exit(exc.exit_code)


def emit(data: Any) -> None:
    from pydantic import BaseModel

    def plain(obj: Any) -> Any:
        if isinstance(obj, BaseModel):
            return obj.model_dump(mode="json")
        if isinstance(obj, list):
            return [plain(o) for o in obj]
        if isinstance(obj, dict):
            return {k: plain(v) for k, v in obj.items()}
        return obj

    typer.echo(json.dumps(plain(data), indent=2))


def _progress() -> Any:
    from dotbox.progress import display

    return display()


def _invalid(message: str) -> DotboxError:
    from dotbox.errors import InvalidInput

    return InvalidInput(message)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("dotbox: interrupted", err=True)
        sys.exit(130)
    except OSError as exc:
        # A full or read-only disk met somewhere no write was expected: still one line.
        if _debug or exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
            raise
        from dotbox.paths import storage_error

        error = storage_error(exc.filename, exc)
        typer.echo(f"dotbox: error: {error.one_line()}", err=True)
        sys.exit(error.exit_code)


# Command modules register themselves on import (kept last: they import from this module).
from dotbox.cli import primitive_cmds  # noqa: E402,F401,I001  (others import it)
from dotbox.cli import (  # noqa: E402,F401
    doctor_cmds,
    evidence_cmds,
    gc_cmds,
    image_cmds,
    pool_cmds,
    review_cmds,
    run_cmds,
    sandbox_cmds,
    snapshot_cmds,
)
