"""The dotbox command line: parse, call the API, print text or --json, map errors to exit codes.

One module per command group; heavy modules (docker, psycopg, pglast, rich) are imported inside
the commands that need them, so that each command starts fast. (``dotbox``, ``dotbox --help``
and ``dotbox list [--json]`` do not even import this package: ``dotbox.cli.toplevel`` answers them.)
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, NoReturn

import typer

from dotbox.cli import command_index as commands
from dotbox.core.errors import DotboxError


def _cheap_plain_values() -> None:
    """Spare every run the import of pydantic that typer (0.2x) does to coerce values.

    typer builds a pydantic TypeAdapter for each parameter it processes — even ``--help`` when
    it is not given (value None) — which costs ~100 ms of pydantic import on every command. A
    bool or str parameter (no custom parser or click type) whose value is None or already of
    its type needs no coercion: hand those back as they are, and leave anything else to typer.
    Applied only where typer has the hook it patches; elsewhere typer works as it always did.
    """
    param_cls = getattr(getattr(typer, "core", None), "_TyperParameter", None)
    original = getattr(param_cls, "get_runtime_param", None)
    if param_cls is None or original is None or getattr(original, "_dotbox", False):
        return
    fallback: Any = original

    class AsItIs:
        def __init__(self, param: Any, kind: type) -> None:
            self.param, self.kind = param, kind

        def coerce(self, value: Any, **kwargs: Any) -> Any:
            if value is None or type(value) is self.kind:
                return value
            return fallback(self.param).coerce(value, **kwargs)

    def get_runtime_param(self: Any) -> Any:
        descriptor = getattr(self, "type_descriptor", None)
        kind = getattr(descriptor, "annotation", None)
        info = getattr(descriptor, "parameter_info", None)
        if (
            getattr(self, "_runtime_param", None) is None
            and kind in (bool, str)
            and getattr(info, "parser", None) is None
            and getattr(info, "click_type", None) is None
            and not getattr(self, "multiple", False)
            and getattr(self, "nargs", 1) == 1
        ):
            return AsItIs(self, kind)
        return fallback(self)

    get_runtime_param._dotbox = True  # type: ignore[attr-defined]
    param_cls.get_runtime_param = get_runtime_param


_cheap_plain_values()

EXIT_TABLE = commands.EXIT_TABLE

app = typer.Typer(
    name="dotbox",
    help=commands.DESCRIPTION,
    epilog=EXIT_TABLE,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def group(name: str, help_: str) -> typer.Typer:
    """A command group (``dotbox NAME …``), registered on the main app."""
    sub = typer.Typer(help=help_, no_args_is_help=True, epilog=EXIT_TABLE, rich_markup_mode=None)
    app.add_typer(sub, name=name, short_help=commands.COMMANDS[name][1])
    return sub


JsonOpt = typer.Option(False, "--json", help="Print JSON for scripts instead of text.")

_debug = False


@app.callback()
def _main(debug: bool = typer.Option(False, "--debug", help=commands.DEBUG_HELP)) -> None:
    global _debug
    _debug = debug or os.environ.get("DOTBOX_DEBUG") == "1"


def fail(exc: DotboxError) -> NoReturn:
    if _debug:
        raise exc
    from dotbox.cli.toplevel import failed

    raise typer.Exit(failed(exc))


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
    from dotbox.cli.progress import display

    return display()


def _invalid(message: str) -> DotboxError:
    from dotbox.core.errors import InvalidInput

    return InvalidInput(message)


# Command modules register their commands on `app` when imported. Each top-level command or
# group is registered by the module that command_index.COMMANDS names (which also holds its
# line in `dotbox --help`; tests/unit/test_cli_commands.py keeps the table complete); main()
# imports only the module of the command being run, so that `dotbox show` builds one module's
# commands instead of all of them. A command missing there still works: an unknown word loads
# every module.
COMMANDS: dict[str, str] = {name: module for name, (module, _) in commands.COMMANDS.items()}
MODULES = sorted(set(COMMANDS.values()))


def load_commands(command: str | None = None) -> typer.Typer:
    """Register the commands on ``app`` and return it: only ``command``'s module when the
    table knows it, else every module."""
    import importlib

    for module in [COMMANDS[command]] if command in COMMANDS else MODULES:
        importlib.import_module(f"dotbox.cli.{module}")
    _overview_lines()
    return app


def _overview_lines() -> None:
    """Give each top-level command its line of ``command_index.COMMANDS`` as short_help, and
    put commands and groups in the table's order: typer's ``dotbox --help`` then prints what
    ``dotbox.cli.command_index.overview`` prints without typer."""
    order = list(COMMANDS)

    def name_of(info: Any) -> str:  # typer's name of a command: given, else its function's
        callback = getattr(info, "callback", None)
        return str(info.name or (callback.__name__ if callback else "")).lower().replace("_", "-")

    def place(info: Any) -> int:
        return order.index(name_of(info)) if name_of(info) in order else len(order)

    for info in app.registered_commands:
        if name_of(info) in COMMANDS:
            info.short_help = commands.COMMANDS[name_of(info)][1]
    app.registered_commands.sort(key=place)
    app.registered_groups.sort(key=place)


def _command_word(argv: list[str]) -> str | None:
    """The command being run (or completed): the first word that is not an option."""
    if os.environ.get("_DOTBOX_COMPLETE"):  # the words typed before the one being completed
        if "COMP_WORDS" in os.environ:  # bash
            words = os.environ["COMP_WORDS"].split()
            cword = os.environ.get("COMP_CWORD", "0")
            argv = words[1 : int(cword)] if cword.isdigit() else []
        else:  # zsh, fish, powershell: the whole line, the last word the one being completed
            argv = os.environ.get("_TYPER_COMPLETE_ARGS", "").split()[1:-1]
    return next((word for word in argv if not word.startswith("-")), None)


def main() -> None:
    load_commands(_command_word(sys.argv[1:]))
    try:
        app(prog_name="dotbox")
    except KeyboardInterrupt:
        typer.echo("dotbox: interrupted", err=True)
        sys.exit(130)
    except OSError as exc:
        # A full or read-only disk met somewhere no write was expected: still one line.
        from dotbox.cli.toplevel import failed, storage_failure

        error = None if _debug else storage_failure(exc)
        if error is None:
            raise
        sys.exit(failed(error))


def _imported_by_the_entry_point() -> bool:
    from dotbox.cli import toplevel as entry

    return entry.LAZY


if not _imported_by_the_entry_point():
    load_commands()  # a library user (tests, docs generation) gets every command
