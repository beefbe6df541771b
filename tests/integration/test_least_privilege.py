"""Least privilege: the handed-out role owns the snapshot's objects but is not a superuser;
--superuser is an explicit, labelled opt-in. Secrets stay out of the engine's records."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

import dotbox
from dotbox.engine import client
from tests.conftest import corpus
from tests.standin import standin


def test_pagila_user_owns_its_tables_but_is_not_superuser() -> None:
    dotbox.import_snapshot(corpus("pagila.sql"), "pagila-priv", pg_major=15, replace=True)
    with dotbox.sandbox("pagila-priv") as sb:
        (container,) = client.containers({"dotbox.id": sb.id, "dotbox.role": "sandbox"})
        assert container.labels["dotbox.superuser"] == "false"
        assert sb.query("SELECT rolsuper FROM pg_roles WHERE rolname = current_user") == [(False,)]
        (actor_id,) = sb.query(
            "INSERT INTO actor (first_name, last_name) VALUES ('ADA', 'LOVELACE')"
            " RETURNING actor_id"
        )[0]
        assert sb.query("SELECT last_name FROM actor WHERE actor_id = %s", (actor_id,)) == [
            ("LOVELACE",)
        ]
        sb.query("ALTER TABLE film ADD COLUMN reviewed boolean DEFAULT false")
        sb.query("CREATE INDEX ON customer (email)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            sb.query("COPY (SELECT 1) TO PROGRAM 'true'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            sb.query("ALTER ROLE sandbox SUPERUSER")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            sb.query("CREATE EXTENSION dblink")


def test_superuser_is_an_explicit_labelled_opt_in() -> None:
    with dotbox.sandbox(superuser=True) as sb:
        (container,) = client.containers({"dotbox.id": sb.id, "dotbox.role": "sandbox"})
        assert container.labels["dotbox.superuser"] == "true" and sb.info.superuser
        assert sb.query("SELECT rolsuper FROM pg_roles WHERE rolname = current_user") == [(True,)]
        sb.query("COPY (SELECT 1) TO PROGRAM 'cat >/dev/null'")  # reads it all: no broken pipe


def docker(*args: str) -> str:
    return (
        subprocess.run(["docker", *args], capture_output=True, text=True, check=True).stdout
        + subprocess.run(["docker", *args], capture_output=True, text=True).stderr
    )


def test_no_secret_in_any_container_image_label_or_log(tmp_path: Path) -> None:
    """A user whose shell holds the official credentials creates a sandbox (with a forwarder)
    and runs a script in it: neither the official password nor the sandbox's own is in any
    dotbox container's inspect output (environment, labels, command), its image's config or
    history, or its log."""
    with standin(17) as official:
        env = os.environ | {
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
            "PGPASSWORD": official.password,
            "DATABASE_URL": official.dsn,
            "PGHOST": "127.0.0.1",
            "PGPORT": str(official.port),
        }
        created = json.loads(
            subprocess.run(
                [sys.executable, "-m", "dotbox", "create", "--tcp", "--json"],
                capture_output=True,
                text=True,
                env=env,
                check=True,
            ).stdout
        )
        sid, own_password = created["id"], created["password"]
        command = ["sh", "-c", "env > env.txt; echo ready; sleep 60"]
        runner = subprocess.Popen(
            [sys.executable, "-m", "dotbox", "run", sid, "--rw", "--", *command],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        try:
            assert runner.stdout is not None
            assert runner.stdout.readline().strip() == "ready"
            runner_env = (tmp_path / "env.txt").read_text().splitlines()
            assert f"PGPASSWORD={own_password}" in runner_env  # the process has the sandbox's
            assert not [e for e in runner_env if official.password in e]
            mine = client.containers({"dotbox.id": sid})
            assert sorted(c.labels["dotbox.role"] for c in mine) == [
                "forwarder",
                "runner",
                "sandbox",
            ]
            records = ""
            for c in mine:
                records += docker("inspect", c.id) + docker("logs", c.id)
                image = docker("inspect", "-f", "{{.Image}}", c.id).strip()
                records += docker("image", "inspect", image)
                records += docker("history", "--no-trunc", image)
            assert own_password not in records
            assert official.password not in records
        finally:
            runner.send_signal(signal.SIGTERM)
            runner.wait(timeout=60)
            runners_left = client.containers({"dotbox.id": sid, "dotbox.role": "runner"})
            subprocess.run(
                [sys.executable, "-m", "dotbox", "drop", sid],
                env=env,
                check=True,
                capture_output=True,
            )
        assert runners_left == []  # a terminated 'dotbox run' removes its runner
        assert client.containers({"dotbox.id": sid}) == []
