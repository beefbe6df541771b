"""The dotbox command's top-level commands: the module of ``dotbox.cli`` that registers each, and
its line in ``dotbox --help``.

Data only (no typer; only ``dotbox.core.errors``): the top-level group
(``dotbox.cli.group.LazyGroup``) lists the commands from this table and imports a command's
module only when that command runs, so ``dotbox --help`` loads none of them. The lines are
rendered by click's help formatter, as any group's. tests/unit/test_cli_toplevel.py keeps the
table complete, and the lines of the commands that run a primitive equal the catalogue's
(``dotbox.cli.options.short_help``).
"""

from __future__ import annotations

from dotbox.core.errors import EXIT_CODES

PROG = "dotbox"
# Command word -> (module of dotbox.cli that registers it, its line in `dotbox --help`).
# `dotbox --help` lists them in this order: commands first, then groups.
COMMANDS: dict[str, tuple[str, str]] = {
    "create": ("sandbox_cmds", "Create a sandbox"),
    "list": ("sandbox_cmds", "List sandboxes (read from the engine's labels)"),
    "show": ("sandbox_cmds", "Show one sandbox: state, snapshot, expiry and DSN"),
    "drop": ("sandbox_cmds", "Destroy a sandbox"),
    "env": ("sandbox_cmds", "Print shell exports (PG*, DATABASE_URL) for a sandbox"),
    "run": ("run_cmds", "Run CMD in a runner container that can reach only SANDBOX"),
    "psql": ("run_cmds", "psql connected to SANDBOX, in a runner that reaches only it"),
    "dump": ("run_cmds", "pg_dump of SANDBOX by its own major, written on the host"),
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
    "db": ("db_cmds", "Per-test databases inside a sandbox: create, drop"),
    "vocab": ("primitive_cmds", "Controlled vocabularies: label every catalog object"),
    "evidence": ("evidence_cmds", "Read back a sandbox's evidence ledger, check it, export it"),
    "review": ("review_cmds", "Review environments: an application and a sandbox, no network"),
}

DESCRIPTION = "Disposable, isolated PostgreSQL sandboxes seeded from a snapshot of official DDL."
DEBUG_HELP = "Show tracebacks."
EXIT_TABLE = "\n\n".join(["Exit codes:"] + [f"{code}  {text}" for code, text in EXIT_CODES.items()])
