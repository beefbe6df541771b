"""Server settings a test suite expects, chosen per sandbox: max_connections (97 for the
handed-out role by default, as on a stock server) and max_prepared_transactions (two-phase
commit), read from the server itself, recorded in labels, show, list and the create record;
bad values refused with nothing made."""

from __future__ import annotations

import os
import subprocess
from contextlib import ExitStack

import psycopg
import pytest

import dotbox
from dotbox import evidence, images
from dotbox.engine import client
from tests.integration.conftest import cli_json, run_cli, run_root


def _shown(sb: dotbox.Sandbox) -> tuple[int, int]:
    rows = sb.query(
        "SELECT current_setting('max_connections')::int,"
        " current_setting('max_prepared_transactions')::int"
    )
    return rows[0]


def _connections(sb: dotbox.Sandbox, most: int) -> int:
    """How many connections the handed-out role holds open at once (up to ``most``)."""
    with ExitStack() as held:
        for n in range(most):
            try:
                held.enter_context(sb.connect())
            except psycopg.OperationalError as exc:
                assert "reserved" in str(exc) or "too many clients" in str(exc), exc
                return n
    return most


def test_a_default_sandbox_has_what_a_test_suite_expects() -> None:
    with dotbox.sandbox() as sb:
        assert _shown(sb) == (100, 10)
        assert (sb.info.max_connections, sb.info.max_prepared_transactions) == (100, 10)
        shown = cli_json("show", sb.id)
        assert (shown["max_connections"], shown["max_prepared_transactions"]) == (100, 10)
        (listed,) = [s for s in cli_json("list") if s["id"] == sb.id]
        assert (listed["max_connections"], listed["max_prepared_transactions"]) == (100, 10)
        # more than the 37 a non-superuser had under max_connections 40: 97, as on a stock server
        assert _connections(sb, 100) == 97


def test_explicit_values_reach_the_server_labels_and_record() -> None:
    made = cli_json("create", "--max-connections", "40", "--max-prepared-transactions", "0")
    assert isinstance(made, dict)
    sb = dotbox.get(made["id"])
    try:
        assert (made["max_connections"], made["max_prepared_transactions"]) == (40, 0)
        assert _shown(sb) == (40, 0)
        labels = client.containers({"dotbox.id": sb.id, "dotbox.role": "sandbox"})[0].labels
        assert labels["dotbox.max-connections"] == "40"
        assert labels["dotbox.max-prepared-transactions"] == "0"
        record = evidence.read(evidence.ledger_path(sb.id))[0]
        assert record["inputs"]["max_connections"] == 40
        assert record["verify"]["checks"]["max_prepared_transactions"] == 0  # the server's SHOW
        assert _connections(sb, 100) == 37  # the control of the default's 97
        with sb.connect() as conn, pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState):
            conn.execute("PREPARE TRANSACTION 'refused'")  # in the transaction psycopg began
    finally:
        dotbox.drop(sb.id)


def test_two_phase_commit_as_the_handed_out_user() -> None:
    with dotbox.sandbox() as sb:
        assert not sb.info.superuser
        with sb.connect(autocommit=True) as conn:
            conn.execute("BEGIN")
            conn.execute("CREATE TABLE two_phase (x int)")
            conn.execute("INSERT INTO two_phase VALUES (42)")
            conn.execute("PREPARE TRANSACTION 'dotbox-2pc'")
            prepared = conn.execute("SELECT gid FROM pg_prepared_xacts").fetchall()
            assert prepared == [("dotbox-2pc",)]
            assert conn.execute("SELECT to_regclass('two_phase')").fetchone() == (None,)
            conn.execute("COMMIT PREPARED 'dotbox-2pc'")
        assert sb.query("SELECT x FROM two_phase") == [(42,)]


@pytest.mark.parametrize(
    ("args", "environ", "message"),
    [
        (["--max-connections", "9"], {}, "--max-connections 9 is not between 10 and 1000"),
        (
            ["--max-prepared-transactions", "1001"],
            {},
            "--max-prepared-transactions 1001 is not between 0 and 1000",
        ),
        ([], {"DOTBOX_MAX_CONNECTIONS": "-1"}, "DOTBOX_MAX_CONNECTIONS -1 is not between"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_made(
    args: list[str], environ: dict[str, str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    mine = {"dotbox.role": "sandbox", "dotbox.home": os.environ["DOTBOX_HOME"]}
    before = client.containers(mine)
    dirs = sorted(run_root().iterdir())
    proc = run_cli("create", *args)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert client.containers(mine) == before
    assert sorted(run_root().iterdir()) == dirs


@pytest.mark.parametrize("major", images.OFFLINE_MAJORS)
def test_every_base_has_en_us_utf8(major: int) -> None:
    base = client.image(images.base_tag(major))
    assert base is not None and not images.stale_base(base), "run .ci/setup: a base is stale"
    shown = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", images.base_tag(major), "locale", "-a"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert "en_US.utf8" in shown


def test_collate_en_us_works_and_the_default_stays_c_utf8() -> None:
    with dotbox.sandbox() as sb:
        assert sb.query(
            "SELECT 'a' < 'B' COLLATE \"en_US\", 'a' < 'B' COLLATE \"en_US.utf8\","
            " 'a' < 'B' COLLATE \"C\""
        ) == [(True, True, False)]  # the control: in C, every capital sorts first
        assert sb.query(
            "SELECT datcollate FROM pg_database WHERE datname = current_database()"
        ) == [("C.UTF-8",)]
        with sb.connect() as conn, pytest.raises(psycopg.errors.UndefinedObject):
            conn.execute("SELECT 'a' < 'B' COLLATE \"xx_XX\"")
