"""dotbox config: the effective configuration and where each value came from."""

from __future__ import annotations

import json

import typer

from dotbox.cli import options
from dotbox.cli.shared import JsonOpt, command_module, emit

commands = command_module()


@commands.command("config")
def config_(
    snapshot: str = options.Snapshot,
    ttl: str = options.Ttl,
    superuser: bool = options.Superuser,
    tcp: bool = options.Tcp,
    memory: str = options.Memory,
    cpus: float = options.Cpus,
    pids: int = options.Pids,
    disk: str = options.Disk,
    max_connections: int = options.MaxConnections,
    max_prepared_transactions: int = options.MaxPreparedTransactions,
    as_json: bool = JsonOpt,
) -> None:
    """Print the effective configuration of 'dotbox create' and where each value came from.

    In increasing precedence: built-in defaults; dotbox.toml (top-level keys) or [tool.dotbox]
    in pyproject.toml, the nearest in this directory or above (DOTBOX_CONFIG=PATH names one,
    DOTBOX_CONFIG= turns lookup off); DOTBOX_SNAPSHOT, DOTBOX_TTL, … variables; flags (the
    same as create's, given here to preview them). Keys: snapshot, ttl, memory, cpus, pids,
    disk, superuser, tcp, pool_size, max_connections, max_prepared_transactions.
    """
    from dotbox.core import config

    flags = {
        "snapshot": snapshot,
        "ttl": ttl,
        "superuser": superuser,
        "tcp": tcp,
        "memory": memory,
        "cpus": cpus,
        "pids": pids,
        "disk": disk,
        "max_connections": max_connections,
        "max_prepared_transactions": max_prepared_transactions,
    }
    effective = config.load(flags)
    if as_json:
        emit(effective.as_json())
        return
    where = str(effective.file) if effective.file else "none (no dotbox.toml or [tool.dotbox])"
    typer.echo(f"config file: {where}")
    values = effective.settings.model_dump(mode="json")
    width = max(len(key) for key in config.KEYS)
    for key in config.KEYS:
        value = values[key]
        shown = (
            value if isinstance(value, str) else "(none)" if value is None else json.dumps(value)
        )
        typer.echo(f"{key:<{width}} {shown:<12} {effective.sources[key]}")
