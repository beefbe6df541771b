"""The pool's host files and liveness probe: the lease round-trips; a socket answers only when a
server replies to PostgreSQL's SSLRequest."""

from __future__ import annotations

import socket
import struct
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dotbox import pool
from dotbox.sandboxes import lease


def test_lease_round_trip_and_absence(tmp_path: Path) -> None:
    assert lease.read(tmp_path) is None and not lease.claimed(tmp_path)
    now = datetime.now(UTC).replace(microsecond=0)
    written = lease.Lease(owner="me@host", created=now, expires=now + timedelta(minutes=7))
    lease.write(tmp_path, written)
    assert lease.read(tmp_path) == written
    assert sorted(p.name for p in tmp_path.iterdir()) == [lease.LEASE]  # no temporary left
    (tmp_path / lease.LEASE).write_text("{not json")
    assert lease.read(tmp_path) is None


def test_a_socket_without_a_server_does_not_answer(tmp_path: Path) -> None:
    assert not pool.server_answers(tmp_path)  # no socket file at all
    path = tmp_path / ".s.PGSQL.5432"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(str(path))  # bound, never listening: connections are refused
        assert not pool.server_answers(tmp_path)


def test_a_server_that_replies_to_the_ssl_request_answers(tmp_path: Path) -> None:
    got: list[bytes] = []
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(str(tmp_path / ".s.PGSQL.5432"))
        listener.listen(1)

        def serve() -> None:
            conn, _ = listener.accept()
            with conn:
                got.append(conn.recv(8))
                conn.sendall(b"N")

        server = threading.Thread(target=serve)
        server.start()
        assert pool.server_answers(tmp_path)
        server.join()
    assert got == [struct.pack("!ii", 8, 80877103)]
