"""Drift lines in plain words; the machine form (describe, --json) keeps the catalog's codes."""

from __future__ import annotations

import pytest

from dotbox.pg import drift_words, fingerprint


@pytest.mark.parametrize(
    ("kind", "raw", "words"),
    [
        (
            "column",
            "integer not null identity d",
            "integer, not null, identity column (by default)",
        ),
        ("column", "bigint not null identity a", "bigint, not null, identity column (always)"),
        (
            "column",
            "character varying(20) collate \"C\" default 'x'::character varying",
            "character varying(20), collation \"C\", default 'x'::character varying",
        ),
        ("column", "timestamp with time zone", "timestamp with time zone"),
        ("sequence", "integer 1 1 1 2147483647 1 f", "sequence: integer, start 1, increment 1"),
        (
            "sequence",
            "unlogged bigint 10 -2 -9223372036854775808 -1 20 t",
            "sequence: unlogged, bigint, start 10, increment -2, cache 20, cycles",
        ),
        (
            "sequence",
            "smallint 1 1 5 100 1 f",
            "sequence: smallint, start 1, increment 1, min 5, max 100",
        ),
        (
            "constraint",
            "f columns {2} references public.tree columns {1} a c s",
            "foreign key, on column numbers 2, references public.tree (column numbers 1),"
            " on update no action, on delete cascade, match simple",
        ),
        (
            "constraint",
            "p columns {1,2} index public.t_pkey",
            "primary key, on column numbers 1, 2, index public.t_pkey",
        ),
        (
            "constraint",
            "c columns {3} expr 0123456789abcdef0123456789abcdef not valid",
            "check, on column numbers 3, expression digest 0123456789ab, not valid",
        ),
        ("constraint", "CHECK ((a > 0))", "CHECK ((a > 0))"),  # already deparsed: as it is
        ("index", "btree on public.t columns 1", "btree on public.t columns 1"),
    ],
)
def test_definitions_in_words(kind: str, raw: str, words: str) -> None:
    assert drift_words.definition(kind, raw) == words


def test_drift_lines_in_words_and_the_machine_form_unchanged() -> None:
    before = fingerprint.rows([("column", "public.t.id", "integer not null")])
    after = fingerprint.rows(
        [
            ("column", "public.t.id", "integer not null identity d"),
            ("sequence", "public.s", "integer 1 1 1 2147483647 1 f"),
        ]
    )
    changes = fingerprint.drift(before, after)
    assert [drift_words.change(c) for c in changes] == [
        "sequence public.s added: sequence: integer, start 1, increment 1",
        "column public.t.id changed: was integer, not null;"
        " now integer, not null, identity column (by default)",
    ]
    assert [c.describe() for c in changes] == [
        "sequence public.s added: integer 1 1 1 2147483647 1 f",
        "column public.t.id changed: 'integer not null' -> 'integer not null identity d'",
    ]
