from __future__ import annotations

from dotbox.pg import fingerprint

BASE = [("table", "public.a", ""), ("column", "public.a.id", "integer not null")]


def test_digest_is_order_independent_and_sensitive() -> None:
    rows = fingerprint.rows(BASE)
    assert fingerprint.digest(rows) == fingerprint.digest(list(reversed(rows)))
    changed = fingerprint.rows([BASE[0], ("column", "public.a.id", "bigint not null")])
    assert fingerprint.digest(rows) != fingerprint.digest(changed)


def test_drift_names_each_object_and_what_changed() -> None:
    before = fingerprint.rows(BASE + [("index", "public.a_gone", "btree")])
    after = fingerprint.rows(
        [BASE[0], ("column", "public.a.id", "bigint not null"), ("column", "public.a.x", "text")]
    )
    drift = {c.describe() for c in fingerprint.drift(before, after)}
    assert drift == {
        "column public.a.x added: text",
        "index public.a_gone removed",
        "column public.a.id changed: 'integer not null' -> 'bigint not null'",
    }
    assert fingerprint.drift(before, before) == []
