"""The sanitiser: what a snapshot may not carry, what is redacted, what major it needs."""

from pathlib import Path

import pytest

from dotbox import images
from dotbox.core import paths
from dotbox.core.errors import InvalidInput
from dotbox.snapshots import store
from dotbox.sql import ddl
from tests.conftest import corpus


@pytest.fixture(autouse=True)
def own_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOTBOX_HOME", str(tmp_path / "home"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("CREATE TABLE t (a int);\n\\connect other\n", "x.sql:2: psql meta-command '\\connect'"),
        ("\\c other\n", "'\\c' is refused: it switches"),
        ("SELECT 1;\n\\! rm -rf /\n", "x.sql:2: psql meta-command '\\!' is refused"),
        ("\\copy t from program 'ls'\n", "'\\copy' is refused"),
        ("CREATE TABLE t (a int);\nCOPY t FROM PROGRAM 'id';\n", "x.sql:2: COPY … PROGRAM"),
        ("COPY t TO PROGRAM 'nc x 1';\n", "x.sql:1: COPY … PROGRAM"),
        ("COPY t FROM '/etc/passwd';\n", "COPY with a server file name"),
        (
            "CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p;\n",
            "a SUBSCRIPTION (it connects to another server) is refused",
        ),
        (
            "CREATE USER MAPPING FOR bob SERVER s OPTIONS (passfile '/p');\n",
            "option 'passfile' (a credential file) is refused",
        ),
    ],
)
def test_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as err:
        ddl.analyse(ddl.sanitise(text)[0], "x.sql")
    assert message in str(err.value)


def test_passwords_of_servers_and_user_mappings_are_redacted(tmp_path: Path) -> None:
    src = tmp_path / "fdw.sql"
    src.write_text(
        "CREATE EXTENSION postgres_fdw;\n"
        "CREATE SERVER official FOREIGN DATA WRAPPER postgres_fdw\n"
        "  OPTIONS (host 'db', dbname 'prod');\n"
        "CREATE USER MAPPING FOR app SERVER official\n"
        "  OPTIONS (user 'app', password 'hunter''2;x');\n"
        "ALTER USER MAPPING FOR app SERVER official OPTIONS (SET password E'sec\\\\ret');\n"
    )
    m = store.import_file(src, "fdw")
    stored = paths.snapshot_ddl(m.digest).read_text()
    assert "hunter" not in stored and "sec" not in stored.replace("security", "")
    assert stored.count(f"'{ddl.REDACTED}'") == 2
    assert "user 'app'" in stored and "host 'db'" in stored
    assert m.redacted == ["line 4: option password redacted", "line 6: option password redacted"]
    assert "hunter" not in m.model_dump_json()
    assert m.roles == ["app"]
    assert len(stored.splitlines()) == 6  # line numbers kept


def test_set_role_and_session_authorization_name_roles_to_create() -> None:
    a = ddl.analyse("SET ROLE owner_a;\nSET SESSION AUTHORIZATION 'owner_b';\n", "x.sql")
    assert a.referenced_roles == ["owner_a", "owner_b"]


def test_pg18_features_raise_the_major_and_name_the_line() -> None:
    text = ddl.normalise(corpus("pagila-head-pg18.sql").read_text())
    a = ddl.analyse(text, "p.sql")
    assert a.min_major == 18
    assert a.min_major_reason.startswith("line ")
    plain = ddl.analyse(ddl.normalise(corpus("pagila.sql").read_text()), "p.sql")
    assert plain.min_major == 0


def test_pg18_corpus_imports_as_18_and_is_refused_on_15() -> None:
    src = corpus("pagila-head-pg18.sql")
    m = store.import_file(src, "p18")
    assert (m.pg_major, m.pg_major_from, m.min_major) == (18, "features", 18)
    with pytest.raises(InvalidInput) as err:
        store.import_file(src, "p15", pg_major=15)
    assert "needs PostgreSQL 18 or newer" in str(err.value)
    assert store.list_all() == [m]


def test_bake_refuses_an_older_major_before_any_container() -> None:
    m = store.import_file(corpus("pagila-head-pg18.sql"), "p18")
    stale = m.model_copy(update={"pg_major": 17})
    with pytest.raises(InvalidInput) as err:
        images.sandbox_image(stale)  # would need the engine if it got past the check
    assert "needs PostgreSQL 18" in str(err.value) and "cannot bake on 17" in str(err.value)


def test_event_trigger_owners_are_superusers_while_baking(tmp_path: Path) -> None:
    src = tmp_path / "evt.sql"
    src.write_text("ALTER EVENT TRIGGER t OWNER TO boss;\nALTER TABLE x OWNER TO app;\n")
    m = store.import_file(src, "evt")
    assert m.roles == ["app", "boss"] and m.superuser_roles == ["boss"]


def test_capture_dsn_is_split_from_its_password() -> None:
    from dotbox.snapshots import capture

    conninfo, password, shown = capture.parse_dsn("postgresql://u:s%40cret@10.1.2.3:5433/prod")
    assert password == "s@cret"
    assert "cret" not in conninfo and "cret" not in shown
    assert shown == "postgresql://u@10.1.2.3:5433/prod"
    for bad, message in [
        ("not a dsn ===", "not a valid"),
        ("postgresql:///db", "needs a host"),
        ("postgresql://u@h/db?options=-c%20x", "not accepted"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            capture.parse_dsn(bad)


def test_a_password_that_cannot_be_redacted_is_refused_with_its_line() -> None:
    text = "SELECT 1;\nCREATE USER MAPPING FOR a SERVER s OPTIONS (password $$x$$);\n"
    with pytest.raises(InvalidInput, match=r"^m.sql:2: option password is not a plain string"):
        ddl.sanitise(text, "m.sql")
