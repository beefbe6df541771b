"""The dotbox command line: parse, call the API, print text or --json, map errors to exit codes.

One module per command group; heavy modules (docker, psycopg, pglast, rich) are imported inside
the commands that need them, so that ``dotbox --help`` starts fast.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, NoReturn

import typer

from dotbox.errors import EXIT_CODES, DotboxError


def _cheap_bool_flags() -> None:
    """Spare every run the import of pydantic that typer (0.2x) does to coerce flags.

    typer builds a pydantic TypeAdapter for each flag it processes — even ``--help`` when it is
    not given (value None) — which costs ~100 ms of pydantic import on every command. A bool
    flag whose value is None or already a bool needs no coercion: hand those back as they are
    and leave anything else (a bool from an environment variable, say) to typer. Applied only
    where typer has the hook it patches; elsewhere typer works as it always did.
    """
    param_cls = getattr(getattr(typer, "core", None), "_TyperParameter", None)
    original = getattr(param_cls, "get_runtime_param", None)
    if param_cls is None or original is None or getattr(original, "_dotbox", False):
        return

    class PlainBool:
        def __init__(self, param: Any) -> None:
            self.param = param

        def coerce(self, value: Any, **kwargs: Any) -> Any:
            if value is None or isinstance(value, bool):
                return value
            return fallback(self.param).coerce(value, **kwargs)

    def get_runtime_param(self: Any) -> Any:
        descriptor = getattr(self, "type_descriptor", None)
        if getattr(self, "_runtime_param", None) is None and (
            getattr(descriptor, "annotation", None) is bool
            and not (getattr(self, "multiple", False) or getattr(self, "nargs", 1) != 1)
        ):
            return PlainBool(self)
        return fallback(self)

    get_runtime_param._dotbox = True  # type: ignore[attr-defined]
    fallback: Any = original
    param_cls.get_runtime_param = get_runtime_param


_cheap_bool_flags()

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
    def plain(obj: Any) -> Any:
        if hasattr(obj, "model_dump"):  # a pydantic model (no pydantic import needed to know)
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
        app(prog_name="dotbox")
    except KeyboardInterrupt:
        typer.echo("dotbox: interrupted", err=True)
        sys.exit(130)


# Command modules register themselves on import (kept last: they import from this module).
from dotbox.cli import primitive_cmds  # noqa: E402,F401,I001  (others import it)
from dotbox.cli import (  # noqa: E402,F401
    config_cmds,
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
