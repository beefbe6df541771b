"""A snapshot's manifest in words, for `dotbox snapshot show` and `import` (--json keeps the
machine form)."""

from __future__ import annotations

from dotbox.core import extensions
from dotbox.core.models import SnapshotManifest

_MAJOR_FROM = {
    "flag": "chosen with --pg",
    "header": "from the dump's header",
    "default": "the default: the dump names none",
    "features": "the oldest the DDL's features run on",
    "server": "the captured server's",
}
_SOURCE_KIND = {
    "import": "imported from",
    "bundled": "bundled with dotbox:",
    "capture": "captured from",
}


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {_PLURALS.get(word, word + 's')}"


_PLURALS = {"index": "indexes", "materialized view": "materialized views"}


def counts_in_words(counts: dict[str, int]) -> str:
    """``{'tables': 2, 'functions': 1}`` as "2 tables, 1 function"; "nothing" if empty."""
    parts = []
    for kind, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if n:
            singular = kind.removesuffix("es") if kind == "indexes" else kind.removesuffix("s")
            parts.append(plural(n, singular.replace("_", " ")))
    return ", ".join(parts) or "nothing"


def names(values: list[str], none: str = "none") -> str:
    return ", ".join(values) if values else none


def ledger_rows_in_words(rows: dict[str, int]) -> str:
    return names([f"{table} ({plural(n, 'row')})" for table, n in rows.items()])


def manifest_lines(m: SnapshotManifest) -> list[str]:
    """The manifest as "label  value" lines, in words: no Python reprs, no None."""
    major = f"{m.pg_major} ({_MAJOR_FROM.get(m.pg_major_from, m.pg_major_from)})"
    rows: list[tuple[str, str | None]] = [
        ("name", m.name),
        ("digest", f"sha256:{m.digest}"),
        ("source", f"{_SOURCE_KIND.get(m.source_kind, m.source_kind)} {m.source}"),
        ("PostgreSQL", major),
        ("major note", m.pg_major_note),
        ("needs at least", f"{m.min_major} ({m.min_major_reason})" if m.min_major else None),
        ("source version", m.source_version),
        ("system id", m.system_identifier),
        ("database", m.database),
        ("statements", str(m.statements)),
        ("objects", counts_in_words(m.counts)),
        ("extensions", names(m.extensions)),
        ("base adds", names(list(extensions.needs(m.extensions, m.pg_major).packages), "")),
        ("extension note", extensions.unavailable_note(m.extensions, m.pg_major)),
        ("roles", names(m.roles) + (" (made NOLOGIN at bake)" if m.roles else "")),
        ("superuser roles", names(m.superuser_roles) if m.superuser_roles else None),
        ("ledger rows", ledger_rows_in_words(m.ledger_rows)),
        ("data patterns", names(m.data_patterns) if m.data_patterns else None),
        ("data rows", ledger_rows_in_words(m.data_rows) if m.data_rows else None),
        ("other data rows", "accepted (--allow-data)" if m.allow_data else "refused"),
        ("redacted", "; ".join(m.redacted) if m.redacted else None),
        ("size", plural(m.size_bytes, "byte")),
        ("created", m.created.strftime("%Y-%m-%d %H:%M:%S UTC")),
    ]
    return [f"{label:<16} {value}" for label, value in rows if value]


def import_lines(m: SnapshotManifest) -> list[str]:
    """What `dotbox snapshot import` prints: one line, a note when the major was raised, and
    one when an extension it needs cannot be had on its major."""
    line = (
        f"snapshot {m.name} sha256:{m.digest[:16]} PostgreSQL {m.pg_major} ({m.pg_major_from}),"
        f" {plural(m.statements, 'statement')}, {plural(m.counts.get('tables', 0), 'table')}"
    )
    if m.ledger_rows:
        line += f", migration ledger rows kept: {ledger_rows_in_words(m.ledger_rows)}"
    if added := extensions.needs(m.extensions, m.pg_major).packages:
        line += f", bakes on a base adding {', '.join(added)}"
    notes = [m.pg_major_note, extensions.unavailable_note(m.extensions, m.pg_major)]
    return [line] + [f"note: {n}" for n in notes if n]
