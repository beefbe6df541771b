"""The ``dotbox`` command's typer group: the top-level group, which imports a command's module only
when that command runs, and the one place where an error of a command it runs becomes a line and
an exit code. ``dotbox.cli.toplevel.main`` (the console script) runs it for every command line
but the exact simple forms of ``create`` and ``drop``.

The group is click's lazily loading group (click's documentation, "Lazily Loading
Subcommands"): a subclass of typer's ``TyperGroup``, given to ``typer.Typer(cls=…)``, whose
``list_commands`` reads ``dotbox.cli.command_index.COMMANDS`` and whose ``get_command`` imports
the module named there and takes the command from that module's Typer
(``typer.main.get_command``). The ``Commands:`` section of ``dotbox --help`` is written from the
same table with click's help formatter, so ``dotbox --help`` imports no command module and
``dotbox list`` only ``dotbox.cli.sandbox_cmds``: each stays well under 150 ms. Every command
takes the same path; only typer's and click's public API is used.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import importlib
from collections.abc import Iterator
from typing import Any

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

from dotbox.cli.command_index import COMMANDS, DEBUG_HELP, DESCRIPTION, EXIT_TABLE, PROG
from dotbox.cli.one_line_errors import exit_code
from dotbox.cli.output import echo
from dotbox.core.errors import DotboxError, InvalidInput

# typer passes a bool parameter's value through as it is, but coerces any other value with
# pydantic, None included, which is the value of a flag not given: every command would import
# pydantic (~50 ms) for its --help flag alone, and the top level for --show-completion and
# --install-completion too. Given False as the default (the same "not given" to their
# callbacks), they stay cheap: `dotbox list` imports no pydantic.
FLAGS_NOT_GIVEN = {"help": False, "show_completion": False}
# click's UsageError, whichever click typer runs on (newer typers carry a copy of their own,
# which is not the ``click`` on the path): the base of typer's public BadParameter
UsageError: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError"
)


class LazyGroup(TyperGroup):
    """The top-level group: its commands are those of the index, loaded when one is run."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> TyperCommand | TyperGroup | None:
        if cmd_name not in COMMANDS:
            return None
        command = _commands_of(COMMANDS[cmd_name][0]).get(cmd_name)
        if command is not None:
            command.short_help = COMMANDS[cmd_name][1]  # its line in the overview (and completion)
        return command

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Any, list[str]]:
        word = args[0] if args else ""
        if word and word not in COMMANDS and not word.startswith("-") and not ctx.resilient_parsing:
            close = difflib.get_close_matches(word, list(COMMANDS))
            hint = f" Did you mean {', '.join(repr(m) for m in close)}?" if close else ""
            ctx.fail(f"No such command {word!r}.{hint}")
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The ``Commands:`` section, from the index, laid out by click's formatter."""
        with formatter.section("Commands"):
            formatter.write_dl([(name, line) for name, (_, line) in COMMANDS.items()])

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        with _usage_errors_as_one_line():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: Any) -> Any:
        """Run the command; an error that ends it becomes one line and its exit code."""
        try:
            with _usage_errors_as_one_line():
                return super().invoke(ctx)
        except (DotboxError, OSError, KeyboardInterrupt) as exc:
            code = exit_code(exc, PROG, debug=bool(ctx.params.get("debug")))
        raise typer.Exit(code)


@contextlib.contextmanager
def _usage_errors_as_one_line() -> Iterator[None]:
    """A usage error (an unknown option or command, a value of the wrong type, a missing
    argument) ends the command as dotbox's own errors do: one line naming the command's
    --help, and exit code 2 (invalid input), instead of click's usage block."""
    try:
        yield
    except UsageError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # a bare group: its help, as it was
            raise
        error: Any = exc  # click's: its ctx and format_message()
        where = error.ctx.command_path if error.ctx is not None else PROG
        message = " ".join(error.format_message().split())
        echo(f"{PROG}: error: {message} (see '{where} --help')", err=True)
        raise typer.Exit(InvalidInput.exit_code) from None


@functools.cache
def _commands_of(module: str) -> dict[str, TyperCommand | TyperGroup]:
    """The top-level commands and groups that ``dotbox.cli.MODULE`` holds, by name."""
    holder = importlib.import_module(f"dotbox.cli.{module}").commands
    built = typer.main.get_command(holder)
    found = built.commands if isinstance(built, TyperGroup) else {str(built.name): built}
    commands = {n: c for n, c in found.items() if isinstance(c, TyperCommand | TyperGroup)}
    for command in commands.values():
        _flags_default_to_false(command)
    return commands


def _flags_default_to_false(command: TyperCommand | TyperGroup) -> None:
    """Give ``command`` and its subcommands the defaults of ``FLAGS_NOT_GIVEN``."""
    defaults = command.context_settings.get("default_map") or {}
    command.context_settings["default_map"] = {**FLAGS_NOT_GIVEN, **defaults}
    for sub in getattr(command, "commands", {}).values():
        _flags_default_to_false(sub)


app = typer.Typer(
    name=PROG,
    cls=LazyGroup,
    help=DESCRIPTION,
    epilog=EXIT_TABLE,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"default_map": {**FLAGS_NOT_GIVEN, "install_completion": False}},
)


@app.callback()
def _options(debug: bool = typer.Option(False, "--debug", help=DEBUG_HELP)) -> None:
    pass  # dotbox's own options; LazyGroup.invoke reads --debug back from the context
