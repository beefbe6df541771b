"""Capture takes the rows of the server's migration ledgers, and of the tables --data chooses,
and nothing else; a sandbox of the snapshot holds them."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

import dotbox
from tests.integration.conftest import run_cli
from tests.standin import StandIn, standin

SEED = """
CREATE TABLE django_migrations (id serial PRIMARY KEY, app text NOT NULL, name text NOT NULL);
CREATE TABLE cms_settings (id int PRIMARY KEY, project text);
CREATE TABLE cms_roles (id int PRIMARY KEY, name text);
CREATE TABLE cms_items (id int PRIMARY KEY, role int REFERENCES cms_roles(id), title text);
CREATE TABLE secrets (id int PRIMARY KEY, token text);
INSERT INTO django_migrations (app, name) VALUES ('auth', '0001_initial'), ('auth', '0002');
INSERT INTO cms_settings VALUES (1, 'site');
INSERT INTO cms_roles VALUES (1, 'admin');
INSERT INTO cms_items VALUES (1, 1, 'first');
INSERT INTO secrets VALUES (1, 'do-not-copy');
-- fails on any INSERT: the captured rows must load before triggers exist, as a restore does
CREATE TRIGGER no_writes BEFORE INSERT ON cms_roles FOR EACH ROW
  EXECUTE FUNCTION suppress_redundant_updates_trigger();
"""


@pytest.fixture(scope="module")
def server() -> Iterator[StandIn]:
    with standin(17, SEED) as official:
        yield official


def capture(server: StandIn, name: str, *extra: str) -> tuple[int, str, str]:
    dsn = f"postgresql://official:{server.password}@{server.address}:5432/official"
    proc = run_cli(
        "snapshot", "capture", "--dsn", dsn, "--name", name, "--network", server.network, *extra
    )
    return proc.returncode, proc.stdout, proc.stderr


def test_ledger_and_chosen_rows_are_captured_and_baked(server: StandIn) -> None:
    code, out, err = capture(server, "cms", "--data", "public.cms_*", "--json")
    assert code == 0, err
    m = json.loads(out)
    assert m["ledger_rows"] == {"public.django_migrations": 2}
    assert m["data_patterns"] == ["public.cms_*"]
    assert m["data_rows"] == {
        "public.cms_items": 1,
        "public.cms_roles": 1,
        "public.cms_settings": 1,
    }
    assert "do-not-copy" not in run_cli("snapshot", "show", "cms", check=True).stdout
    with dotbox.sandbox("cms") as sb:
        assert sb.query("SELECT name FROM django_migrations ORDER BY id") == [
            ("0001_initial",),
            ("0002",),
        ]
        assert sb.query("SELECT title FROM cms_items") == [("first",)]
        assert sb.query("SELECT count(*) FROM secrets") == [(0,)]  # the control: not chosen
        # the serial goes on after the captured rows
        sb.query("INSERT INTO django_migrations (app, name) VALUES ('auth', '0003')")
        assert sb.query("SELECT max(id) FROM django_migrations") == [(3,)]
    assert server.query("SELECT count(*) FROM django_migrations") == [(2,)]


def test_without_data_only_the_ledger_rows_come(server: StandIn) -> None:
    code, out, err = capture(server, "cms-schema", "--json")
    assert code == 0, err
    m = json.loads(out)
    assert m["ledger_rows"] == {"public.django_migrations": 2} and m["data_rows"] == {}


def test_a_pattern_matching_nothing_is_one_clear_line(server: StandIn) -> None:
    code, _, err = capture(server, "cms-none", "--data", "public.nothing_*")
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "public.nothing_*" in err
    assert run_cli("snapshot", "show", "cms-none").returncode == 3
