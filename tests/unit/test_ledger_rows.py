"""Rows of migration ledgers are kept; every other row, however it is spelled, is data."""

from __future__ import annotations

import pytest

from dotbox.core.errors import InvalidInput
from dotbox.sql import ddl

TABLES = (
    "CREATE TABLE schema_migrations (version text PRIMARY KEY);\n"
    'CREATE TABLE "__EFMigrationsHistory" ("MigrationId" text, "ProductVersion" text);\n'
    "CREATE TABLE other (a text);\n"
)


def analyse(tail: str) -> ddl.Analysis:
    return ddl.analyse(TABLES + tail, "x.sql")


@pytest.mark.parametrize(
    ("tail", "rows"),
    [
        (
            "INSERT INTO \"schema_migrations\" (version) VALUES\n('20240101000000'),\n('2');\n",
            {"schema_migrations": 2},
        ),
        (
            "INSERT INTO public.schema_migrations VALUES ('1');\n"
            "INSERT INTO public.schema_migrations VALUES ('2'::text);\n",
            {"public.schema_migrations": 2},
        ),
        (
            "INSERT INTO \"__EFMigrationsHistory\" VALUES ('m1', '8.0');\n",
            {"__EFMigrationsHistory": 1},
        ),
        (
            "COPY public.schema_migrations (version) FROM stdin;\n1\n2\n3\n\\.\n",
            {"public.schema_migrations": 3},
        ),
        (
            "COPY schema_migrations FROM stdin WITH (FORMAT csv, HEADER);\nversion\n1\n\\.\n",
            {"schema_migrations": 1},
        ),
        ("COPY django_migrations FROM stdin;\n\\.\n", {}),  # no rows at all
    ],
)
def test_ledger_rows_are_kept_and_counted(tail: str, rows: dict[str, int]) -> None:
    analysis = analyse(tail)
    assert analysis.data_lines == []
    assert analysis.ledger_rows == rows


@pytest.mark.parametrize(
    "tail",
    [
        "INSERT INTO other VALUES ('1');\n",  # the control: not a ledger
        "INSERT INTO schema_migrations SELECT a FROM other;\n",
        "INSERT INTO schema_migrations VALUES ((SELECT a FROM other LIMIT 1));\n",
        "INSERT INTO schema_migrations VALUES (lower('A'));\n",
        "INSERT INTO schema_migrations VALUES (DEFAULT);\n",
        "INSERT INTO schema_migrations DEFAULT VALUES;\n",
        "INSERT INTO schema_migrations VALUES ('1') ON CONFLICT DO NOTHING;\n",
        "INSERT INTO schema_migrations VALUES ('1') RETURNING version;\n",
        "WITH w AS (DELETE FROM other RETURNING a) INSERT INTO schema_migrations VALUES ('1');\n",
        "INSERT INTO schema_migrations VALUES ('1') UNION SELECT a FROM other;\n",
        "INSERT INTO schema_migrations AS s VALUES ('1');\n",
        "INSERT INTO \"Schema_Migrations\" VALUES ('1');\n",
        "INSERT INTO __EFMigrationsHistory VALUES ('1', '2');\n",  # unquoted: another table
        "INSERT INTO schema_migrations_x VALUES ('1');\n",
        "UPDATE schema_migrations SET version = '2';\n",
        "DELETE FROM schema_migrations;\n",
        "COPY other FROM stdin;\n1\n\\.\n",
        "COPY schema_migrations FROM stdin WHERE version <> '';\n1\n\\.\n",
    ],
)
def test_anything_else_that_writes_rows_is_data_with_its_line(tail: str) -> None:
    analysis = analyse(tail)
    assert analysis.data_lines == [5 if tail.startswith("COPY") else 4]  # COPY: its rows' line
    assert analysis.ledger_rows == {}


def test_a_second_statement_on_a_ledger_line_is_judged_on_its_own() -> None:
    analysis = analyse(
        "INSERT INTO schema_migrations VALUES ('1'); INSERT INTO other VALUES ('x');\n"
    )
    assert analysis.ledger_rows == {"schema_migrations": 1}
    assert analysis.data_lines == [4]


def test_text_after_a_ledger_copy_on_its_line_is_refused() -> None:
    # psql would run the INSERT after the rows; the scanner would read the next line as rows
    with pytest.raises(InvalidInput, match=r"x.sql:4: text after COPY"):
        analyse("COPY schema_migrations FROM stdin; INSERT INTO other VALUES ('x');\n1\n\\.\n")
    control = analyse("COPY schema_migrations FROM stdin; -- rows follow\n1\n\\.\n")
    assert control.ledger_rows == {"schema_migrations": 1}


def test_rows_of_chosen_tables_are_kept_and_others_still_data() -> None:
    rows = "COPY public.other (a) FROM stdin;\nx\n\\.\n"
    assert ddl.copy_tables(rows + 'COPY q."T" FROM stdin;\n\\.\n') == {"public.other", "q.T"}
    kept = ddl.analyse(TABLES + rows, "x.sql", frozenset({"public.other"}))
    assert kept.chosen_rows == {"public.other": 1} and kept.data_lines == []
    # the control: the same rows, not chosen, are data
    assert ddl.analyse(TABLES + rows, "x.sql").data_lines == [5]
    inserted = "INSERT INTO public.other VALUES ('x');\n"  # chosen means COPY rows only
    assert ddl.analyse(TABLES + inserted, "x.sql", frozenset({"public.other"})).data_lines == [4]


@pytest.mark.parametrize("pattern", ["", "  ", "-t", "a\nb"])
def test_capture_data_patterns_are_checked(pattern: str) -> None:
    from dotbox.snapshots import capture

    with pytest.raises(InvalidInput, match="invalid --data pattern"):
        capture._data_patterns([pattern])
    assert capture._data_patterns(["public.cms_*", "public.cms_*", "x"]) == ["public.cms_*", "x"]
