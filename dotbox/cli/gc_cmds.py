"""dotbox gc."""

from __future__ import annotations

import typer

from dotbox.cli.shared import JsonOpt, command_module, emit

commands = command_module()


@commands.command()
def gc(
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would go; remove nothing."),
    as_json: bool = JsonOpt,
) -> None:
    """Remove this DOTBOX_HOME's expired and broken sandboxes and expired review environments,
    and dangling runners, forwarders and bake containers, orphan volumes and socket
    directories (dotbox's only). It removes no image: 'dotbox image prune' does."""
    from dotbox.maintenance import janitor

    actions = janitor.plan_and_run(dry_run=dry_run)
    if as_json:
        emit(actions)
    else:
        if not actions:
            typer.echo("nothing to collect")
        for a in actions:
            verb = "would remove" if dry_run else ("removed" if a.done else "FAILED")
            typer.echo(
                f"{verb} {a.kind} {a.target}: {a.reason}" + (f" ({a.error})" if a.error else "")
            )
    if any(a.error for a in actions):
        raise typer.Exit(1)
