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

from dotbox import images
from dotbox.core import paths
from dotbox.core.errors import InvalidInput, Refused
from dotbox.core.labels import Label
from dotbox.engine import client, transport
from dotbox.sandboxes import guard, lifecycle, run_image
from dotbox.sandboxes.run_image import VOLUME_TMPFS

SOCKET = "/sock"
PASSWORD_FILE = "/run/dotbox/password"
WORKDIR = "/work"
SHIM_PORT = 5432
SHIM_FAILED = 125  # the wrapper's own failure: the TCP shim did not come up

# $1.. is the image's entrypoint, then the user's command. Runs as sh (dash in the base image;
# a user's image needs a POSIX sh and cat). What an image's own environment says about where
# the server is or which password file to read is replaced by dotbox's.
WRAPPER = f"""\
PGPASSWORD=$(cat {PASSWORD_FILE}) || exit {SHIM_FAILED}
PGPASSFILE=/tmp/.dotbox-pgpass-$$
(umask 077 && printf '*:*:*:*:%s\\n' "$PGPASSWORD" > "$PGPASSFILE") || {{
  echo "dotbox run: cannot write the password file $PGPASSFILE" >&2; exit {SHIM_FAILED}; }}
unset PGHOSTADDR PGSERVICE PGSERVICEFILE
export PGPASSWORD PGPASSFILE
if [ "$DOTBOX_TCP" = 1 ]; then
  for tool in socat pg_isready; do
    command -v $tool >/dev/null || {{
      echo "dotbox run: --tcp needs $tool in the image" >&2; exit {SHIM_FAILED}; }}
  done
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


def _private() -> list[tuple[str, str]]:
    """dotbox's own directories, (what, where): a runner mounts neither them nor what holds
    them, nor anything inside them."""
    return [
        ("dotbox's run root (every sandbox's socket and password)", str(paths.run_root())),
        ("dotbox's default run root", f"/tmp/dotbox-{os.getuid()}"),
        ("dotbox's data (DOTBOX_HOME)", str(paths.data_home())),
    ]


def _host_state() -> list[tuple[str, str]]:
    """The host's own state, (what, where): a runner mounts nothing that holds it."""
    return [
        ("the Docker engine's socket", transport.unix_socket() or transport.DEFAULT_SOCKET),
        *(
            (f"{p} (the host's runtime state)", p)
            for p in ("/run", "/var/run", "/proc", "/sys", "/dev")
        ),
    ]


def work_dir(cwd: Path) -> Path:
    """``cwd`` resolved, if a runner may mount it at /work: an ordinary directory, not ``/``,
    holding neither dotbox's directories nor the host's state, and not inside dotbox's."""
    resolved = Path(os.path.realpath(cwd))
    if not resolved.is_dir():
        _refuse(resolved, "it is not a directory")
    for what, where in _private() + _host_state():
        if any(Path(p).is_relative_to(resolved) for p in (where, os.path.realpath(where))):
            _refuse(resolved, f"it holds {what}")
    for what, where in _private():
        if resolved.is_relative_to(os.path.realpath(where)):
            _refuse(resolved, f"it is inside {what}")
    return resolved


def _refuse(cwd: Path, why: str) -> None:
    raise Refused(
        f"dotbox run will not mount {cwd} at {WORKDIR}: {why};"
        " cd into your project directory and run it there"
    )


def spec(
    live: guard.LiveSandbox,
    command: Sequence[str],
    *,
    cwd: Path | None,
    rw: bool = False,
    tcp: bool = False,
    image: run_image.RunImage | None = None,
) -> client.ContainerSpec:
    """The runner container for ``command`` against the guarded sandbox ``live``, mounting
    ``cwd`` (checked by ``work_dir``) at /work, or no directory of the host at all (None).
    It is made from the sandbox's base image, or from ``image`` (resolved to its id first),
    whose ENTRYPOINT runs before ``command`` and whose VOLUMEs get a tmpfs each; whatever the
    image, the runner is the same: your uid, no network, no capability, no new privileges."""
    info = live.info
    work = () if cwd is None else (client.Mount(str(cwd), WORKDIR, read_only=not rw),)
    if image is None:
        image = run_image.RunImage(images.base_image(info.pg_major, build=False).id, "base")
    password_file = info.socket_dir.parent / "password"
    return client.ContainerSpec(
        image=image.id,
        name=f"dotbox-run-{info.id}-{secrets.token_hex(3)}",
        labels={
            Label.MANAGED_BY: "dotbox",
            Label.ROLE: "runner",
            Label.ID: info.id,
            Label.HOME: str(paths.data_home()),
        },
        entrypoint=["sh", "-c", WRAPPER, "dotbox-run"],
        command=[*image.entrypoint, *command],
        user=f"{os.getuid()}:{os.getgid()}",
        network_mode="none",
        cap_drop=("ALL",),
        no_new_privileges=True,
        working_dir=WORKDIR if cwd is not None else "/tmp",
        tmpfs={v: VOLUME_TMPFS for v in image.volumes},
        image_volumes=False,
        mounts=(
            client.Mount(lifecycle.socket_source(info), SOCKET, read_only=True),
            client.Mount(str(password_file), PASSWORD_FILE, read_only=True),
            *work,
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
    image: str | None = None,
    progress: images.Progress | None = None,
) -> int:
    """Run ``command`` in a runner for sandbox ``ref``; return its exit code. ``image`` names
    the runner's image (``run_image.resolve``: ``tools``, or one already on the engine; the
    tools image is built first if missing, its phases to ``progress``). The runner is removed
    afterwards, whatever happens."""
    if not command:
        raise InvalidInput("name the command to run: dotbox run SANDBOX -- CMD ...")
    work = work_dir(cwd or Path.cwd())
    live = guard.require_live(ref)
    pinned = None
    if image is not None:
        pinned = run_image.resolve(image, live.info.pg_major, progress=progress or _quiet)
    runner = spec(live, command, cwd=work, rw=rw, tcp=tcp, image=pinned)
    return client.run_attached(runner, on_output)


def _quiet(phase: str, done: int, total: int) -> None:
    pass


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
    work = work_dir(cwd or Path.cwd())
    live = guard.require_live(ref)
    runner = spec(live, command, cwd=work, rw=rw)
    if tty:
        env = {**runner.environment, "TERM": os.environ.get("TERM") or "xterm"}
        runner = dataclasses.replace(runner, tty=True, environment=env)
    return client.run_interactive(runner)
