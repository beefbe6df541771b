import pytest

from dotbox.core.errors import InvalidInput
from dotbox.sql import ddl
from tests.conftest import corpus


@pytest.mark.parametrize(
    ("name", "tables", "functions"),
    # SOURCES.md of the corpora gives these numbers, counted by their own authors' tools.
    [
        ("pagila.sql", 22, 10),
        ("supabase.sql", 9, 15),
        ("openstreetmap.sql", 57, 2),
        ("gitlab.sql", 1401, 297),
    ],
)
def test_corpus_counts_match_their_sources(name: str, tables: int, functions: int) -> None:
    analysis = ddl.analyse(ddl.normalise(corpus(name).read_text()), name)
    assert analysis.counts["tables"] == tables
    assert analysis.counts["functions"] + analysis.counts["procedures"] == functions


def test_gitlab_indexes_and_extensions() -> None:
    analysis = ddl.analyse(ddl.normalise(corpus("gitlab.sql").read_text()), "gitlab.sql")
    assert analysis.counts["indexes"] == 6040 - 1865  # top-level; 1,865 are ATTACHed
    assert analysis.counts["index_partitions"] == 1865
    assert analysis.extensions == {"btree_gist", "pg_trgm"}


def test_roles_referenced_are_collected_but_not_ones_created_or_internal() -> None:
    text = (
        "CREATE ROLE made;\n"
        "ALTER TABLE t OWNER TO owner_a;\n"
        "GRANT SELECT ON t TO reader, PUBLIC, made;\n"
        'CREATE POLICY p ON t TO "Odd Role" USING (true);\n'
        "ALTER SCHEMA s OWNER TO sandbox;\n"
    )
    analysis = ddl.analyse(text, "x.sql")
    assert analysis.referenced_roles == ["Odd Role", "owner_a", "reader"]


def test_data_statements_are_found_with_their_lines() -> None:
    text = "CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);\nCOPY t FROM stdin;\n1\n\\.\n"
    assert ddl.analyse(text, "x.sql").data_lines == [2, 4]
    osm = ddl.analyse(ddl.normalise(corpus("openstreetmap.sql").read_text()), "osm")
    assert osm.data_lines == [] and osm.ledger_rows == {"schema_migrations": 162}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-- only a comment\n", "holds no SQL statements"),
        ("CREATE TABLE t (a int);\nthis is not sql;\n", ":2: not valid SQL"),
        ("SELECT 1;\n\\! rm -rf /\n", r":2: psql meta-command '\\!' is refused: it runs a shell"),
        ("SELECT 'never closed;\n", ":1: not valid SQL"),
    ],
)
def test_bad_scripts_are_refused_with_their_line(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        ddl.analyse(text, "bad.sql")


def test_normalise_keeps_line_numbers_and_blanks_restrict() -> None:
    raw = "\\restrict abc\r\nCREATE TABLE t (a int);   \r\n\\unrestrict abc\r\n\r\n"
    out = ddl.normalise(raw)
    assert out == "\nCREATE TABLE t (a int);\n"
    assert ddl.normalise(out) == out


def test_dumped_from_header() -> None:
    assert ddl.dumped_from_major("--\n-- Dumped from database version 15.4 (Debian)\n") == (
        15,
        "15.4",
    )
    assert ddl.dumped_from_major("-- Dumped from database version 18beta1\n") == (18, "18beta1")
    assert ddl.dumped_from_major("CREATE TABLE t ();\n") is None


def test_objects_made_again_are_counted_once() -> None:
    text = (
        "CREATE VIEW a.v AS SELECT 1;\n"
        "CREATE OR REPLACE VIEW a.v AS SELECT 2;\n"  # pg_dump's second pass of a circular view
        "CREATE VIEW a.w AS SELECT 1;\n"
        "DROP VIEW a.w;\n"
        "DROP VIEW IF EXISTS a.never;\n"
        "CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql AS 'SELECT 1';\n"
        "CREATE OR REPLACE FUNCTION f(y int, OUT z int) LANGUAGE sql AS 'SELECT 2';\n"
        "CREATE FUNCTION f(x text) RETURNS int LANGUAGE sql AS 'SELECT 3';\n"  # an overload
        "CREATE TRIGGER t BEFORE INSERT ON a.x FOR EACH ROW EXECUTE FUNCTION g();\n"
        "CREATE OR REPLACE TRIGGER t BEFORE UPDATE ON a.x FOR EACH ROW EXECUTE FUNCTION g();\n"
        "CREATE TRIGGER t BEFORE INSERT ON a.y FOR EACH ROW EXECUTE FUNCTION g();\n"
    )
    counts = ddl.analyse(text, "x.sql").counts
    assert (counts["views"], counts["functions"], counts["triggers"]) == (1, 2, 2)
