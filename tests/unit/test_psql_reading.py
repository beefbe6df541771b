"""What psql would read in a snapshot, and dotbox's refusals of it (attack class 12)."""

import pytest

from dotbox.core.errors import InvalidInput
from dotbox.sql import ddl, sqltext


def test_every_backslash_command_of_a_line_is_found() -> None:
    found = sqltext.meta_commands(r"\echo a \! cmd")
    assert [(c.name, c.args) for c in found] == [("echo", ["a"]), ("!", ["cmd"])]
    assert [c.name for c in sqltext.meta_commands(r"\set a 1\unset a")] == ["set", "unset"]
    assert [c.name for c in sqltext.meta_commands(r"\echo ok \\ SELECT 1")] == ["echo", "\\"]
    quoted = sqltext.meta_commands(r"\echo 'a \' \! b'")
    assert [(c.name, c.args) for c in quoted] == [("echo", [r"'a \' \! b'"])]


def test_backticks_are_seen_quoted_or_not() -> None:
    assert sqltext.meta_commands(r"\set x `id`")[0].backtick
    assert sqltext.meta_commands(r"\echo 'a`b'")[0].backtick
    assert not sqltext.meta_commands(r"\set x 1")[0].backtick


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SELECT 1;\n\\echo a \\! id\n", r"x.sql:2: psql meta-command '\\!' is refused"),
        ("\\echo a \\o /tmp/x\nSELECT 1;\n", r"x.sql:1: psql meta-command '\\o' is refused"),
        ("\\set x `id`\nSELECT 1;\n", "x.sql:1: .*backquoted argument runs a shell command"),
        ("\\echo `id`\nSELECT 1;\n", "x.sql:1: .*backquoted argument"),
        ("\\set x 'a; DROP TABLE t'\nSELECT 1;\n", "x.sql:1: .*not a plain word"),
        ("\\set SINGLELINE on\nSELECT 1;\n", "x.sql:1: .*SINGLELINE changes where"),
        (
            "\\echo ok \\\\ SELECT 1;\nSELECT 1;\n",
            r"x.sql:1: psql meta-command '\\\\' is not allowed",
        ),
        ("\\gexec\nSELECT 1;\n", r"x.sql:1: psql meta-command '\\gexec' is not allowed"),
        ("\\encoding SJIS\nSELECT 1;\n", "x.sql:1: .*read as UTF8"),
        ("SELECT 1 \\g /tmp/x\n;\n", r"x.sql:1: a backslash within SQL is refused: .*'\\g'"),
        ("CREATE TABLE t (\n  a int \\! id\n);\n", r"x.sql:2: a backslash within SQL"),
        ("SELECT 1;\nSELECT 'a\\';\n", "x.sql:2: a backslash before a string's closing quote"),
        ("SET standard_conforming_strings = off;\n", "x.sql:1: SET standard_conforming_strings"),
        ("SET standard_conforming_strings TO 0;\n", "x.sql:1: SET standard_conforming_strings"),
        ("SET client_encoding = 'SJIS';\n", "x.sql:1: SET client_encoding other than UTF8"),
    ],
)
def test_what_psql_would_run_unseen_is_refused_with_its_line(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as info:
        ddl.analyse(text, "x.sql")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "text",
    [
        "\\restrict k1\nSET standard_conforming_strings = on;\nSELECT 1;\n\\unrestrict k1\n",
        "SET client_encoding = 'UTF8';\n\\encoding UTF8\n\\set ON_ERROR_STOP on\nSELECT 1;\n",
        "\\echo 'making tables'\nSELECT 1;\n",
        "-- \\! in a comment\nSELECT 1; /* \\! */ SELECT $$ \\! $$, E'\\\\', 'C:\\\\d';\n",
        "RESET standard_conforming_strings;\nSELECT '^\\d+$';\n",
    ],
)
def test_what_pg_dump_writes_is_accepted(text: str) -> None:
    assert ddl.analyse(text, "x.sql").statements >= 1


def test_split_without_psql_keeps_reading_backslashes_as_text() -> None:
    assert [s.kind for s in sqltext.split("SELECT 'a\\';\n")] == ["sql"]
    with pytest.raises(sqltext.PsqlMisreads):
        sqltext.split("SELECT 'a\\';\n", psql=True)
