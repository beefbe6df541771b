"""dotbox snapshot …"""

from __future__ import annotations

from pathlib import Path

import typer

from dotbox.cli.shared import JsonOpt, command_module, emit, group

commands = command_module()

snapshot_app = group(
    commands,
    "snapshot",
    "Import, capture, list, show, diff and remove snapshots (DDL, content-addressed).",
)


@snapshot_app.command("import")
def snapshot_import(
    file: Path = typer.Argument(..., help="A plain-SQL, schema-only dump."),
    name: str = typer.Option(..., "--name", "-n", help="Snapshot name."),
    pg: int = typer.Option(
        None,
        "--pg",
        help="PostgreSQL major (default: the dump's header, raised to the oldest base above it"
        " when older than every base; else 17).",
    ),
    replace: bool = typer.Option(False, "--replace", help="Replace a snapshot of that name."),
    allow_data: bool = typer.Option(
        False,
        "--allow-data",
        help="Accept data rows in the DDL (rows of migration ledgers are accepted without it).",
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Import a DDL file as a snapshot, stored by the sha256 of its normalised text."""
    from dotbox import api
    from dotbox.cli.snapshot_text import import_lines

    m = api.import_snapshot(file, name, pg_major=pg, replace=replace, allow_data=allow_data)
    if as_json:
        emit(m)
    else:
        for line in import_lines(m):
            typer.echo(line)


@snapshot_app.command("capture")
def snapshot_capture(
    dsn: str = typer.Option(
        ...,
        "--dsn",
        help="The server to read, e.g. postgresql://user@host:5432/db (the password from the"
        " DSN, else $PGPASSWORD, which keeps it off the command line).",
    ),
    name: str = typer.Option(..., "--name", "-n", help="Snapshot name."),
    network: str = typer.Option(
        "host",
        "--network",
        help="Docker network of the one-shot pg_dump container: 'host' (default) or the name"
        " of a network the server is on.",
    ),
    replace: bool = typer.Option(False, "--replace", help="Replace a snapshot of that name."),
    allow_data: bool = typer.Option(False, "--allow-data", help="Accept data rows in the DDL."),
    data: list[str] = typer.Option(
        None,
        "--data",
        metavar="TABLE",
        help="Also take the rows of the tables matching this pg_dump --table pattern (globs:"
        " 'public.directus_*'); repeatable. Migration ledgers' rows are always taken.",
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Capture a live server's schema, read-only, as a snapshot.

    The one command that connects to a server that is not a sandbox. pg_dump --schema-only of
    the server's own major runs in a one-shot container (removed afterwards) with
    default_transaction_read_only=on; the password is never stored, logged or labelled. The dump
    is sanitised like an import. Exit 10 if the server cannot be read."""
    from dotbox import api
    from dotbox.cli.progress import display
    from dotbox.cli.snapshot_text import ledger_rows_in_words

    with display(not as_json) as progress:
        m = api.capture_snapshot(
            dsn,
            name,
            network=network,
            replace=replace,
            allow_data=allow_data,
            data=data or [],
            progress=progress,
        )
    if as_json:
        emit(m)
    else:
        typer.echo(
            f"snapshot {m.name} sha256:{m.digest[:16]} captured from {m.source}"
            f" (PostgreSQL {m.source_version}, system_identifier {m.system_identifier or '?'}),"
            f" {m.counts.get('tables', 0)} tables"
            + (
                f", migration ledger rows: {ledger_rows_in_words(m.ledger_rows)}"
                if m.ledger_rows
                else ""
            )
            + (f", rows of {ledger_rows_in_words(m.data_rows)}" if m.data_rows else "")
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
    from dotbox.cli.snapshot_text import manifest_lines

    m = api.snapshot(name)
    if as_json:
        emit(m)
        return
    for line in manifest_lines(m):
        typer.echo(line)


@snapshot_app.command("rm")
def snapshot_rm(name: str = typer.Argument(...), as_json: bool = JsonOpt) -> None:
    """Remove a snapshot (refused while a sandbox made from it exists; exit 8)."""
    from dotbox import api

    m = api.remove_snapshot(name)
    if as_json:
        emit(m)
    else:
        typer.echo(f"removed snapshot {m.name} sha256:{m.digest[:16]}")


@snapshot_app.command("diff")
def snapshot_diff(
    a: str = typer.Argument(..., help="The older snapshot."),
    b: str = typer.Argument(..., help="The newer snapshot."),
    as_json: bool = JsonOpt,
) -> None:
    """What changed from snapshot A to B, object by object, read from their DDL (no container).

    Tables by columns and constraints, functions by signature and body hash, every other object
    by its parsed definition. Exit 0 either way; the JSON's added/removed/changed say it."""
    from dotbox import api

    d = api.diff_snapshots(a, b)
    if as_json:
        emit(d)
        return
    if d.same:
        typer.echo(f"{a} and {b} define the same objects")
        return
    for key in d.added:
        typer.echo(f"+ {key}")
    for key in d.removed:
        typer.echo(f"- {key}")
    for change in d.changed:
        typer.echo(f"~ {change.object}")
        for detail in change.details:
            typer.echo(f"    {detail}")
    typer.echo(f"{len(d.added)} added, {len(d.removed)} removed, {len(d.changed)} changed")
