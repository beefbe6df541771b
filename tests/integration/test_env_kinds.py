"""``dotbox env``, ``show`` and ``list`` for both kinds of sandbox: one reached through its
socket directory on the host, one made with --tcp, whose socket is in a volume and which is
reached through its forwarder on 127.0.0.1. psql, through bash, connects with what env prints."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import dotbox
from tests.integration.conftest import cli_json, run_cli

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sandboxes() -> Iterator[dict[str, dotbox.Sandbox]]:
    with dotbox.sandbox() as plain, dotbox.sandbox(tcp=True) as tcp:
        yield {"socket": plain, "tcp": tcp}


def _bash(script: str) -> subprocess.CompletedProcess[str]:
    """A user's shell: none of the test's PG* variables, dotbox on its PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG") and k != "DATABASE_URL"}
    bindir = Path(sys.executable).parent
    env["PATH"] = f"{bindir}:{env['PATH']}"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("kind", ["socket", "tcp"])
def test_psql_connects_with_what_env_exports(
    sandboxes: dict[str, dotbox.Sandbox], kind: str
) -> None:
    sb = sandboxes[kind]
    dotbox_cmd = f"{sys.executable} -m dotbox"
    done = _bash(
        f'eval "$({dotbox_cmd} env {sb.id})" && psql -XAtc "select 1" && echo "$PGHOST $PGPORT"'
    )
    assert done.returncode == 0, done.stderr
    answer, where = done.stdout.splitlines()
    assert answer == "1"
    if kind == "tcp":
        assert where == f"127.0.0.1 {sb.credentials.tcp_port}"
    else:
        assert where == f"{sb.credentials.socket_dir} 5432"
    url = _bash(f'eval "$({dotbox_cmd} env {sb.id})" && psql -XAt "$DATABASE_URL" -c "select 2"')
    assert url.returncode == 0 and url.stdout == "2\n", url.stderr


def test_the_socket_directory_of_a_tcp_sandbox_reaches_nothing(
    sandboxes: dict[str, dotbox.Sandbox],
) -> None:
    """The control: what env used to print for a --tcp sandbox (its host socket directory and
    5432) does not connect, which is why env must not print it."""
    sb = sandboxes["tcp"]
    old = _bash(
        f"PGHOST={sb.info.socket_dir} PGPORT=5432 PGUSER=sandbox PGDATABASE=sandbox"
        f" PGPASSWORD={sb.credentials.password} psql -XAtc 'select 1'"
    )
    assert old.returncode != 0 and "No such file or directory" in old.stderr


def test_show_and_list_give_host_and_port_and_no_empty_socket_directory(
    sandboxes: dict[str, dotbox.Sandbox],
) -> None:
    plain, tcp = sandboxes["socket"], sandboxes["tcp"]
    port = tcp.credentials.tcp_port
    shown = cli_json("show", tcp.id)
    assert isinstance(shown, dict)
    assert (shown["socket_dir"], shown["host"], shown["port"]) == (None, "127.0.0.1", port)
    text = run_cli("show", tcp.id, check=True).stdout
    assert "socket_dir" not in text and str(tcp.info.socket_dir) not in text
    assert f"host             127.0.0.1\nport             {port}\n" in text
    shown = cli_json("show", plain.id)
    assert isinstance(shown, dict)
    assert shown["socket_dir"] == shown["host"] == str(plain.info.socket_dir)
    assert shown["port"] == 5432
    assert f"socket_dir       {plain.info.socket_dir}\n" in run_cli("show", plain.id).stdout
    listed = cli_json("list")
    assert isinstance(listed, list)
    by_id = {s["id"]: (s["socket_dir"], s["host"], s["port"]) for s in listed}
    assert by_id[tcp.id] == (None, "127.0.0.1", port)
    assert by_id[plain.id] == (str(plain.info.socket_dir),) * 2 + (5432,)
    lines = run_cli("list", check=True).stdout.splitlines()
    assert lines[0].endswith(" HOST")
    assert [ln for ln in lines if ln.startswith(tcp.id)][0].endswith(f"  127.0.0.1:{port}")
    assert [ln for ln in lines if ln.startswith(plain.id)][0].endswith(f"  {plain.info.socket_dir}")
