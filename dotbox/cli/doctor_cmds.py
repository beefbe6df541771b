"""dotbox doctor."""

from __future__ import annotations

import typer

from dotbox.cli.shared import JsonOpt, command_module, emit

commands = command_module()


@commands.command()
def doctor(as_json: bool = JsonOpt) -> None:
    """Check the engine, storage driver, base images, disk space and leftover sandboxes, with a
    fix for each problem. Exits 13 when a check fails."""
    from dotbox.core.errors import DoctorFailed
    from dotbox.maintenance import doctor as checks

    found = checks.run()
    if as_json:
        emit(found)
    else:
        for c in found:
            typer.echo(f"{c.status:<5} {c.name:<20} {c.detail}")
            if c.fix:
                typer.echo(f"{'':<26} fix: {c.fix}")
    if any(c.status == "fail" for c in found):
        raise typer.Exit(DoctorFailed.exit_code)
