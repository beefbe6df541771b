"""dotbox run: a user's command in a runner container beside a sandbox.

The runner is made from the sandbox's base image (psql, python3, socat) and has network mode
``none`` like the sandbox: it sees the sandbox's socket directory, the working directory
(read-only unless ``rw``) and nothing else, so a script that hard-codes another server's address
has no interface to send it through. With ``tcp``, socat inside the runner listens on the
runner's own 127.0.0.1:5432 and relays to the socket, for clients that insist on TCP.

The password never enters the runner's configuration (what ``docker inspect`` shows): the
sandbox's password file is mounted read-only and a small wrapper exports ``PGPASSWORD`` and
``DATABASE_URL`` in the process's environment only. The runner is removed when the command ends.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path

from dotbox import engine, guard, images, paths, sandboxes
from dotbox.errors import InvalidInput

SOCKET = "/sock"
PASSWORD_FILE = "/run/dotbox/password"
WORKDIR = "/work"
SHIM_PORT = 5432
SHIM_FAILED = 125  # the wrapper's own failure: the TCP shim did not come up

# $1.. is the user's command. Runs as sh (dash) in the base image.
WRAPPER = f"""\
PGPASSWORD=$(cat {PASSWORD_FILE}) || exit {SHIM_FAILED}
export PGPASSWORD
if [ "$DOTBOX_TCP" = 1 ]; then
  socat TCP-LISTEN:{SHIM_PORT},bind=127.0.0.1,reuseaddr,fork UNIX-CONNECT:{SOCKET}/.s.PGSQL.5432 &
  PGHOST=127.0.0.1 PGPORT={SHIM_PORT}
  i=0
  until pg_isready -q -h 127.0.0.1 -p {SHIM_PORT}; do
    i=$((i + 1))
    [ $i -lt 300 ] || {{ echo "dotbox run: the TCP shim did not start" >&2; exit {SHIM_FAILED}; }}
    sleep 0.01
  done
  DATABASE_URL="postgresql://$PGUSER:$PGPASSWORD@127.0.0.1:{SHIM_PORT}/$PGDATABASE"
else
  DATABASE_URL="postgresql://$PGUSER:$PGPASSWORD@/$PGDATABASE?host=$PGHOST"
fi
export PGHOST PGPORT DATABASE_URL
exec "$@"
"""

Output = Callable[[bytes | None, bytes | None], None]


def spec(
    live: guard.LiveSandbox,
    command: Sequence[str],
    *,
    cwd: Path,
    rw: bool = False,
    tcp: bool = False,
) -> engine.ContainerSpec:
    """The runner container for ``command`` against the guarded sandbox ``live``."""
    info = live.info
    base = images.base_image(info.pg_major, build=False)
    password_file = info.socket_dir.parent / "password"
    return engine.ContainerSpec(
        image=base.id,
        name=f"dotbox-run-{info.id}-{secrets.token_hex(3)}",
        labels={
            engine.MANAGED_BY: "dotbox",
            sandboxes.L_ROLE: "runner",
            sandboxes.L_ID: info.id,
            sandboxes.L_HOME: str(paths.data_home()),
        },
        entrypoint=["sh", "-c", WRAPPER, "dotbox-run"],
        command=list(command),
        user=f"{os.getuid()}:{os.getgid()}",
        network_mode="none",
        cap_drop=("ALL",),
        no_new_privileges=True,
        working_dir=WORKDIR,
        mounts=(
            engine.Mount(sandboxes.socket_source(info), SOCKET, read_only=True),
            engine.Mount(str(password_file), PASSWORD_FILE, read_only=True),
            engine.Mount(str(cwd), WORKDIR, read_only=not rw),
        ),
        environment={
            "PGHOST": SOCKET,
            "PGPORT": "5432",
            "PGUSER": info.user,
            "PGDATABASE": info.database,
            "HOME": "/tmp",
            "DOTBOX_SANDBOX": info.id,
            "DOTBOX_TCP": "1" if tcp else "0",
        },
    )


def run(
    ref: str,
    command: Sequence[str],
    *,
    on_output: Output,
    cwd: Path | None = None,
    rw: bool = False,
    tcp: bool = False,
) -> int:
    """Run ``command`` in a runner for sandbox ``ref``; return its exit code. The runner is
    removed afterwards, whatever happens."""
    if not command:
        raise InvalidInput("name the command to run: dotbox run SANDBOX -- CMD ...")
    live = guard.require_live(ref)
    return engine.run_attached(
        spec(live, command, cwd=(cwd or Path.cwd()).resolve(), rw=rw, tcp=tcp), on_output
    )


def run_interactive(
    ref: str,
    command: Sequence[str],
    *,
    tty: bool,
    cwd: Path | None = None,
    rw: bool = False,
) -> int:
    """Like ``run``, with this process's stdin passed to the command and, with ``tty``, a
    terminal (for psql at a prompt). Returns the command's exit code; the runner is removed."""
    import dataclasses

    if not command:
        raise InvalidInput("name the command to run")
    live = guard.require_live(ref)
    runner = spec(live, command, cwd=(cwd or Path.cwd()).resolve(), rw=rw)
    if tty:
        env = {**runner.environment, "TERM": os.environ.get("TERM") or "xterm"}
        runner = dataclasses.replace(runner, tty=True, environment=env)
    return engine.run_interactive(runner)
