import pytest

from dotbox.sql import sqltext


def kinds(script: str) -> list[tuple[str, int, int]]:
    return [(s.kind, s.start_line, s.end_line) for s in sqltext.split(script)]


def test_statements_and_lines() -> None:
    script = "-- header\nCREATE TABLE a (x int);\n\nCREATE TABLE b (\n  y int\n);\n"
    assert kinds(script) == [("sql", 2, 2), ("sql", 4, 6)]
    assert sqltext.split(script)[1].text == "CREATE TABLE b (\n  y int\n);"


def test_semicolons_inside_quotes_comments_and_dollar_quotes_do_not_split() -> None:
    script = (
        "SELECT 'a;b', \"c;d\", E'it\\'s;' /* x; /* nested; */ y; */;\n"
        "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;\n"
        "CREATE FUNCTION g() RETURNS int AS $$\nBEGIN RETURN 1; END;\n$$ LANGUAGE plpgsql;\n"
        "SELECT 1 -- trailing; comment\n;\n"
    )
    statements = sqltext.split(script)
    assert [s.start_line for s in statements] == [1, 2, 3, 6]
    assert [s.end_line for s in statements] == [1, 2, 5, 7]


def test_dollar_inside_identifiers_and_parameters_is_not_a_quote() -> None:
    script = "SELECT a$b$c FROM t WHERE x = $1;\nSELECT 2;\n"
    assert kinds(script) == [("sql", 1, 1), ("sql", 2, 2)]


def test_meta_commands_and_copy_data() -> None:
    script = "\\restrict abc\nCOPY public.t (a, b) FROM stdin;\n1\tx;y\n2\t'z\n\\.\nSELECT 1;\n"
    assert kinds(script) == [("meta", 1, 1), ("sql", 2, 2), ("copy-data", 3, 5), ("sql", 6, 6)]
    data = sqltext.split(script)[2]
    assert data.text == "1\tx;y\n2\t'z\n"


def test_unterminated_text_names_its_line() -> None:
    with pytest.raises(sqltext.UnterminatedText) as info:
        sqltext.split("SELECT 1;\n\nSELECT 'open\n")
    assert info.value.line == 3
    with pytest.raises(sqltext.UnterminatedText, match="dollar"):
        sqltext.split("SELECT $x$ never closed;\n")


def test_statement_at_finds_the_statement_spanning_a_line() -> None:
    statements = sqltext.split("SELECT 1;\nCREATE TABLE t (\n a int\n);\n")
    found = sqltext.statement_at(statements, 3)
    assert found is not None and found.text.startswith("CREATE TABLE t")
    assert sqltext.statement_at(statements, 99) is None
