"""The dotbox command's top-level commands: which ``dotbox.cli`` module registers each, and its
line in ``dotbox --help``.

Light on purpose (no typer, no click; only ``dotbox.core.errors``): ``dotbox --help`` is rendered
from this table without importing the CLI (``dotbox.cli.toplevel``), and ``dotbox.cli`` gives the
same lines to typer as each command's ``short_help`` — so both print the same overview.
tests/unit/test_cli_commands.py keeps the table complete, and the lines of the commands that
run a primitive equal the catalogue's (``dotbox.cli.options.short_help``).
"""

from __future__ import annotations

import os
import sys
import textwrap

from dotbox.core.errors import EXIT_CODES

# Command word -> (module of dotbox.cli that registers it, its line in `dotbox --help`).
# Commands first, then groups (typer lists them in that order); each part in this order.
COMMANDS: dict[str, tuple[str, str]] = {
    "create": ("sandbox_cmds", "Create a sandbox"),
    "list": ("sandbox_cmds", "List sandboxes (read from the engine's labels)"),
    "show": ("sandbox_cmds", "Show one sandbox: state, snapshot, expiry and DSN"),
    "drop": ("sandbox_cmds", "Destroy a sandbox"),
    "env": ("sandbox_cmds", "Print shell exports (PG*, DATABASE_URL) for a sandbox"),
    "run": ("run_cmds", "Run CMD in a runner container that can reach only SANDBOX"),
    "psql": ("run_cmds", "psql connected to SANDBOX, in a runner that reaches only it"),
    "demo": ("sandbox_cmds", "The main job on the default snapshot, one line per step"),
    "verify": ("primitive_cmds", "Prove that a sandbox's schema equals its snapshot"),
    "harness": ("primitive_cmds", "Throw invalid inputs at a sandbox"),
    "apply": ("primitive_cmds", "Run your migration"),
    "rollback": ("primitive_cmds", "Undo what one evidence record did, where it can be undone"),
    "primitives": ("primitive_cmds", "List the governed primitives with their eight facets"),
    "config": ("config_cmds", "Print the effective configuration and each value's source"),
    "doctor": ("doctor_cmds", "Check the engine, images, disk and leftovers; fix each problem"),
    "gc": ("gc_cmds", "Remove expired and broken sandboxes and dotbox's leftovers"),
    # groups
    "snapshot": ("snapshot_cmds", "Import, capture, list, show, diff and remove snapshots"),
    "image": ("image_cmds", "Base images (PostgreSQL per major) and baked sandbox images"),
    "pool": ("pool_cmds", "A warm pool: sandboxes started ahead of time"),
    "vocab": ("primitive_cmds", "Controlled vocabularies: label every catalog object"),
    "evidence": ("evidence_cmds", "Read back a sandbox's evidence ledger, check it, export it"),
    "review": ("review_cmds", "Review environments: an application and a sandbox, no network"),
}

DESCRIPTION = "Disposable, isolated PostgreSQL sandboxes seeded from a snapshot of official DDL."
DEBUG_HELP = "Show tracebacks."
USAGE = "Usage: dotbox [OPTIONS] COMMAND [ARGS]..."
# The options typer shows on the main app: dotbox's own (--debug), then typer's.
OPTIONS = [
    ("--debug", DEBUG_HELP),
    ("--install-completion", "Install completion for the current shell."),
    (
        "--show-completion",
        "Show completion for the current shell, to copy it or customize the installation.",
    ),
    ("--help", "Show this message and exit."),
]
EXIT_TABLE = "\n\n".join(["Exit codes:"] + [f"{code}  {text}" for code, text in EXIT_CODES.items()])


def columns() -> int:
    """The terminal's width as click reads it (``shutil.get_terminal_size``: COLUMNS, then
    the terminal of stdout, else 80)."""
    try:
        width = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        width = 0
    if width <= 0:
        try:
            width = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            width = 0
    return width or 80


def _fill(text: str, width: int, indent: str = "") -> str:
    """Each paragraph of ``text`` re-wrapped to ``width`` (click's ``wrap_text``)."""
    wrapper = textwrap.TextWrapper(
        width, initial_indent=indent, subsequent_indent=indent, replace_whitespace=False
    )
    return "\n\n".join(wrapper.fill(" ".join(p.split("\n"))) for p in text.split("\n\n"))


def _definitions(rows: list[tuple[str, str]], width: int) -> list[str]:
    """Two columns, as click's ``HelpFormatter.write_dl`` lays them out under a heading."""
    first = min(max(len(term) for term, _ in rows), 30) + 2
    lines = []
    for term, text in rows:
        wrapped = _fill(text, max(width - first - 2, 10)).splitlines()
        if len(term) <= first - 2:
            lines.append(f"  {term:<{first}}{wrapped[0]}")
        else:
            lines += [f"  {term}", " " * (first + 2) + wrapped[0]]
        lines += [" " * (first + 2) + line for line in wrapped[1:]]
    return lines


def overview(width: int | None = None) -> str:
    """``dotbox --help`` as typer prints it (click's layout, no colors), for ``width``
    columns (default: the terminal's)."""
    width = max(min(width or columns(), 80) - 2, 50)
    commands = [(name, line) for name, (_, line) in COMMANDS.items()]
    parts = [
        USAGE,
        "",
        _fill(DESCRIPTION, width, "  "),
        "",
        "Options:",
        *_definitions(OPTIONS, width),
        "",
        "Commands:",
        *_definitions(commands, width),
        "",
        _fill(EXIT_TABLE, width, "  "),
    ]
    return "\n".join(parts)
