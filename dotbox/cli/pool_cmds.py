"""dotbox pool fill | status | drain."""

from __future__ import annotations

import typer

from dotbox.cli.shared import JsonOpt, command_module, emit, group

commands = command_module()

pool_app = group(
    commands,
    "pool",
    "A warm pool: sandboxes started ahead of time, so that 'dotbox create' (and"
    " dotbox.sandbox()) without --name, --superuser, --tcp or limits takes one in milliseconds"
    " and the pool refills in the background.",
)


@pool_app.command("fill")
def fill(
    snapshot: str = typer.Argument("default", help="Snapshot whose sandboxes to pool."),
    size: int = typer.Option(
        None,
        "--size",
        "-n",
        help="Sandboxes to keep ready (default: pool_size of the configuration, else the size"
        " last filled to).",
    ),
    ttl: str = typer.Option(
        None, "--ttl", help="How long a pooled sandbox waits before gc collects it (default 12h)."
    ),
    parallel: int = typer.Option(2, "--parallel", help="Sandboxes started at once."),
    as_json: bool = JsonOpt,
) -> None:
    """Start sandboxes of SNAPSHOT until SIZE are ready in its pool (replacing those of an
    older version of the snapshot). Claimed sandboxes are never put back."""
    from dotbox import pool
    from dotbox.core import config, validate

    if size is None:  # DOTBOX_POOL_SIZE or pool_size in dotbox.toml / [tool.dotbox]
        size = config.settings().pool_size
    report = pool.fill(
        snapshot,
        size,
        ttl=validate.ttl(ttl) if ttl else None,
        parallel=parallel,
        on_started=(lambda sid: None) if as_json else (lambda sid: typer.echo(f"pooled {sid}")),
    )
    if as_json:
        emit(report)
        return
    s = report.status
    typer.echo(
        f"pool {s.snapshot}: {s.ready}/{s.size} ready ({len(report.started)} started,"
        f" {len(report.replaced)} replaced, {report.seconds:.1f}s)"
    )


@pool_app.command("status")
def status(
    snapshot: str = typer.Argument(None, help="One snapshot's pool (default: every pool)."),
    as_json: bool = JsonOpt,
) -> None:
    """Show each pool: target size, ready sandboxes, those still starting, whether a fill runs."""
    from dotbox import pool

    found = pool.status(snapshot)
    if as_json:
        emit(found)
        return
    if not found:
        typer.echo("no pools")
        return
    typer.echo(f"{'SNAPSHOT':<20} {'SIZE':>4} {'READY':>5} {'STARTING':>8} {'STALE':>5} FILLING")
    for s in found:
        typer.echo(
            f"{s.snapshot:<20} {s.size:>4} {s.ready:>5} {s.starting:>8} {s.stale:>5} "
            f"{'yes' if s.filling else 'no'}"
        )


@pool_app.command("drain")
def drain(
    snapshot: str = typer.Argument(None, help="One snapshot's pool (default: every pool)."),
    as_json: bool = JsonOpt,
) -> None:
    """Stop refilling and drop every unclaimed sandbox of the pool (claimed ones stay)."""
    from dotbox import pool

    dropped = pool.drain(snapshot)
    if as_json:
        emit({"dropped": dropped})
        return
    typer.echo(f"drained: {len(dropped)} pooled sandbox(es) dropped")
