"""Rows of migration ledgers travel with a snapshot into every sandbox baked from it; a dump
older than every base bakes on the oldest base above it."""

from __future__ import annotations

from pathlib import Path

import dotbox
from tests.integration.conftest import cli_json, run_cli

STRUCTURE = """\
--
-- Dumped from database version 12.11
--
SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);
CREATE TABLE public.schema_migrations (version character varying NOT NULL PRIMARY KEY);
CREATE TABLE public.ar_internal_metadata (key character varying NOT NULL PRIMARY KEY,
    value character varying);
CREATE TABLE public.django_migrations (id integer PRIMARY KEY, app text, name text);
CREATE TABLE public.users (id bigint PRIMARY KEY, email text);
COPY public.django_migrations (id, app, name) FROM stdin;
1\tauth\t0001_initial
2\tauth\t0002_alter
\\.
SET search_path TO "$user", public;
INSERT INTO "schema_migrations" (version) VALUES
('20240101000000'),
('20240202000000');
INSERT INTO public.ar_internal_metadata VALUES ('environment', 'production');
"""


def test_ledger_rows_are_in_the_sandbox_and_other_rows_still_refused(tmp_path: Path) -> None:
    src = tmp_path / "structure.sql"
    src.write_text(STRUCTURE)
    m = cli_json("snapshot", "import", str(src), "--name", "railsy")
    assert isinstance(m, dict)
    assert m["ledger_rows"] == {
        "public.ar_internal_metadata": 1,
        "public.django_migrations": 2,
        "schema_migrations": 2,
    }
    assert m["allow_data"] is False
    shown = run_cli("snapshot", "show", "railsy", check=True).stdout
    assert "schema_migrations (2 rows)" in shown and "public.django_migrations (2 rows)" in shown
    with dotbox.sandbox("railsy") as sb:
        assert sb.query("SELECT version FROM public.schema_migrations ORDER BY 1") == [
            ("20240101000000",),
            ("20240202000000",),
        ]
        assert sb.query("SELECT name FROM public.django_migrations ORDER BY id") == [
            ("0001_initial",),
            ("0002_alter",),
        ]
        assert sb.query("SELECT count(*) FROM public.users") == [(0,)]

    # the control: a row of any other table is refused with its line, and nothing is stored
    bad = tmp_path / "bad.sql"
    bad.write_text(STRUCTURE + "INSERT INTO schema_migrations SELECT email FROM public.users;\n")
    proc = run_cli("snapshot", "import", str(bad), "--name", "railsy-bad")
    assert proc.returncode == 2, proc.stderr
    assert f"bad.sql:{len(STRUCTURE.splitlines()) + 1}: the snapshot carries data" in proc.stderr
    assert run_cli("snapshot", "show", "railsy-bad").returncode == 3


def test_a_dump_from_12_bakes_on_15_and_says_so(tmp_path: Path) -> None:
    src = tmp_path / "old.sql"
    src.write_text(STRUCTURE)
    proc = run_cli("snapshot", "import", str(src), "--name", "from12")
    assert proc.returncode == 0, proc.stderr
    assert "PostgreSQL 15 (header)" in proc.stdout
    assert "note: the dump is from PostgreSQL 12.11, older than every base" in proc.stdout
    assert "it bakes on 15" in run_cli("snapshot", "show", "from12", check=True).stdout
    with dotbox.sandbox("from12") as sb:
        assert sb.query("SHOW server_version_num")[0][0].startswith("15")
