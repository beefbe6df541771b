"""Test runners that create databases: the handed-out role may create (and drop its own)
databases, and is still no superuser and makes no roles. A Django project's own test suite
(``manage.py test`` and pytest-django) runs against a default sandbox and leaves nothing."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import django
import psycopg
import pytest
import pytest_django  # noqa: F401  (a test dependency: missing, this module fails; never skips)

import dotbox
from dotbox import evidence, pool
from dotbox.core.records import SandboxCredentials
from dotbox.pg import db
from tests.integration.conftest import cli_json


def _databases(sb: dotbox.Sandbox) -> list[str]:
    rows = sb.query("SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY 1")
    return [r[0] for r in rows]


def _in(creds: SandboxCredentials, database: str) -> SandboxCredentials:
    return dataclasses.replace(creds, database=database)


def test_the_handed_out_role_creates_uses_and_drops_a_database() -> None:
    with dotbox.sandbox() as sb:
        before = _databases(sb)
        with sb.connect(autocommit=True) as conn:
            conn.execute("CREATE DATABASE scratch_one")
        with db.connect(_in(sb.credentials, "scratch_one"), autocommit=True) as conn:
            conn.execute("CREATE TABLE t (x int PRIMARY KEY)")
            conn.execute("INSERT INTO t VALUES (1), (2)")
            assert conn.execute("SELECT count(*), current_user FROM t").fetchone() == (
                2,
                "sandbox",
            )
            owner = conn.execute(
                "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
            ).fetchone()
            assert owner == ("sandbox",)
        assert _databases(sb) == sorted([*before, "scratch_one"])
        with sb.connect(autocommit=True) as conn:
            conn.execute("DROP DATABASE scratch_one")
        assert _databases(sb) == before


def test_a_django_like_flow_from_template0() -> None:
    with dotbox.sandbox() as sb, sb.connect(autocommit=True) as conn:
        conn.execute("CREATE DATABASE test_x TEMPLATE template0")
        assert "test_x" in _databases(sb)
        conn.execute("DROP DATABASE test_x")
        assert "test_x" not in _databases(sb)


def test_still_no_superuser_no_roles_and_only_its_own_databases() -> None:
    """The control: CREATEDB is all that was given."""
    with dotbox.sandbox() as sb:
        flags = sb.query(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls"
            " FROM pg_roles WHERE rolname = current_user"
        )
        assert flags == [(False, False, True, False, False)]
        with sb.connect(autocommit=True) as conn:
            for statement in (
                "CREATE ROLE intruder",
                "ALTER ROLE sandbox SUPERUSER",
                "ALTER ROLE sandbox CREATEROLE",
                "DROP DATABASE postgres",  # dotbox_admin's, not the sandbox role's
                "COPY (SELECT 1) TO PROGRAM 'true'",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(statement)
        assert "postgres" in _databases(sb)


def test_show_list_and_the_create_record_say_so() -> None:
    with dotbox.sandbox() as sb:
        shown = cli_json("show", sb.id)
        assert isinstance(shown, dict) and shown["createdb"] is True
        assert shown["superuser"] is False
        listed = cli_json("list")
        assert isinstance(listed, list)
        assert [s["createdb"] for s in listed if s["id"] == sb.id] == [True]
        lines = evidence.ledger_path(sb.id).read_text().splitlines()
        create = json.loads(lines[0])
        assert create["primitive"] == "sandbox-create"
        assert create["verify"]["checks"]["createdb"] is True
        assert create["verify"]["checks"]["superuser"] is False


def test_a_tcp_sandbox_may_create_databases_too() -> None:
    """Its bootstrap runs inside the container; the create's read-back goes through the
    forwarder."""
    with dotbox.sandbox(tcp=True) as sb:
        assert sb.info.createdb
        with psycopg.connect(sb.tcp_dsn, autocommit=True) as conn:
            conn.execute("CREATE DATABASE over_tcp")
            conn.execute("DROP DATABASE over_tcp")
            row = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            assert row.fetchone() == (False,)


@pytest.fixture
def drained() -> object:
    pool.drain()
    yield
    pool.drain()


def test_a_pooled_sandbox_may_create_databases(drained: None) -> None:
    pool.fill("default", 1)
    (pooled,) = pool.status_of("default").ids
    got = pool.checkout("default", timedelta(minutes=5), refill=False)
    assert got is not None and got[0].id == pooled and got[0].createdb
    try:
        with db.connect(got[1], autocommit=True) as conn:
            conn.execute("CREATE DATABASE from_the_pool")
            conn.execute("DROP DATABASE from_the_pool")
    finally:
        dotbox.drop(pooled)


def test_an_entry_pooled_before_createdb_is_never_handed_out(drained: None) -> None:
    """The control for the pool: an entry that does not say its role may create databases (one
    written before it could) is dropped, not handed out."""
    pool.fill("default", 1)
    (old,) = pool.status_of("default").ids
    (entry,) = (pool.root() / "default" / "ready").iterdir()
    record = json.loads(entry.read_text())
    del record["createdb"]
    entry.write_text(json.dumps(record))
    assert pool.status_of("default").stale == 1
    assert pool.checkout("default", timedelta(minutes=5), refill=False) is None
    assert old not in [s.id for s in dotbox.list_sandboxes()]


# ---- a Django project's own test suite -----------------------------------------------------

SETTINGS = """\
import json, os
SECRET_KEY = "test-only"
INSTALLED_APPS = ["shop"]
DATABASES = {"default": json.loads(os.environ["SHOP_DATABASE"])}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
"""
MODELS = """\
from django.db import models

class Item(models.Model):
    slug = models.CharField(max_length=20, unique=True)
"""
TESTS = """\
from django.db import connection
from django.test import TestCase, TransactionTestCase
from shop.models import Item

class InATransaction(TestCase):
    def test_writes_to_the_test_database(self):
        Item.objects.create(slug="a")
        with connection.cursor() as cur:
            cur.execute("SELECT current_database()")
            assert cur.fetchone()[0] == "test_sandbox", "not the test database"
        assert Item.objects.count() == 1

class Committed(TransactionTestCase):
    def test_commits_and_is_flushed(self):
        Item.objects.create(slug="b")
        assert Item.objects.count() == 1
"""
MANAGE = """\
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")
from django.core.management import execute_from_command_line
execute_from_command_line(sys.argv)
"""


def _django_project(root: Path) -> None:
    files = {
        "manage.py": MANAGE,
        "proj/__init__.py": "",
        "proj/settings.py": SETTINGS,
        "shop/__init__.py": "",
        "shop/models.py": MODELS,
        "shop/tests.py": TESTS,
        "shop/migrations/__init__.py": "",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))


def _django_env(sb: dotbox.Sandbox) -> dict[str, str]:
    c = sb.credentials
    database = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": c.database,
        "USER": c.user,
        "PASSWORD": c.password,
        "HOST": str(c.socket_dir),
    }
    django_path = str(Path(django.__file__).resolve().parents[1])
    path = os.pathsep.join(filter(None, [django_path, os.environ.get("PYTHONPATH")]))
    return os.environ | {"SHOP_DATABASE": json.dumps(database), "PYTHONPATH": path}


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_django_manage_py_test_and_pytest_django_against_a_default_sandbox(
    tmp_path: Path,
) -> None:
    _django_project(tmp_path)
    with dotbox.sandbox() as sb:
        env = _django_env(sb)
        made = _run(["manage.py", "makemigrations", "shop"], tmp_path, env)
        assert made.returncode == 0, made.stderr
        ran = _run(["manage.py", "test", "--noinput", "-v", "2"], tmp_path, env)
        assert ran.returncode == 0, ran.stdout + ran.stderr
        assert "Creating test database for alias 'default'" in ran.stderr
        assert "Ran 2 tests" in ran.stderr and "\nOK" in ran.stderr
        assert "test_sandbox" not in _databases(sb)  # gone afterwards
        plugin = _run(
            ["-m", "pytest", "-q", "-p", "no:cacheprovider", "--ds=proj.settings", "shop/tests.py"],
            tmp_path,
            env,
        )
        assert plugin.returncode == 0, plugin.stdout + plugin.stderr
        assert "2 passed" in plugin.stdout
        assert "test_sandbox" not in _databases(sb)
        # the sandbox's own database holds none of the tests' tables
        assert sb.query("SELECT to_regclass('shop_item')") == [(None,)]
