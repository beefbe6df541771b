"""What the command modules of ``dotbox.cli`` (``*_cmds.py``) build with.

Each command module holds its commands on a Typer of its own (``command_module()``) and is
imported only when one of its commands runs: ``dotbox.cli.group.LazyGroup`` takes the command
from it (``dotbox.cli.command_index.COMMANDS`` says which module holds which command). A
command raises DotboxError as it likes: the group turns it into one line and the exit code.

Heavy modules (docker, psycopg, pglast, rich) are imported inside the commands that need them,
so that each command starts fast.
"""

from __future__ import annotations

from typing import Any

import typer

from dotbox.cli.command_index import COMMANDS, EXIT_TABLE
from dotbox.cli.output import emit as emit  # the command modules' name for it
from dotbox.core.errors import DotboxError


def command_module() -> typer.Typer:
    """The Typer holding one command module's top-level commands and groups. It is never run on
    its own: the top-level group takes each command from it by name."""
    return typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)


def group(module: typer.Typer, name: str, help_: str) -> typer.Typer:
    """A command group (``dotbox NAME …``) of a command module, with its line of the index."""
    sub = typer.Typer(help=help_, no_args_is_help=True, epilog=EXIT_TABLE, rich_markup_mode=None)
    module.add_typer(sub, name=name, short_help=COMMANDS[name][1])
    return sub


JsonOpt = typer.Option(False, "--json", help="Print JSON for scripts instead of text.")


def progress_display() -> Any:
    """Progress bars on stderr for long work (``dotbox.cli.progress``, imported when used)."""
    from dotbox.cli.progress import display

    return display()


def invalid_input(message: str) -> DotboxError:
    """The error for command-line input that is wrong together (exit 2)."""
    from dotbox.core.errors import InvalidInput

    return InvalidInput(message)
