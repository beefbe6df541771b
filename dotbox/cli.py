"""The dotbox command line: parse, call the API, print text or --json, map errors to exit codes.

Heavy modules (docker, psycopg, pglast, rich) are imported inside the commands that need them.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import typer

from dotbox.errors import EXIT_CODES, DotboxError

EXIT_TABLE = "\n\n".join(["Exit codes:"] + [f"{code}  {text}" for code, text in EXIT_CODES.items()])

app = typer.Typer(
    name="dotbox",
    help="Disposable, isolated PostgreSQL sandboxes seeded from a snapshot of official DDL.",
    epilog=EXIT_TABLE,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
snapshot_app = typer.Typer(help="Import, list and show snapshots (DDL, content-addressed).",
                           no_args_is_help=True, epilog=EXIT_TABLE, rich_markup_mode=None)
image_app = typer.Typer(help="Base images (PostgreSQL per major) and baked sandbox images.",
                        no_args_is_help=True, epilog=EXIT_TABLE, rich_markup_mode=None)
app.add_typer(snapshot_app, name="snapshot")
app.add_typer(image_app, name="image")

JsonOpt = typer.Option(False, "--json", help="Print JSON for scripts instead of text.")

_debug = False


@app.callback()
def _main(debug: bool = typer.Option(False, "--debug", help="Show tracebacks.")) -> None:
    global _debug
    _debug = debug or os.environ.get("DOTBOX_DEBUG") == "1"


def fail(exc: DotboxError) -> NoReturn:
    if _debug:
        raise exc
    typer.echo(f"dotbox: error: {exc.one_line()}", err=True)
    raise typer.Exit(exc.exit_code)


def emit(data: Any) -> None:
    from pydantic import BaseModel

    def plain(obj: Any) -> Any:
        if isinstance(obj, BaseModel):
            return obj.model_dump(mode="json")
        if isinstance(obj, list):
            return [plain(o) for o in obj]
        if isinstance(obj, dict):
            return {k: plain(v) for k, v in obj.items()}
        return obj

    typer.echo(json.dumps(plain(data), indent=2))


def _progress() -> Any:
    from dotbox.progress import display

    return display()


# ---- sandboxes ----------------------------------------------------------------------------

@app.command()
def create(
    snapshot: str = typer.Option("default", "--snapshot", "-s", help="Snapshot to start from."),
    name: str = typer.Option(None, "--name", "-n", help="Sandbox id (default: sb-XXXXXXXX)."),
    ttl: str = typer.Option("2h", "--ttl", help="Time to live: 90s, 15m, 2h, 1d12h."),
    superuser: bool = typer.Option(False, "--superuser", help="Hand out a superuser (opt-in)."),
    as_json: bool = JsonOpt,
) -> None:
    """Create a sandbox: a PostgreSQL container with no network, reached through its socket.

    Bakes the snapshot into an image first if that was never done. Prints the DSN.
    """
    from dotbox import api

    try:
        with _progress() as progress:
            sb = api.sandbox(snapshot, name=name, ttl=ttl, superuser=superuser, progress=progress)
    except DotboxError as exc:
        fail(exc)
    if as_json:
        c = sb.credentials
        emit({"id": sb.id, "dsn": c.dsn, "socket_dir": str(c.socket_dir), "user": c.user,
              "password": c.password, "database": c.database, "snapshot": sb.info.snapshot,
              "snapshot_digest": sb.info.snapshot_digest, "pg_major": sb.info.pg_major,
              "superuser": sb.info.superuser, "expires": sb.info.expires.isoformat()})
    else:
        typer.echo(sb.dsn)


@app.command("list")
def list_(as_json: bool = JsonOpt) -> None:
    """List sandboxes (read from the engine's labels)."""
    from dotbox import api

    try:
        found = api.list_sandboxes()
    except DotboxError as exc:
        fail(exc)
    if as_json:
        emit(found)
        return
    if not found:
        typer.echo("no sandboxes")
        return
    typer.echo(f"{'ID':<20} {'STATE':<9} {'SNAPSHOT':<16} {'PG':<3} {'EXPIRES':<20} SOCKET")
    for s in found:
        typer.echo(f"{s.id:<20} {s.state:<9} {s.snapshot:<16} {s.pg_major:<3} "
                   f"{s.expires:%Y-%m-%d %H:%M:%S}  {s.socket_dir}")


@app.command()
def show(sandbox: str = typer.Argument(..., help="Sandbox id."), as_json: bool = JsonOpt) -> None:
    """Show one sandbox: state, snapshot, expiry and DSN."""
    from dotbox import api

    try:
        sb = api.get(sandbox)
    except DotboxError as exc:
        fail(exc)
    dsn = sb.credentials.dsn if sb._credentials else None
    if as_json:
        emit({**sb.info.model_dump(mode="json"), "dsn": dsn})
        return
    for key, value in sb.info.model_dump().items():
        typer.echo(f"{key:<16} {value}")
    typer.echo(f"{'dsn':<16} {dsn or '(credentials not on this host)'}")


@app.command()
def drop(
    sandboxes: list[str] = typer.Argument(None, help="Sandbox ids."),
    all_: bool = typer.Option(False, "--all", help="Drop every dotbox sandbox."),
    as_json: bool = JsonOpt,
) -> None:
    """Destroy sandboxes: container, volumes and socket directory, confirmed by reading back."""
    from dotbox import sandboxes as sb

    try:
        if all_ and sandboxes:
            raise _invalid("give sandbox ids or --all, not both")
        if not all_ and not sandboxes:
            raise _invalid("name the sandboxes to drop, or pass --all")
        refs = [s.id for s in sb.list_sandboxes()] if all_ else list(sandboxes)
    except DotboxError as exc:
        fail(exc)
    errors: list[tuple[str, DotboxError]] = []
    reports = sb.drop_many(refs, lambda ref, exc: errors.append((ref, exc)))
    if as_json:
        emit({"dropped": reports,
              "errors": [{"id": r, "error": e.one_line(), "exit_code": e.exit_code} for r, e in errors]})
    else:
        for r in reports:
            typer.echo(f"dropped {r.id} in {r.seconds:.3f}s (confirmed gone)")
    for ref, exc in errors:
        typer.echo(f"dotbox: error: {exc.one_line()}", err=True)
    if errors:
        raise typer.Exit(errors[0][1].exit_code)


def _invalid(message: str) -> DotboxError:
    from dotbox.errors import InvalidInput

    return InvalidInput(message)


@app.command()
def demo() -> None:
    """The main job on the bundled default snapshot: create, query, drop, printing each step."""
    import time

    from dotbox import api

    try:
        t0 = time.monotonic()
        with _progress() as progress:
            sb = api.sandbox(progress=progress)
        typer.echo(f"created  {sb.id} in {time.monotonic() - t0:.2f}s  ({sb.info.snapshot} on "
                   f"PostgreSQL {sb.info.pg_major}, no network, socket {sb.info.socket_dir})")
        with sb:
            tables = sb.query(
                "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN"
                " ('pg_catalog', 'information_schema')")[0][0]
            sb.query("INSERT INTO runtime.block (code, title) VALUES ('C1', 'demo block')")
            rows = sb.query("SELECT code, title FROM runtime.block")
            typer.echo(f"queried  {tables} tables; wrote and read back {rows}")
            t1 = time.monotonic()
        typer.echo(f"dropped  {sb.id} in {time.monotonic() - t1:.3f}s (confirmed gone)")
    except DotboxError as exc:
        fail(exc)


# ---- snapshots ----------------------------------------------------------------------------

@snapshot_app.command("import")
def snapshot_import(
    file: Path = typer.Argument(..., help="A plain-SQL, schema-only dump."),
    name: str = typer.Option(..., "--name", "-n", help="Snapshot name."),
    pg: int = typer.Option(None, "--pg", help="PostgreSQL major (default: the dump's header, else 17)."),
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
        typer.echo(f"snapshot {m.name} sha256:{m.digest[:16]} PostgreSQL {m.pg_major} "
                   f"({m.pg_major_from}), {m.statements} statements, {m.counts.get('tables', 0)} tables")


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
        typer.echo(f"{m.name:<24} {m.digest[:16]:<18} {m.pg_major:<3} "
                   f"{m.counts.get('tables', 0):>6}  {m.source}")


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


# ---- images -------------------------------------------------------------------------------

@image_app.command("build")
def image_build(pg: int = typer.Option(..., "--pg", help="PostgreSQL major: 15, 17 or 18.")) -> None:
    """Build the base image for a PostgreSQL major (official image, else Debian packages)."""
    from dotbox import images

    try:
        with _progress() as progress:
            images.build_base(pg, progress=progress)
        typer.echo(images.base_tag(pg))
    except DotboxError as exc:
        fail(exc)


@image_app.command("bake")
def image_bake(snapshot: str = typer.Argument("default"), as_json: bool = JsonOpt) -> None:
    """Bake a snapshot into its sandbox image (does nothing if that image exists)."""
    from dotbox import images, snapshots

    try:
        with _progress() as progress:
            img = images.sandbox_image(snapshots.get(snapshot), progress=progress)
    except DotboxError as exc:
        fail(exc)
    if as_json:
        emit(img)
    else:
        typer.echo(img.tags[0] if img.tags else img.id)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("dotbox: interrupted", err=True)
        sys.exit(130)
