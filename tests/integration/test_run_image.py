"""dotbox run --image: migration tools run inside the runner's walls. An Alembic project and a
Django project migrate a sandbox through the bundled tools image, and the Alembic project again
through an image built here from it; verify sees what they made; no network is reachable from
any of them (a probe to a stand-in official server fails inside, and reaches it from outside);
an image is pinned to its id before the runner is made; a bad image makes nothing."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import dotbox
from dotbox.engine import client
from dotbox.sandboxes import guard, run_image, runner
from tests.security.attack import PROBE, REPO, Official, cli, official_server

DRIFT = 14
SESSION = secrets.token_hex(4)
DERIVED = f"dotbox-test-runimage-{SESSION}:derived"
NOT_OURS = f"dotbox/test-runimage-{SESSION}:not-ours"

ALEMBIC_ENV = """\
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine

fileConfig(context.config.config_file_name)
url = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
with create_engine(url).connect() as conn:
    context.configure(connection=conn, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
"""
SHELF = """\
import sqlalchemy as sa
from alembic import op

revision, down_revision = "0001", None


def upgrade():
    op.create_table(
        "shelf",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.Text, nullable=False, unique=True),
        sa.Column("slots", sa.Integer, sa.CheckConstraint("slots > 0", name="shelf_slots_check")),
    )


def downgrade():
    op.drop_table("shelf")
"""
BOOK = """\
import sqlalchemy as sa
from alembic import op

revision, down_revision = "0002", "0001"


def upgrade():
    op.create_table(
        "book",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("shelf_id", sa.Integer, sa.ForeignKey("shelf.id"), nullable=False),
        sa.Column("isbn", sa.Text, nullable=False),
        sa.UniqueConstraint("shelf_id", "isbn"),
        sa.CheckConstraint("length(isbn) IN (10, 13)", name="book_isbn_check"),
    )


def downgrade():
    op.drop_table("book")
"""
ALEMBIC_INI = """\
[alembic]
script_location = %(here)s/migrations
[loggers]
keys = root,alembic
[handlers]
keys = console
[formatters]
keys = plain
[logger_root]
level = WARNING
handlers = console
[logger_alembic]
level = INFO
handlers = console
qualname = alembic
propagate = 0
[handler_console]
class = StreamHandler
args = (sys.stderr,)
formatter = plain
[formatter_plain]
format = %(message)s
"""

# Django reads no password: libpq finds it through PGPASSFILE (PGPASSWORD is unset below).
DJANGO_SETTINGS = """\
import os
SECRET_KEY = "test-only"
INSTALLED_APPS = ["shop"]
DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql",
                         "NAME": os.environ["PGDATABASE"], "USER": os.environ["PGUSER"],
                         "HOST": os.environ["PGHOST"], "PORT": os.environ["PGPORT"]}}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
"""
DJANGO_MODELS = """\
from django.db import models


class Shelf(models.Model):
    code = models.CharField(max_length=20, unique=True)
    slots = models.IntegerField()

    class Meta:
        constraints = [models.CheckConstraint(check=models.Q(slots__gt=0), name="slots_positive")]


class Book(models.Model):
    shelf = models.ForeignKey(Shelf, on_delete=models.CASCADE)
    isbn = models.CharField(max_length=13)
"""
MANAGE = """\
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")
from django.core.management import execute_from_command_line
execute_from_command_line(sys.argv)
"""
ENTRY = """\
#!/bin/sh
echo "the image's entrypoint ran" >&2
exec "$@"
"""


def dotbox_run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return cli(*args, cwd=cwd, timeout=600)


def docker(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, check=True, cwd=cwd
    ).stdout.strip()


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))
    return root


def runners(sb: dotbox.Sandbox) -> list[client.ContainerInfo]:
    return client.containers({"dotbox.id": sb.id, "dotbox.role": "runner"})


@pytest.fixture(scope="module")
def tools() -> str:
    """The tools image of the default snapshot's major (17), built if missing. Shared like the
    base images: it is left on the engine."""
    return run_image.tools_image(17).id


@pytest.fixture(scope="module")
def official() -> Iterator[Official]:
    with official_server() as watched:
        # the controls: the stand-in answers from the host and from a container on its network
        socket.create_connection(("127.0.0.1", watched.server.port), timeout=3).close()
        watched.control()
        yield watched


@pytest.fixture(scope="module")
def derived(tools: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An image built here FROM the tools image: its own entrypoint, a USER, a VOLUME."""
    context = tmp_path_factory.mktemp("derived")
    (context / "entry.sh").write_text(ENTRY)
    (context / "entry.sh").chmod(0o755)
    (context / "Dockerfile").write_text(
        f"FROM {run_image.tools_tag(17)}\nLABEL dotbox.test.session={SESSION}\n"
        'COPY entry.sh /opt/entry.sh\nENTRYPOINT ["/opt/entry.sh"]\nUSER 65534\nVOLUME /data\n'
    )
    docker("build", "-q", "-t", DERIVED, ".", cwd=context)
    try:
        yield DERIVED
    finally:
        subprocess.run(["docker", "rmi", DERIVED], capture_output=True, check=False)


def assert_no_network(official: Official, sb: dotbox.Sandbox, image: str, cwd: Path) -> None:
    probe = dotbox_run(
        cwd, "run", sb.id, "--image", image, "--", "python3", "-c", PROBE, *official.targets
    )
    assert probe.returncode == 0, probe.stderr
    lines = probe.stdout.splitlines()
    assert len(lines) == len(official.targets) and all(" FAIL " in x for x in lines), lines
    official.assert_untouched()
    official.connections_before = official.connections()  # assert_untouched's own canary read


def alembic_project(root: Path) -> Path:
    return write(
        root,
        {
            "alembic.ini": ALEMBIC_INI,
            "migrations/env.py": ALEMBIC_ENV,
            "migrations/script.py.mako": "",
            "migrations/versions/0001_shelf.py": SHELF,
            "migrations/versions/0002_book.py": BOOK,
        },
    )


def verify(sb: dotbox.Sandbox) -> subprocess.CompletedProcess[str]:
    return dotbox_run(REPO, "verify", sb.id)


def alembic_cycle(sb: dotbox.Sandbox, image: str, project: Path) -> str:
    """Upgrade two revisions, verify, downgrade, verify; the upgrade's stderr."""
    up = dotbox_run(
        project, "run", sb.id, "--image", image, "--rw", "--", "alembic", "upgrade", "head"
    )
    assert up.returncode == 0, up.stderr
    assert "Running upgrade  -> 0001" in up.stderr and "Running upgrade 0001 -> 0002" in up.stderr
    assert sb.query("SELECT version_num FROM alembic_version") == [("0002",)]
    kinds = sb.query(
        "SELECT conrelid::regclass::text, contype FROM pg_constraint"
        " WHERE conrelid::regclass::text IN ('shelf', 'book') ORDER BY 1, 2"
    )
    assert kinds == [
        ("book", "c"), ("book", "f"), ("book", "p"), ("book", "u"),
        ("shelf", "c"), ("shelf", "p"), ("shelf", "u"),
    ]  # fmt: skip
    drifted = verify(sb)
    assert drifted.returncode == DRIFT, drifted.stdout + drifted.stderr
    for table in ("public.alembic_version", "public.shelf", "public.book"):
        assert f"drift: table {table} added" in drifted.stdout, drifted.stdout
    down = dotbox_run(
        project, "run", sb.id, "--image", image, "--rw", "--", "alembic", "downgrade", "base"
    )
    assert down.returncode == 0, down.stderr
    assert sb.query("SELECT count(*) FROM alembic_version") == [(0,)]
    left = verify(sb)
    assert left.returncode == DRIFT, left.stdout + left.stderr
    drift = [x for x in left.stdout.splitlines() if x.strip().startswith("drift:")]
    assert drift and all("alembic_version" in x for x in drift), left.stdout
    return up.stderr


def test_alembic_upgrades_and_downgrades_inside_the_tools_image(
    tools: str, official: Official, tmp_path: Path
) -> None:
    project = alembic_project(tmp_path)
    with dotbox.sandbox() as sb:
        alembic_cycle(sb, "tools", project)
        assert_no_network(official, sb, "tools", project)
        assert runners(sb) == []


def test_the_tools_image_imports_what_the_default_runner_cannot(tools: str) -> None:
    imports = ["python3", "-c", "import psycopg, psycopg2, sqlalchemy, alembic, django"]
    with dotbox.sandbox() as sb:
        assert sb.run(imports, image="tools") == 0  # the Python API's image=
        assert sb.run(imports) == 1  # the control: the base image's python3-minimal
        tcp = [
            "sh",
            "-c",
            "python3 -c \"import psycopg, os; psycopg.connect(os.environ['DATABASE_URL'])\"",
        ]
        assert sb.run(tcp, image="tools", tcp=True) == 0  # --tcp: socat and pg_isready in it


def test_django_migrates_with_check_unique_and_fk_inside_the_tools_image(
    tools: str, official: Official, tmp_path: Path
) -> None:
    project = write(
        tmp_path,
        {
            "manage.py": MANAGE,
            "proj/__init__.py": "",
            "proj/settings.py": DJANGO_SETTINGS,
            "shop/__init__.py": "",
            "shop/models.py": DJANGO_MODELS,
            "shop/migrations/__init__.py": "",
        },
    )
    script = "python3 manage.py makemigrations shop && python3 manage.py migrate"
    with dotbox.sandbox() as sb:
        ran = dotbox_run(
            project, "run", sb.id, "--image", "tools", "--rw", "--",
            "env", "-u", "PGPASSWORD", "-u", "DATABASE_URL", "sh", "-c", script,
        )  # fmt: skip
        assert ran.returncode == 0, ran.stdout + ran.stderr
        assert "Applying shop.0001_initial... OK" in ran.stdout
        assert (project / "shop/migrations/0001_initial.py").is_file()  # written with --rw
        kinds = sb.query(
            "SELECT conrelid::regclass::text, contype FROM pg_constraint"
            " WHERE conrelid::regclass::text LIKE 'shop_%' ORDER BY 1, 2"
        )
        assert kinds == [
            ("shop_book", "f"), ("shop_book", "p"),
            ("shop_shelf", "c"), ("shop_shelf", "p"), ("shop_shelf", "u"),
        ]  # fmt: skip
        assert sb.query("SELECT app, name FROM django_migrations") == [("shop", "0001_initial")]
        drifted = verify(sb)
        assert drifted.returncode == DRIFT and "public.shop_book" in drifted.stdout
        assert_no_network(official, sb, "tools", project)
        assert runners(sb) == []


def test_an_image_built_from_the_tools_image_runs_alembic_as_you(
    derived: str, official: Official, tmp_path: Path
) -> None:
    project = alembic_project(tmp_path)
    with dotbox.sandbox() as sb:
        seen = dotbox_run(
            project, "run", sb.id, "--image", derived, "--",
            "sh", "-c", "id -u; grep ' /data ' /proc/mounts | cut -d' ' -f3; psql -XAtc 'select 1'",
        )  # fmt: skip
        assert seen.returncode == 0, seen.stderr
        # its entrypoint ran first; it runs as you, not as its USER 65534; its VOLUME is a tmpfs
        assert "the image's entrypoint ran" in seen.stderr
        assert seen.stdout.split() == [str(os.getuid()), "tmpfs", "1"]
        assert "the image's entrypoint ran" in alembic_cycle(sb, derived, project)
        assert_no_network(official, sb, derived, project)
        assert runners(sb) == []


def test_the_runner_is_made_from_the_id_the_name_had_when_resolved(
    derived: str, tools: str
) -> None:
    with dotbox.sandbox() as sb:
        pinned = run_image.resolve(derived, 17)
        assert pinned.entrypoint == ("/opt/entry.sh",) and pinned.volumes == ("/data",)
        spec = runner.spec(guard.require_live(sb.id), ["true"], cwd=None, image=pinned)
        retagged = f"dotbox-test-runimage-{SESSION}:retagged"
        docker("tag", pinned.id, retagged)
        docker("tag", "dotbox/base:pg17", derived)  # the name moves on before the create
        try:
            assert client.image_id(derived) != pinned.id  # the control: it did move
            container = client.create_container(spec)
            try:
                assert client.container_json(container)["Image"] == pinned.id
            finally:
                client.remove_container(container)
        finally:
            docker("tag", pinned.id, derived)
            docker("rmi", retagged)


@pytest.fixture
def not_ours(tmp_path: Path) -> Iterator[str]:
    """An image at a dotbox/ tag that dotbox did not make (no dotbox label)."""
    (tmp_path / "f").write_text("x")
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY f /f\n")
    docker("build", "-q", "-t", NOT_OURS, ".", cwd=tmp_path)
    try:
        yield NOT_OURS
    finally:
        subprocess.run(["docker", "rmi", NOT_OURS], capture_output=True, check=False)


@pytest.mark.parametrize(
    ("image", "code", "words"),
    [
        ("{missing}", 3, "is not on the engine; dotbox never pulls"),
        ("-no such/image", 2, "invalid image"),
        ("a/../../containers/x", 2, "invalid image"),
        ("{not_ours}", 4, "dotbox did not make it"),
    ],
)  # the session's names are filled in by the test: xdist workers must collect the same ids
def test_a_bad_image_is_one_line_and_makes_nothing(
    tools: str, not_ours: str, tmp_path: Path, image: str, code: int, words: str
) -> None:
    missing = f"dotbox-test-runimage-{SESSION}:missing"
    image = image.format(missing=missing, not_ours=not_ours)
    with dotbox.sandbox() as sb:
        ran = dotbox_run(tmp_path, "run", sb.id, "--image", image, "--", "true")
        assert ran.returncode == code, ran.stderr
        assert ran.stdout == "" and len(ran.stderr.strip().splitlines()) == 1, ran.stderr
        assert words in ran.stderr
        assert runners(sb) == []
        assert client.image(missing) is None  # nothing pulled
        # the control: the same run with the tools image works
        assert dotbox_run(tmp_path, "run", sb.id, "--image", "tools", "--", "true").returncode == 0
