"""dotbox run: a command in a network-less runner beside a sandbox."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from pathlib import Path

import typer

from dotbox.cli.complete import complete_sandbox
from dotbox.cli.shared import command_module

commands = command_module()


@commands.command()
def run(
    sandbox: str = typer.Argument(..., help="Sandbox id.", autocompletion=complete_sandbox),
    command: list[str] = typer.Argument(..., help="The command, after '--'."),
    rw: bool = typer.Option(False, "--rw", help="Mount the working directory read-write."),
    tcp: bool = typer.Option(
        False, "--tcp", help="Add a shim on the runner's own 127.0.0.1:5432 for TCP-only clients."
    ),
    image: str = typer.Option(
        None,
        "--image",
        help="Run CMD in this image instead: 'tools' (the bundled tools image, built on first"
        " use) or an image already on the engine (never pulled), same isolation.",
    ),
) -> None:
    """Run CMD in a runner container that can reach only SANDBOX.

    The runner has no network (like the sandbox), the sandbox's socket directory, the current
    directory at /work (read-only unless --rw), and PGHOST, PGPORT, PGUSER, PGDATABASE,
    PGPASSWORD, PGPASSFILE and DATABASE_URL set. Its exit code and output are the command's.
    The runner is removed at the end. Example: dotbox run sb-1234abcd -- psql -f migration.sql

    \b
    Images:
      default        the sandbox's base image: psql, pg_dump, python3-minimal (no pip,
                     no ctypes/asyncio: most Python packages cannot import), socat
      --image tools  dotbox/tools:pgNN, built offline from Debian's packages of the
                     sandbox's major on first use (~30 s, ~220 MB): psql, pg_dump, full
                     Python 3 with psycopg 3 and 2, SQLAlchemy, Alembic, Django
      --image IMAGE  your own image, already on the engine (dotbox never pulls), pinned
                     to its id: its ENTRYPOINT runs before CMD and its environment is kept;
                     it runs as you (your uid, whatever its USER), each VOLUME it declares
                     is a 64 MB tmpfs, and it needs /bin/sh and cat
    """
    from dotbox.sandboxes import runner

    def write(out: bytes | None, err: bytes | None) -> None:
        if out:
            sys.stdout.buffer.write(out)
            sys.stdout.buffer.flush()
        if err:
            sys.stderr.buffer.write(err)
            sys.stderr.buffer.flush()

    # A terminated dotbox (SIGTERM) unwinds like an interrupted one, so the runner is removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    code = runner.run(
        sandbox, command, on_output=write, rw=rw, tcp=tcp, image=image, progress=_phase_lines()
    )
    raise typer.Exit(code)


def _phase_lines() -> Callable[[str, int, int], None]:
    """Progress of a build (the tools image on first use) as one line per phase on stderr."""
    shown: set[str] = set()

    def line(phase: str, done: int, total: int) -> None:
        if phase not in shown:
            shown.add(phase)
            typer.echo(f"dotbox: building {phase}", err=True)

    return line


@commands.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def psql(
    ctx: typer.Context,
    sandbox: str = typer.Argument(..., help="Sandbox id.", autocompletion=complete_sandbox),
) -> None:
    """psql connected to SANDBOX, in a runner that can reach only it (see 'dotbox run').

    Interactive (a terminal) when stdin and stdout are terminals; otherwise stdin is passed to
    psql, and its output and exit code are dotbox's. Arguments after '--' go to psql, e.g.
    dotbox psql sb-1234abcd -- -c 'select 1' or dotbox psql sb-1234abcd < script.sql.
    The working directory is mounted read-only at /work (so \\i and -f can read files there).
    """
    from dotbox.sandboxes import runner

    tty = bool(sys.stdin and sys.stdin.isatty() and sys.stdout and sys.stdout.isatty())
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    code = runner.run_interactive(sandbox, ["psql", *ctx.args], tty=tty)
    raise typer.Exit(code)


@commands.command()
def dump(
    sandbox: str = typer.Argument(..., help="Sandbox id.", autocompletion=complete_sandbox),
    schema_only: bool = typer.Option(False, "--schema-only", help="The schema, no rows."),
    data_only: bool = typer.Option(False, "--data-only", help="The rows, no schema."),
    file: Path = typer.Option(
        None, "--file", "-f", help="Write the dump to FILE (made 0600) instead of stdout."
    ),
) -> None:
    """pg_dump of SANDBOX by its server's own major, written on the host.

    pg_dump runs in a runner made from the sandbox's base image (network none, the sandbox's
    socket only, no host directory mounted), so it is never older than the server; the dump
    comes back to stdout, or to FILE, written by you with mode 0600 and only when pg_dump
    succeeded. A plain SQL script: restore it with dotbox psql OTHER < FILE or dotbox run
    OTHER -- psql -f FILE. Exit 10 (pg_dump's error named) when pg_dump fails.
    """
    from dotbox.sandboxes import dump as dumping

    part = dumping.part_of(schema_only=schema_only, data_only=data_only)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    dumping.dump(sandbox, part, out=file, stdout=sys.stdout.buffer)
    sys.stdout.buffer.flush()
