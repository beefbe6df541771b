"""import → bake → create → query → drop, on real containers."""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

import dotbox
from dotbox import images
from dotbox.engine import client
from dotbox.snapshots import store
from tests.conftest import corpus
from tests.integration.conftest import cli_json, interfaces, run_cli, run_root

USER_TABLES = """
SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype = 'e')
"""


@pytest.mark.parametrize(("file", "pg"), [("pagila.sql", 15), ("supabase.sql", None)])
def test_corpus_sandbox_holds_the_snapshots_tables(file: str, pg: int | None) -> None:
    name = Path(file).stem
    args = ["snapshot", "import", str(corpus(file)), "--name", name]
    manifest = cli_json(*args, *(["--pg", str(pg)] if pg else []))
    assert isinstance(manifest, dict)
    with dotbox.sandbox(name) as sb:
        assert sb.info.pg_major == (pg or 17)
        (tables,) = sb.query(USER_TABLES)[0]
        assert tables == manifest["counts"]["tables"]
        version = sb.query("SHOW server_version_num")[0][0]
        assert int(version) // 10000 == sb.info.pg_major
        container = client.containers({"dotbox.id": sb.id})[0]
    assert client.inspect_container(container.id) is None
    assert not sb.info.socket_dir.exists()


def test_two_sandboxes_from_one_snapshot_are_independent() -> None:
    with dotbox.sandbox() as a, dotbox.sandbox() as b:
        assert a.info.image == b.info.image and a.dsn != b.dsn
        a.query("INSERT INTO runtime.block (code, title) VALUES ('ONLY_A', 'a')")
        assert a.query("SELECT code FROM runtime.block") == [("ONLY_A",)]
        assert b.query("SELECT count(*) FROM runtime.block") == [(0,)]


def test_sandbox_has_no_network_only_loopback() -> None:
    with dotbox.sandbox() as sb:
        container = client.containers({"dotbox.id": sb.id})[0]
        assert client.inspect_container(container.id).network_mode == "none"  # type: ignore[union-attr]
        assert interfaces(container.id) == ["lo"]
        out = subprocess.run(
            ["docker", "inspect", "-f", "{{json .NetworkSettings.Networks}}", container.id],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert '"none"' in out and "bridge" not in out


def test_every_connection_needs_the_sandbox_password() -> None:
    with dotbox.sandbox() as sb:
        creds = sb.credentials
        host = str(creds.socket_dir)
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(host=host, user="sandbox", dbname="sandbox", connect_timeout=3)
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            psycopg.connect(
                host=host, user="sandbox", dbname="sandbox", password="wrong", connect_timeout=3
            )
        # The bootstrap door (dotbox_admin, trusted once at create) is closed.
        with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
            psycopg.connect(host=host, user="dotbox_admin", dbname="sandbox", connect_timeout=3)
        assert sb.query(
            "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user"
        ) == [("sandbox", False)]


def test_bake_is_keyed_by_content_and_done_once() -> None:
    manifest = store.get("default")
    first = images.sandbox_image(manifest)
    base = images.base_image(manifest.pg_major)
    assert first.tags == [images.sandbox_tag(manifest, base)]
    assert first.labels["dotbox.snapshot.digest"] == manifest.digest
    assert first.labels["dotbox.base"] == base.id
    of_this_content = {"dotbox.role": "sandbox-image", "dotbox.snapshot.digest": manifest.digest}
    before = client.images(of_this_content)  # other workers may bake other snapshots meanwhile
    assert images.sandbox_image(manifest).id == first.id
    assert client.images(of_this_content) == before


def test_an_image_whose_label_disagrees_with_its_tag_is_baked_anew(tmp_path: Path) -> None:
    # What a bake whose recipe changed while it ran left behind: the right tag on an image
    # baked by another recipe. Verify would refuse its sandboxes, so it must not be used.
    ddl = tmp_path / "stale.sql"
    ddl.write_text(f"CREATE TABLE stale_{secrets.token_hex(4)} (a int);\n")
    manifest = dotbox.import_snapshot(ddl, f"stale-{secrets.token_hex(3)}")
    base = images.base_image(manifest.pg_major)
    tag = images.sandbox_tag(manifest, base)
    stale = f"FROM {base.id}\nLABEL dotbox.recipe=stale\n"
    subprocess.run(["docker", "build", "-q", "-t", tag, "-"], input=stale, text=True, check=True)
    try:
        image = images.sandbox_image(manifest)
        assert image.tags == [tag] and image.labels["dotbox.recipe"] == images.recipe_digest()
    finally:
        client.remove_image(tag)


def test_a_sandbox_tag_on_an_image_dotbox_did_not_bake_is_refused(tmp_path: Path) -> None:
    ddl = tmp_path / "foreign.sql"
    ddl.write_text(f"CREATE TABLE foreign_{secrets.token_hex(4)} (a int);\n")
    manifest = dotbox.import_snapshot(ddl, f"foreign-{secrets.token_hex(3)}")
    base = images.base_image(manifest.pg_major)
    tag = images.sandbox_tag(manifest, base)
    subprocess.run(["docker", "tag", base.id, tag], check=True, capture_output=True)
    try:
        proc = run_cli("create", "--snapshot", manifest.name)
        assert proc.returncode == 4, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
        assert f"image {tag} ({base.id[:19]}) has no dotbox.recipe label" in proc.stderr
        assert list(run_root().iterdir()) == []
    finally:
        client.remove_image(tag)


def test_bake_failure_names_file_line_statement_and_leaves_nothing(
    tmp_path: Path, unchanged_engine: None
) -> None:
    bad = tmp_path / "broken.sql"
    bad.write_text(
        "CREATE TABLE ok (a int);\n\n"
        "CREATE TABLE broken (\n  a int REFERENCES missing_table (id)\n);\n"
        "CREATE TABLE never (b int);\n"
    )
    run_cli("snapshot", "import", str(bad), "--name", "broken", check=True)
    proc = run_cli("create", "--snapshot", "broken")
    assert proc.returncode == 6, proc.stderr
    message = proc.stderr.strip()
    assert len(message.splitlines()) == 1
    assert "broken.sql:5:" in message
    assert 'relation "missing_table" does not exist' in message
    assert "CREATE TABLE broken" in message
    assert list(run_root().iterdir()) == []


def test_cli_create_query_list_show_drop() -> None:
    created = cli_json("create", "--ttl", "10m")
    assert isinstance(created, dict)
    sid = created["id"]
    out = subprocess.run(
        ["psql", created["dsn"], "-XAtc", "SELECT count(*) FROM runtime.item"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "0"
    listed = cli_json("list")
    assert isinstance(listed, list)
    assert [s["state"] for s in listed if s["id"] == sid] == ["ready"]
    shown = cli_json("show", sid)
    assert isinstance(shown, dict) and shown["dsn"] == created["dsn"]
    dropped = cli_json("drop", sid)
    assert isinstance(dropped, dict)
    assert dropped["dropped"][0]["confirmed"] is True and dropped["errors"] == []
    assert all(s["id"] != sid for s in cli_json("list"))  # type: ignore[union-attr]
    assert not Path(created["socket_dir"]).exists()


def test_drop_all_drops_every_sandbox() -> None:
    ids = {dotbox.sandbox().id for _ in range(2)}
    proc = run_cli("drop", "--all", "--json", check=True)
    assert ids <= {line for line in ids if line in proc.stdout}
    assert dotbox.list_sandboxes() == []


def test_env_exports_reach_the_sandbox_with_psql() -> None:
    with dotbox.sandbox() as sb:
        exports = run_cli("env", sb.id, check=True).stdout
        out = subprocess.run(
            ["bash", "-c", f"{exports}\npsql -XAtc 'SELECT current_user, current_database()'"],
            capture_output=True,
            text=True,
            check=True,
            env={"PATH": "/usr/bin:/bin"},
        ).stdout
        assert out.strip() == "sandbox|sandbox"


def test_doctor_reports_the_engine_and_base_images() -> None:
    checks = cli_json("doctor")
    assert isinstance(checks, list)
    by_name = {c["name"]: c for c in checks}
    assert by_name["engine"]["status"] == "ok" and "API 1." in by_name["engine"]["detail"]
    assert "pg17" in by_name["base images"]["detail"]
    # .ci/setup builds every base with the current recipe: none missing, none stale
    assert by_name["base images"]["status"] == "ok", by_name["base images"]
    assert {"storage driver", "disk (engine)", "leftover sandboxes"} <= set(by_name)


def test_doctor_with_a_dead_engine_says_how_to_fix_it() -> None:
    import os

    env = os.environ | {"DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    proc = subprocess.run(
        [sys.executable, "-m", "dotbox", "doctor"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 13
    assert proc.stdout.startswith("fail  engine") and "fix: start the engine" in proc.stdout
