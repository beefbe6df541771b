"""Extensions on demand: a snapshot that needs an extension the base lacks bakes on a base that
adds Debian's package for it on that major (built once, keyed by the packages); only an extension
no package gives is an error, and `snapshot import` says so before any bake."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import dotbox
from dotbox import images
from dotbox.engine import client
from dotbox.snapshots import store
from tests.conftest import corpus, unique
from tests.integration.conftest import run_cli

POSTGIS = """\
CREATE EXTENSION IF NOT EXISTS postgis WITH SCHEMA public;
CREATE TABLE place (id int PRIMARY KEY, name text NOT NULL, geom geometry(Point, 4326));
CREATE INDEX place_geom ON place USING gist (geom);
"""


@pytest.mark.parametrize("major", [15, 17])
def test_postgis_bakes_on_a_base_that_adds_its_package(tmp_path: Path, major: int) -> None:
    ddl = tmp_path / "places.sql"
    ddl.write_text(POSTGIS)
    name = unique(f"gis{major}")
    imported = run_cli("snapshot", "import", str(ddl), "--name", name, "--pg", str(major))
    assert imported.returncode == 0, imported.stderr
    package = f"postgresql-{major}-postgis-3"
    assert f"bakes on a base adding {package}" in imported.stdout
    # the control: the plain base of this major has no postgis
    plain = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", images.base_tag(major), "sh", "-c",
         f"ls /usr/share/postgresql/{major}/extension/ | grep -c '^postgis' || true"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert plain == "0"

    with dotbox.sandbox(name) as sb:
        point = "ST_SetSRID(ST_MakePoint(1, 2), 4326)"
        assert sb.query(f"INSERT INTO place VALUES (1, 'origin', {point}) RETURNING id") == [(1,)]
        assert sb.query("SELECT ST_AsText(geom), ST_SRID(geom) FROM place") == [
            ("POINT(1 2)", 4326)
        ]
        verdict = sb.verify().verify
        assert verdict is not None and verdict.checks["equal"], verdict
    derived = images.base_tag(major, (package,))
    found = client.image(derived)
    assert found is not None
    labels = found.labels
    assert labels["dotbox.base"] == f"pg{major}" and labels["dotbox.base.packages"] == package


def test_the_unedited_openstreetmap_structure_bakes_with_postgis(tmp_path: Path) -> None:
    """tests/corpora/openstreetmap.sql with its documented edits undone (SOURCES.md): the
    postgis extension and the geometry(Polygon,4326) column of its upstream structure.sql."""
    text = corpus("openstreetmap.sql").read_text()
    edited_column = (
        "zone bytea NOT NULL, -- EDIT: was public.geometry(Polygon,4326); PostGIS not installed"
    )
    assert edited_column in text
    text = text.replace(edited_column, "zone public.geometry(Polygon,4326) NOT NULL,")
    text = text.replace(
        "-- Name: postgis; Type: EXTENSION; Schema: -; Owner: -\n--\n",
        "-- Name: postgis; Type: EXTENSION; Schema: -; Owner: -\n--\n\n"
        "CREATE EXTENSION IF NOT EXISTS postgis WITH SCHEMA public;\n",
    )
    src = tmp_path / "structure.sql"
    src.write_text(text)
    name = unique("osm-gis")
    run_cli("snapshot", "import", str(src), "--name", name, check=True)
    manifest = store.get(name)
    assert "postgis" in manifest.extensions
    with dotbox.sandbox(name) as sb:
        udt = sb.query("SELECT udt_name FROM information_schema.columns WHERE column_name = 'zone'")
        assert udt == [("geometry",)]
        verdict = sb.verify().verify
        assert verdict is not None and verdict.checks["equal"], verdict


def test_an_extension_no_package_gives_is_named_at_import(tmp_path: Path) -> None:
    ddl = tmp_path / "vec.sql"
    ddl.write_text("CREATE TABLE a (id int);\nCREATE EXTENSION IF NOT EXISTS vector;\n")
    imported = run_cli("snapshot", "import", str(ddl), "--name", unique("vec"), "--pg", "15")
    assert imported.returncode == 0, imported.stderr
    assert "note: no Debian package known to dotbox gives vector on PostgreSQL 15" in (
        imported.stdout
    )
    assert "packaged for 17, 18" in imported.stdout


def test_vector_on_17_is_in_the_base_and_needs_no_derived_one(tmp_path: Path) -> None:
    ddl = tmp_path / "emb.sql"
    ddl.write_text(
        "CREATE EXTENSION vector;\nCREATE TABLE emb (id int PRIMARY KEY, v vector(3));\n"
    )
    name = unique("vec17")
    imported = run_cli("snapshot", "import", str(ddl), "--name", name, "--pg", "17")
    assert imported.returncode == 0, imported.stderr
    assert "bakes on a base adding" not in imported.stdout and "note:" not in imported.stdout
    with dotbox.sandbox(name) as sb:
        sb.query("INSERT INTO emb VALUES (1, '[1,2,3]'), (2, '[3,2,1]') RETURNING id")
        nearest = sb.query("SELECT id FROM emb ORDER BY v <-> '[1,2,2]' LIMIT 1")
        assert nearest == [(1,)]
