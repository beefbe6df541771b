"""The light read path of `dotbox list`: one record (SandboxInfo) for the listing and the API,
its JSON and back, and no heavy import on the way."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dotbox.core.errors import EngineUnavailable
from dotbox.core.records import ContainerInfo
from dotbox.engine import transport
from dotbox.sandboxes import inventory, lifecycle
from dotbox.sandboxes.inventory import SandboxInfo

LABELS = {
    "dotbox.managed-by": "dotbox",
    "dotbox.role": "sandbox",
    "dotbox.id": "sb-1234abcd",
    "dotbox.snapshot": "pagila",
    "dotbox.snapshot.digest": "ab" * 32,
    "dotbox.pg": "17",
    "dotbox.created": "2026-01-01T10:00:00+00:00",
    "dotbox.expires": "2099-01-01T12:00:00+00:00",
    "dotbox.ready-by": "2026-01-01T10:00:35+00:00",
    "dotbox.owner": "me@host",
    "dotbox.superuser": "true",
    "dotbox.createdb": "true",
    "dotbox.max-connections": "120",
    "dotbox.max-prepared-transactions": "7",
}


FIELDS = [  # what `dotbox list --json` and the API's SandboxInfo have always held, in order
    "id", "container", "state", "snapshot", "snapshot_digest", "pg_major", "image", "user",
    "database", "socket_dir", "superuser", "owner", "created", "expires", "tcp",
    "createdb", "max_connections", "max_prepared_transactions",
]  # fmt: skip


@pytest.mark.parametrize("ready", [True, False])
def test_list_and_the_api_read_one_record(tmp_path: Path, ready: bool) -> None:
    labels = {**LABELS, "dotbox.dir": str(tmp_path)}
    if ready:
        (tmp_path / inventory.READY_MARKER).touch()
    row = inventory.row_of("f" * 64, "sha256:img", "running", labels)
    info = lifecycle.info_of(
        ContainerInfo(
            id="f" * 64, name="n", image="sha256:img", status="running", network_mode="none",
            labels=labels,
        )
    )  # fmt: skip
    assert type(row) is type(info) is SandboxInfo and row == info
    assert list(SandboxInfo._fields) == FIELDS
    assert row.state == ("ready" if ready else "broken") and row.socket_dir == tmp_path / "sock"
    assert row.container == "f" * 12 and row.pg_major == 17 and row.superuser is True
    assert row.createdb is True
    # a sandbox made before its role could create databases says so
    older = {k: v for k, v in labels.items() if k != "dotbox.createdb"}
    assert inventory.row_of("f" * 64, "sha256:img", "running", older).createdb is False
    assert (row.max_connections, row.max_prepared_transactions) == (120, 7)
    # one made before its server settings were chosen has runtime.conf's (40, 0)
    unset = {k: v for k, v in labels.items() if "max-" not in k}
    assert inventory.row_of("f" * 64, "sha256:img", "running", unset).server_settings == (40, 0)


def test_the_json_of_a_record_and_back(tmp_path: Path) -> None:
    row = inventory.row_of("f" * 64, "sha256:img", "running", {**LABELS, "dotbox.dir": "/d"})
    data = row.as_json()
    assert list(data) == FIELDS
    assert data["created"] == "2026-01-01T10:00:00Z" and data["socket_dir"] == "/d/sock"
    assert json.loads(inventory.json_text([row])) == [data | {"host": "/d/sock", "port": 5432}]
    assert SandboxInfo.from_json(json.dumps(data)) == row
    # a pool entry written by pydantic's model_dump_json (before this record) still reads
    written = json.dumps(data, separators=(",", ":"))
    assert SandboxInfo.from_json(written) == row
    assert SandboxInfo.from_json(json.dumps({k: v for k, v in data.items() if k != "tcp"})) == row
    # an entry pooled before sandboxes could create databases reads as one that cannot
    older = SandboxInfo.from_json(json.dumps({k: v for k, v in data.items() if k != "createdb"}))
    assert older == row._replace(createdb=False)
    # and one pooled before server settings were chosen, as one with runtime.conf's
    settings = ("max_connections", "max_prepared_transactions")
    before = SandboxInfo.from_json(json.dumps({k: v for k, v in data.items() if k not in settings}))
    assert before.server_settings == (40, 0) != row.server_settings
    with pytest.raises(ValueError, match="max_connections"):
        SandboxInfo.from_json(json.dumps(data | {"max_connections": "120"}))


def test_a_tcp_sandbox_is_shown_at_its_forwarder_never_at_a_socket_directory() -> None:
    labels = {**LABELS, "dotbox.dir": "/d", "dotbox.tcp": "true"}
    row = inventory.row_of("f" * 64, "img", "running", labels)
    shown = inventory.shown_json(row, {row.id: 49153})
    assert (shown["socket_dir"], shown["host"], shown["port"]) == (None, "127.0.0.1", 49153)
    assert inventory.shown_json(row, {})["port"] is None  # its forwarder is not running
    plain = inventory.row_of("f" * 64, "img", "running", {**LABELS, "dotbox.dir": "/d"})
    assert inventory.shown_json(plain, {plain.id: 49153})["host"] == "/d/sock"


@pytest.mark.parametrize(
    "change",
    [
        {"state": "happy"},
        {"pg_major": "17"},
        {"superuser": "true"},
        {"createdb": "true"},
        {"created": "yesterday"},
        {"extra": 1},
        {"id": None},
    ],
)
def test_anything_but_a_record_is_refused_on_reading(change: dict[str, Any]) -> None:
    row = inventory.row_of("f" * 64, "img", "running", {**LABELS, "dotbox.dir": "/d"})
    with pytest.raises(ValueError):
        SandboxInfo.from_json(json.dumps({**row.as_json(), **change}))
    for text in ("{not json", "[]", json.dumps({"id": "x"})):
        with pytest.raises(ValueError):
            SandboxInfo.from_json(text)


@pytest.mark.parametrize(
    ("docker_host", "socket"),
    [
        (None, transport.DEFAULT_SOCKET),
        ("", transport.DEFAULT_SOCKET),
        ("unix:///run/user/1000/docker.sock", "/run/user/1000/docker.sock"),
        ("tcp://127.0.0.1:2375", None),
        ("ssh://me@host", None),
    ],
)
def test_engine_socket_from_docker_host(
    docker_host: str | None, socket: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if docker_host is None:
        monkeypatch.delenv("DOCKER_HOST", raising=False)
    else:
        monkeypatch.setenv("DOCKER_HOST", docker_host)
    assert transport.unix_socket() == socket


def test_an_absent_socket_is_one_engine_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/nothing.sock")
    with pytest.raises(EngineUnavailable, match="list containers: Docker engine unreachable"):
        inventory.rows()


def test_list_path_imports_no_sdk_pydantic_or_psycopg() -> None:
    code = (
        "import sys; from dotbox.cli import sandbox_cmds, complete;"
        " from dotbox.sandboxes import inventory;"
        "print(sorted(m for m in ('docker', 'pydantic', 'psycopg', 'requests', 'rich')"
        " if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_claimed_pool_sandbox_shows_its_lease_and_an_unclaimed_one_is_hidden(
    tmp_path: Path,
) -> None:
    from datetime import UTC, datetime

    from dotbox.sandboxes import lease

    assert (inventory.CLAIM, inventory.LEASE) == (lease.CLAIM, lease.LEASE)
    labels = {**LABELS, "dotbox.dir": str(tmp_path), "dotbox.pool": "default"}
    assert inventory.unclaimed(labels)
    claimed = lease.Lease(
        owner="claimer@host",
        created=datetime(2026, 2, 1, 9, 0, tzinfo=UTC),
        expires=datetime(2026, 2, 1, 9, 30, tzinfo=UTC),
    )
    (tmp_path / lease.CLAIM).touch()
    lease.write(tmp_path, claimed)
    assert not inventory.unclaimed(labels)
    row = inventory.row_of("f" * 64, "img", "running", labels)
    assert (row.owner, row.created, row.expires) == (
        claimed.owner,
        claimed.created,
        claimed.expires,
    )
    assert inventory.lease_of(tmp_path) == (claimed.owner, claimed.created, claimed.expires)
    (tmp_path / lease.LEASE).write_text("{not json")
    assert inventory.lease_of(tmp_path) is None and lease.read(tmp_path) is None
