"""Options shared by several commands. Those of ``dotbox create`` and ``dotbox config`` default
to None (not given), so that the configuration (file, then DOTBOX_… variables) decides what was
not given. Light on purpose: ``dotbox list`` imports this module."""

from __future__ import annotations

import typer

from dotbox.cli.complete import complete_snapshot

Snapshot = typer.Option(
    None,
    "--snapshot",
    "-s",
    help="Snapshot to start from (default: default).",
    autocompletion=complete_snapshot,
)
Ttl = typer.Option(None, "--ttl", help="Time to live: 90s, 15m, 2h, 1d12h (default 2h).")
Superuser = typer.Option(
    None, "--superuser/--no-superuser", help="Hand out a superuser (opt-in; default no)."
)
Tcp = typer.Option(
    None,
    "--tcp/--no-tcp",
    help="Add a forwarder publishing one port on 127.0.0.1 (TCP DSN; default no).",
)
Memory = typer.Option(None, "--memory", help="Memory limit (default 512m).")
Cpus = typer.Option(None, "--cpus", help="CPU limit (default 1.0).")
Pids = typer.Option(None, "--pids", help="Process limit (default 256).")
MaxConnections = typer.Option(
    None,
    "--max-connections",
    help="The server's max_connections, 10-1000 (default 100: 97 for the handed-out role).",
)
MaxPreparedTransactions = typer.Option(
    None,
    "--max-prepared-transactions",
    help="The server's max_prepared_transactions, 0-1000 (default 10: two-phase commit).",
)
DryRunOpt = typer.Option(False, "--dry-run", help="Print the exact plan; change nothing.")


def short_help(name: str) -> str:
    """The first sentence of a primitive's purpose: its line in ``dotbox --help``."""
    from dotbox.primitives.catalogue import ENTRIES

    text = ENTRIES[name].describe.purpose
    for stop in (": ", ". ", "; ", ", or ", " ("):
        text = text.split(stop)[0]
    return text.rstrip(".")


def cli_help(name: str) -> str:
    """A primitive's help for click: each section kept as written (\\b stops re-wrapping)."""
    from dotbox.cli.help_text import sections
    from dotbox.primitives.catalogue import ENTRIES

    return "\n\n".join(f"\b\n{title}\n{body}" for title, body in sections(ENTRIES[name]))


Disk = typer.Option(
    None, "--disk", help="Cap the data directory (tmpfs of this size, e.g. 1g; default none)."
)
