"""create --tcp: a forwarder publishes one port on 127.0.0.1 only; the sandbox keeps no
network; the forwarder goes with its sandbox."""

from __future__ import annotations

import json
import subprocess
import sys

import psycopg
import pytest

from dotbox.core import paths
from dotbox.engine import client
from tests.integration.conftest import cli_json, interfaces


def inspect(container: str) -> dict[str, object]:
    out = subprocess.run(
        ["docker", "inspect", container], capture_output=True, text=True, check=True
    ).stdout
    data: dict[str, object] = json.loads(out)[0]
    return data


def test_tcp_forwarder_on_loopback_only_and_dropped_with_its_sandbox() -> None:
    created = cli_json("create", "--tcp")
    assert isinstance(created, dict)
    sid, tcp_dsn = created["id"], created["tcp_dsn"]
    assert created["socket_dir"] is None  # it has none on the host to show
    socket_dir = paths.sandbox_dir(sid) / "sock"
    try:
        assert tcp_dsn.startswith("postgresql://sandbox:") and "@127.0.0.1:" in tcp_dsn
        with psycopg.connect(tcp_dsn, connect_timeout=5) as conn:
            assert conn.execute("SELECT current_user").fetchone() == ("sandbox",)
        wrong = tcp_dsn.replace(created["password"], "wrong")
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            psycopg.connect(wrong, connect_timeout=5)
        sandbox = client.containers({"dotbox.id": sid, "dotbox.role": "sandbox"})[0]
        (fwd,) = client.containers({"dotbox.id": sid, "dotbox.role": "forwarder"})
        assert sandbox.network_mode == "none" and interfaces(sandbox.id) == ["lo"]
        host = inspect(fwd.id)["HostConfig"]
        assert isinstance(host, dict)
        bindings = host["PortBindings"]
        assert [b["HostIp"] for b in bindings["5432/tcp"]] == ["127.0.0.1"]
        assert list(bindings) == ["5432/tcp"]
        # The socket is shared through a volume (Docker Desktop, remote engines), not the host.
        volume = f"dotbox-sock-{sid}"
        for container in (sandbox.id, fwd.id):
            mounts = inspect(container)["Mounts"]
            assert [(m["Type"], m["Name"]) for m in mounts] == [("volume", volume)]  # type: ignore[index]
        assert not list(socket_dir.iterdir())  # nothing on the host
        assert client.volumes({"dotbox.id": sid}) == [volume]
        # The forwarder's port is open before the bootstrap: dotbox_admin is never trusted
        # there (peer authentication, inside the container only), not just closed afterwards.
        admin = tcp_dsn.replace("sandbox:" + created["password"], "dotbox_admin")
        with pytest.raises(psycopg.OperationalError, match="Peer authentication failed"):
            psycopg.connect(admin, connect_timeout=5)
        shown = cli_json("show", sid)
        assert isinstance(shown, dict) and shown["tcp_dsn"] == tcp_dsn
        verified = subprocess.run(
            [sys.executable, "-m", "dotbox", "verify", sid], capture_output=True, text=True
        )
        assert verified.returncode == 0, verified.stderr  # dotbox itself reaches it over TCP
    finally:
        dropped = cli_json("drop", sid)
    assert isinstance(dropped, dict) and dropped["errors"] == []
    assert client.containers({"dotbox.id": sid}) == []
    assert client.volumes({"dotbox.id": sid}) == []
    assert not socket_dir.exists()
