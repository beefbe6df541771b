"""dotbox create | list | show | drop | demo."""

from __future__ import annotations

from pathlib import Path

import typer

from dotbox.cli import create_drop, options
from dotbox.cli.complete import complete_sandbox
from dotbox.cli.options import DryRunOpt, cli_help, short_help
from dotbox.cli.shared import JsonOpt, command_module, emit, invalid_input, progress_display

commands = command_module()

# ---- sandboxes ----------------------------------------------------------------------------


@commands.command(help=cli_help("sandbox-create"), short_help=short_help("sandbox-create"))
def create(
    snapshot: str = options.Snapshot,
    name: str = typer.Option(None, "--name", "-n", help="Sandbox id (default: sb-XXXXXXXX)."),
    ttl: str = options.Ttl,
    superuser: bool = options.Superuser,
    tcp: bool = options.Tcp,
    memory: str = options.Memory,
    cpus: float = options.Cpus,
    pids: int = options.Pids,
    disk: str = options.Disk,
    max_connections: int = options.MaxConnections,
    max_prepared_transactions: int = options.MaxPreparedTransactions,
    dry_run: bool = DryRunOpt,
    as_json: bool = JsonOpt,
) -> None:
    server = {
        "max_connections": max_connections,
        "max_prepared_transactions": max_prepared_transactions,
    }
    if dry_run:
        from dotbox.core import config

        # the plan shows what create would use: flags over DOTBOX_… over the config file
        cfg = config.settings(
            snapshot=snapshot, ttl=ttl, superuser=superuser, tcp=tcp, memory=memory,
            cpus=cpus, pids=pids, disk=disk, **server,
        )  # fmt: skip
        from dotbox.cli.primitive_cmds import run_primitive

        raw = {**cfg.model_dump(exclude={"pool_size"}), "name": name}
        run_primitive("sandbox-create", raw, dry_run=True, as_json=as_json, render=print)
        return
    create_drop.create(
        snapshot=snapshot, name=name, ttl=ttl, superuser=superuser, tcp=tcp, memory=memory,
        cpus=cpus, pids=pids, disk=disk, **server, as_json=as_json,
    )  # fmt: skip


@commands.command("list")
def list_(as_json: bool = JsonOpt) -> None:
    """List sandboxes (read from the engine's labels)."""
    from dotbox.sandboxes import inventory

    found = inventory.rows()
    if as_json:
        typer.echo(inventory.json_text(found))
        return
    for line in inventory.text_lines(found):
        typer.echo(line)


@commands.command()
def show(
    sandbox: str = typer.Argument(..., help="Sandbox id.", autocompletion=complete_sandbox),
    as_json: bool = JsonOpt,
) -> None:
    """Show one sandbox: state, snapshot, expiry and DSN."""
    from dotbox import api
    from dotbox.sandboxes import inventory

    sb = api.get(sandbox)
    dsn = sb.credentials.dsn if sb._credentials else None
    tcp_dsn = sb.credentials.tcp_dsn if sb._credentials else None
    shown = inventory.shown_json(sb.info, inventory.forwarder_ports([sb.info]))
    if as_json:
        emit({**shown, "dsn": dsn, "tcp_dsn": tcp_dsn})
        return
    for key, value in sb.info._asdict().items():
        if key == "socket_dir" and sb.info.tcp:  # its socket is in a volume, not on the host
            continue
        typer.echo(f"{key:<16} {value}")
    typer.echo(f"{'host':<16} {shown['host']}")
    typer.echo(f"{'port':<16} {shown['port'] or '(forwarder not running)'}")
    typer.echo(f"{'dsn':<16} {dsn or '(credentials not on this host)'}")
    if tcp_dsn:
        typer.echo(f"{'tcp_dsn':<16} {tcp_dsn}")


@commands.command(help=cli_help("sandbox-drop"), short_help=short_help("sandbox-drop"))
def drop(
    sandboxes: list[str] = typer.Argument(
        None, help="Sandbox ids.", autocompletion=complete_sandbox
    ),
    all_: bool = typer.Option(False, "--all", help="Drop every dotbox sandbox."),
    dry_run: bool = DryRunOpt,
    as_json: bool = JsonOpt,
) -> None:
    from dotbox.sandboxes import lifecycle as sb

    if all_ and sandboxes:
        raise invalid_input("give sandbox ids or --all, not both")
    if not all_ and not sandboxes:
        raise invalid_input("name the sandboxes to drop, or pass --all")
    refs = [s.id for s in sb.list_sandboxes()] if all_ else list(sandboxes)
    if dry_run:
        from dotbox.cli.primitive_cmds import run_primitive

        for ref in refs:
            run_primitive(
                "sandbox-drop", {"sandbox": ref}, dry_run=True, as_json=as_json, render=print
            )
        return
    if code := create_drop.drop(refs, as_json=as_json):
        raise typer.Exit(code)


@commands.command()
def demo(
    snapshot: str = typer.Option("default", "--snapshot", "-s", help="Snapshot to run it on."),
    out: Path = typer.Option(None, "--out", help="Bundle directory (default under DOTBOX_HOME)."),
) -> None:
    """The main job on the bundled default snapshot: create → vocab-build → apply a sample
    migration → verify → harness --auto → evidence export → drop, one line per step."""
    from dotbox import demo

    with progress_display() as progress:
        demo.run(snapshot=snapshot, out=out, echo=typer.echo, progress=progress)


@commands.command("env")
def env_(
    sandbox: str = typer.Argument(..., help="Sandbox id.", autocompletion=complete_sandbox),
    as_json: bool = JsonOpt,
) -> None:
    """Print shell exports for a sandbox: eval "$(dotbox env ID)"; psql. PGHOST is its socket
    directory, or 127.0.0.1 and PGPORT its forwarder's port for a --tcp sandbox."""
    import shlex

    from dotbox import api

    sb = api.get(sandbox)
    creds = sb.credentials
    if sb.info.tcp and creds.tcp_port is None:
        from dotbox.core.errors import Refused

        raise Refused(
            f"sandbox {sb.id} was made with --tcp but its forwarder is not running",
            hint=f"'dotbox drop {sb.id}' and create it again",
        )
    where = creds.conninfo()  # a --tcp sandbox: its forwarder on 127.0.0.1
    values = {
        "PGHOST": where["host"],
        "PGUSER": creds.user,
        "PGPASSWORD": creds.password,
        "PGDATABASE": creds.database,
        "PGPORT": where.get("port", "5432"),
        "DATABASE_URL": creds.dsn,
    }
    if as_json:
        emit(values)
        return
    for key, value in values.items():
        typer.echo(f"export {key}={shlex.quote(value)}")
