"""dotbox db create | drop: per-test databases inside a sandbox."""

from __future__ import annotations

import typer

from dotbox.cli.complete import complete_sandbox
from dotbox.cli.shared import JsonOpt, command_module, emit, group

commands = command_module()

db_app = group(
    commands,
    "db",
    "Per-test databases inside a sandbox: each a fresh clone of a pristine copy of the"
    " sandbox's database, owned by a role of its own with its own password.",
)

SandboxArg = typer.Argument(..., help="Sandbox id.", autocompletion=complete_sandbox)


@db_app.command("create")
def create(sandbox: str = SandboxArg, as_json: bool = JsonOpt) -> None:
    """Clone a fresh database in SANDBOX; print its DSN (with --json: dsn, name, user,
    password, socket_dir)."""
    from dotbox.sandboxes import databases, lifecycle

    info, _ = lifecycle.show(sandbox)
    c = databases.create_one(info)
    if as_json:
        emit(
            {
                "sandbox": info.id,
                "name": c.database,
                "dsn": c.dsn,
                "user": c.user,
                "password": c.password,
                "socket_dir": str(c.socket_dir),
            }
        )
    else:
        typer.echo(c.dsn)


@db_app.command("drop")
def drop(
    sandbox: str = SandboxArg,
    name: str = typer.Argument(..., help="The database's name (db_…), as create printed it."),
) -> None:
    """Drop the database NAME of SANDBOX and its role; its open connections are ended."""
    from dotbox.core.errors import NotFound
    from dotbox.sandboxes import databases, lifecycle

    info, _ = lifecycle.show(sandbox)
    if not databases.drop_one(info, name):
        raise NotFound(f"sandbox {info.id} has no database {name}")
    typer.echo(f"dropped {name}")
