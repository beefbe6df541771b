"""A stand-in "official runtime" for tests: a plain PostgreSQL container of the test's own, on an
ordinary bridge network of its own, its port published on 127.0.0.1 only, password auth, every
statement and connection logged, holding a canary table. Tests send traffic only to it (through
loopback) and to containers they made — never to any other address."""

from __future__ import annotations

import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg

CANARY_ROWS = 3


def _docker(*args: str) -> str:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, check=True
    ).stdout.strip()


@dataclass(frozen=True)
class StandIn:
    container: str
    network: str
    address: str  # the container's address on its bridge network
    gateway: str  # that network's gateway (an address of the host)
    port: int  # published on 127.0.0.1
    password: str
    user: str = "official"
    database: str = "official"

    @property
    def dsn(self) -> str:
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{self.database}"

    def connect(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.dsn, autocommit=True, connect_timeout=5)

    def query(self, sql: str) -> list[tuple[object, ...]]:
        with self.connect() as conn:
            cur = conn.execute(sql)
            return cur.fetchall() if cur.description else []

    def canary(self) -> list[tuple[object, ...]]:
        return self.query("SELECT id, note FROM canary ORDER BY id")

    def log(self) -> str:
        return subprocess.run(
            ["docker", "logs", self.container], capture_output=True, text=True, check=True
        ).stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def standin(major: int = 17, seed_sql: str | None = None) -> Iterator[StandIn]:
    """Start a stand-in official server; remove it and its network afterwards."""
    tag = secrets.token_hex(3)
    network = f"standin-net-{tag}"
    name = f"standin-official-{tag}"
    password = "official-" + secrets.token_hex(12)
    port = _free_port()
    bin_dir = f"/usr/lib/postgresql/{major}/bin"
    script = (
        f"set -e; echo '{password}' > /tmp/pw; "
        f"{bin_dir}/initdb -D /tmp/data -U official --pwfile=/tmp/pw -A scram-sha-256 "
        "--auth-local=trust -E UTF8 --locale=C.UTF-8 >/dev/null; rm /tmp/pw; "
        'echo "host all all 0.0.0.0/0 scram-sha-256" >> /tmp/data/pg_hba.conf; '
        f"exec {bin_dir}/postgres -D /tmp/data -c listen_addresses='*' -c log_connections=on "
        "-c log_statement=all -c unix_socket_directories=/tmp -c fsync=off"
    )
    _docker("network", "create", "--driver", "bridge", network)
    try:
        _docker(
            "run",
            "-d",
            "--name",
            name,
            "--network",
            network,
            "--user",
            "postgres",
            "-p",
            f"127.0.0.1:{port}:5432",
            f"dotbox/base:pg{major}",
            "sh",
            "-c",
            script,
        )
        try:
            address = _docker(
                "inspect",
                "-f",
                f'{{{{(index .NetworkSettings.Networks "{network}").IPAddress}}}}',
                name,
            )
            gateway = _docker(
                "network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}}", network
            )
            server = StandIn(name, network, address, gateway, port, password)
            deadline = time.monotonic() + 30
            admin = f"postgresql://official:{password}@127.0.0.1:{port}/postgres"
            while True:
                try:
                    psycopg.connect(admin, connect_timeout=2).close()
                    break
                except psycopg.OperationalError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute("CREATE DATABASE official")
            server.query("CREATE TABLE canary (id int PRIMARY KEY, note text NOT NULL)")
            server.query(
                "INSERT INTO canary SELECT g, 'official row ' || g "
                f"FROM generate_series(1, {CANARY_ROWS}) g"
            )
            if seed_sql:
                with server.connect() as conn:
                    conn.execute(seed_sql)  # type: ignore[arg-type]
            yield server
        finally:
            subprocess.run(["docker", "rm", "-f", "-v", name], capture_output=True)
    finally:
        subprocess.run(["docker", "network", "rm", network], capture_output=True)
