"""dotbox snapshot …"""

from __future__ import annotations

from pathlib import Path

import typer

from dotbox.cli import JsonOpt, emit, fail, group
from dotbox.errors import DotboxError

snapshot_app = group("snapshot", "Import, list and show snapshots (DDL, content-addressed).")


@snapshot_app.command("import")
def snapshot_import(
    file: Path = typer.Argument(..., help="A plain-SQL, schema-only dump."),
    name: str = typer.Option(..., "--name", "-n", help="Snapshot name."),
    pg: int = typer.Option(
        None, "--pg", help="PostgreSQL major (default: the dump's header, else 17)."
    ),
    replace: bool = typer.Option(False, "--replace", help="Replace a snapshot of that name."),
    allow_data: bool = typer.Option(False, "--allow-data", help="Accept data rows in the DDL."),
    as_json: bool = JsonOpt,
) -> None:
    """Import a DDL file as a snapshot, stored by the sha256 of its normalised text."""
    from dotbox import api

    try:
        m = api.import_snapshot(file, name, pg_major=pg, replace=replace, allow_data=allow_data)
    except DotboxError as exc:
        fail(exc)
    if as_json:
        emit(m)
    else:
        typer.echo(
            f"snapshot {m.name} sha256:{m.digest[:16]} PostgreSQL {m.pg_major} "
            f"({m.pg_major_from}), {m.statements} statements, {m.counts.get('tables', 0)} tables"
        )


@snapshot_app.command("list")
def snapshot_list(as_json: bool = JsonOpt) -> None:
    """List imported snapshots."""
    from dotbox import api

    found = api.list_snapshots()
    if as_json:
        emit(found)
        return
    if not found:
        typer.echo("no snapshots (the bundled 'default' is imported on first use)")
        return
    typer.echo(f"{'NAME':<24} {'DIGEST':<18} {'PG':<3} {'TABLES':>6}  SOURCE")
    for m in found:
        typer.echo(
            f"{m.name:<24} {m.digest[:16]:<18} {m.pg_major:<3} "
            f"{m.counts.get('tables', 0):>6}  {m.source}"
        )


@snapshot_app.command("show")
def snapshot_show(name: str = typer.Argument(...), as_json: bool = JsonOpt) -> None:
    """Show a snapshot's manifest."""
    from dotbox import api

    try:
        m = api.snapshot(name)
    except DotboxError as exc:
        fail(exc)
    if as_json:
        emit(m)
        return
    for key, value in m.model_dump().items():
        typer.echo(f"{key:<18} {value}")
