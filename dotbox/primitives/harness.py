"""bad-input-harness: statements that must be rejected, each with the SQLSTATE it must get.

Cases come from a file or are derived from the catalog (``--auto``): NULL into NOT NULL
columns, values that break single-column CHECKs, orphan foreign keys, duplicate unique keys,
too-long strings and wrong types. All cases run in ONE transaction that is rolled back, each in
its own subtransaction (a PL/pgSQL exception block, i.e. a savepoint) that is rolled back too,
through a temporary function; the state of every table and sequence is read before and after.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from dotbox.core import yamlfile
from dotbox.core.models import Frozen
from dotbox.pg import quote
from dotbox.pg.fingerprint import USER_NS, not_extension

CaseKind = Literal["file", "not-null", "check", "foreign-key", "unique", "too-long", "wrong-type"]


class Case(Frozen):
    name: str
    sql: str
    sqlstate: str = Field(pattern=r"^[0-9A-Z]{5}$")
    kind: CaseKind = "file"


class CasesFile(Frozen):
    cases: list[Case] = Field(min_length=1)


class CaseResult(Frozen):
    name: str
    kind: CaseKind
    sql: str
    expected: str
    actual: str  # a SQLSTATE, or "accepted"
    constraint: str | None = None
    passed: bool


def load_cases(path: Path) -> list[Case]:
    doc = yamlfile.load(path)
    cases = yamlfile.parse(doc, CasesFile).cases
    seen: set[str] = set()
    for i, case in enumerate(cases):
        if case.kind != "file":
            raise doc.error(("cases", i, "kind"), "unknown key 'kind'")
        if case.name in seen:
            raise doc.error(("cases", i, "name"), f"duplicate case name {case.name!r}")
        seen.add(case.name)
    return cases


# ---- the runner: one temporary function, one subtransaction per case ----------------------

RUNNER_SQL = """
CREATE FUNCTION pg_temp.dotbox_case(statement text, OUT state text, OUT con text)
LANGUAGE plpgsql AS $fn$
BEGIN
  BEGIN
    EXECUTE statement;
    RAISE EXCEPTION 'dotbox: accepted' USING ERRCODE = 'DBX00';
  EXCEPTION
    WHEN SQLSTATE 'DBX00' THEN state := 'accepted';
    WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, con = CONSTRAINT_NAME;
  END;
END $fn$"""

RUN_SQL = (
    "SELECT r.state, nullif(r.con, '')"
    " FROM unnest(%s::text[]) WITH ORDINALITY AS s(statement, n),"
    " LATERAL pg_temp.dotbox_case(s.statement) r ORDER BY s.n"
)


def run_cases(conn: Any, cases: list[Case]) -> list[CaseResult]:
    """Every case in one transaction that is rolled back, whatever happens."""
    with conn.transaction(force_rollback=True):
        conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
        conn.execute("SET LOCAL lock_timeout = '5s'")
        conn.execute(RUNNER_SQL)
        rows = conn.execute(RUN_SQL, ([c.sql for c in cases],)).fetchall()
    return [
        CaseResult(
            name=c.name,
            kind=c.kind,
            sql=c.sql,
            expected=c.sqlstate,
            actual=state,
            constraint=constraint,
            passed=state == c.sqlstate,
        )
        for c, (state, constraint) in zip(cases, rows, strict=True)
    ]


# ---- what the harness must not change: every table's rows and every sequence ---------------

TABLES_SQL = f"""
SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND {USER_NS}
    AND {not_extension("pg_class", "c.oid")}
  ORDER BY 1"""
SEQUENCES_SQL = """
SELECT format('%I.%I', schemaname, sequencename), last_value, start_value
  FROM pg_sequences WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"""


BATCH = 40  # tables per query: a partitioned table locks all its partitions


def table_state(conn: Any) -> dict[str, list[Any]]:
    """Row count and checksum of every table, and each sequence's last value. ``conn`` must
    be in autocommit mode: each batch of tables is read (and locked) in its own transaction."""
    state: dict[str, list[Any]] = {}
    tables = [r[0] for r in conn.execute(TABLES_SQL).fetchall()]
    for start in range(0, len(tables), BATCH):
        parts = [
            f"SELECT {quote.literal(conn, t)}, count(*),"
            f" md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) FROM {t} x"
            for t in tables[start : start + BATCH]
        ]
        for name, count, checksum in conn.execute(" UNION ALL ".join(parts)).fetchall():
            state[f"table {name}"] = [int(count), checksum]
    for name, last, _start in conn.execute(SEQUENCES_SQL).fetchall():
        state[f"sequence {name}"] = [last]
    return state


def state_digest(state: dict[str, list[Any]]) -> str:
    return hashlib.sha256(repr(sorted(state.items())).encode()).hexdigest()


def restore_sequences(conn: Any, before: dict[str, list[Any]]) -> int:
    """Put back sequences that cases advanced (nextval is not transactional); returns how many."""
    restored = 0
    now = {name: last for name, last, _ in conn.execute(SEQUENCES_SQL).fetchall()}
    starts = {name: start for name, _, start in conn.execute(SEQUENCES_SQL).fetchall()}
    for name, last in now.items():
        key = f"sequence {name}"
        if key in before and before[key][0] != last:
            was = before[key][0]
            value, called = (was, True) if was is not None else (starts[name], False)
            conn.execute("SELECT setval(%s::regclass, %s, %s)", (name, value, called))
            restored += 1
    return restored


# ---- deriving cases from the catalog -------------------------------------------------------

COLUMNS_SQL = f"""
SELECT c.oid, format('%I.%I', n.nspname, c.relname), a.attname,
       format_type(a.atttypid, a.atttypmod),
       coalesce(bt.typcategory, t.typcategory), coalesce(bt.typname, t.typname), t.typtype,
       a.attnotnull, ad.adbin IS NOT NULL, a.attidentity, a.attgenerated,
       CASE WHEN coalesce(bt.typname, t.typname) IN ('varchar', 'bpchar') AND a.atttypmod > 4
            THEN a.atttypmod - 4 END,
       (SELECT e.enumlabel FROM pg_enum e WHERE e.enumtypid = a.atttypid
         ORDER BY e.enumsortorder LIMIT 1),
       c.relkind, EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = c.oid
         AND NOT g.tgisinternal AND g.tgtype & 2 = 2 AND g.tgtype & 4 = 4)
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype
  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
  WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p') AND NOT c.relispartition
    AND {USER_NS} AND {not_extension("pg_class", "c.oid")}
  ORDER BY 2, a.attnum"""

CONSTRAINTS_SQL = """
SELECT k.conrelid, k.conname, k.contype,
       (SELECT array_agg(a.attname ORDER BY u.ord) FROM unnest(k.conkey) WITH ORDINALITY u(num, ord)
          JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.num),
       pg_get_expr(k.conbin, k.conrelid)
  FROM pg_constraint k WHERE k.contype IN ('c', 'f', 'u', 'p') AND k.conrelid = ANY(%s)
  ORDER BY k.conrelid, k.conname"""

FILLER = {
    "N": "1",
    "S": "x",
    "B": "true",
    "D": "2000-01-01",
    "T": "1 day",
    "A": "{}",
    "I": "127.0.0.1",
}
FILLER_BY_TYPE = {
    "uuid": "00000000-0000-0000-0000-000000000001",
    "json": "{}",
    "jsonb": "{}",
    "bytea": "\\x00",
    "time": "00:00",
    "timetz": "00:00",
}
# A value that is not of the type, and the SQLSTATE its input function raises.
WRONG_TYPE = {
    "N": "22P02",
    "B": "22P02",
    "D": "22007",
    "T": "22007",
    "A": "22P02",
    "I": "22P02",
    "E": "22P02",
}
WRONG_TYPE_BY_TYPE = {
    "uuid": "22P02",
    "json": "22P02",
    "jsonb": "22P02",
    "time": "22007",
    "timetz": "22007",
}
CANDIDATES = {
    "N": ["-1", "0", "1", "-32768", "32767"],
    "S": ["", " ", "x", "X", "0", "INVALID VALUE", "x" * 300],
    "B": ["true", "false"],
    "D": ["1900-01-01", "2000-01-01", "2999-12-31"],
}


@dataclass
class Column:
    name: str
    type: str
    category: str
    typname: str
    typtype: str
    notnull: bool
    has_default: bool
    identity: str
    generated: str
    maxlen: int | None
    first_enum: str | None

    def filler(self) -> str | None:
        if self.first_enum is not None:
            return self.first_enum
        return FILLER_BY_TYPE.get(self.typname) or FILLER.get(self.category)

    def wrong_type(self) -> str | None:
        if self.first_enum is not None:
            return WRONG_TYPE["E"]
        return WRONG_TYPE_BY_TYPE.get(self.typname) or WRONG_TYPE.get(self.category)


@dataclass
class Table:
    oid: int
    name: str
    partitioned: bool
    before_insert_trigger: bool
    columns: dict[str, Column] = field(default_factory=dict)
    checks: list[tuple[str, list[str], str]] = field(default_factory=list)  # name, cols, expr
    fkeys: list[tuple[str, list[str]]] = field(default_factory=list)
    uniques: list[tuple[str, list[str]]] = field(default_factory=list)


def _tables(conn: Any) -> list[Table]:
    tables: dict[int, Table] = {}
    for row in conn.execute(COLUMNS_SQL).fetchall():
        oid, tname, col = row[:3]
        t = tables.setdefault(oid, Table(oid, tname, row[13] == "p", bool(row[14])))
        t.columns[col] = Column(col, *row[3:13])
    for oid, name, contype, cols, expr in conn.execute(CONSTRAINTS_SQL, (list(tables),)):
        t = tables[oid]
        if contype == "c":
            t.checks.append((name, list(cols or []), expr))
        elif contype == "f":
            t.fkeys.append((name, list(cols)))
        else:
            t.uniques.append((name, list(cols)))
    return list(tables.values())


def _insert(conn: Any, table: Table, values: dict[str, str | None], rows: int = 1) -> str:
    cols = ", ".join(quote.identifier(conn, c) for c in values)
    row = "(" + ", ".join(quote.literal(conn, v) for v in values.values()) + ")"
    return f"INSERT INTO {table.name} ({cols}) OVERRIDING SYSTEM VALUE VALUES " + ", ".join(
        [row] * rows
    )


def _check_value(conn: Any, table: Table, col: Column, expr: str, *, satisfy: bool) -> str | None:
    """A candidate value of ``col`` that satisfies (or breaks) the CHECK ``expr``."""
    candidates = list(CANDIDATES.get(col.category, []))
    if col.first_enum is not None:
        return None
    if col.maxlen is not None:
        candidates = [c for c in candidates if len(c) <= col.maxlen] + ["x" * (col.maxlen)]
    ident = quote.identifier(conn, col.name)
    want = "IS NOT FALSE" if satisfy else "IS FALSE"
    for candidate in candidates:
        query = (
            f"SELECT 1 FROM (SELECT {quote.literal(conn, candidate)}::{col.type} AS {ident}) x"
            f" WHERE ({expr}) {want}"
        )
        try:
            with conn.transaction():
                if conn.execute(query).fetchone():
                    return candidate
        except Exception:  # a candidate the type or expression cannot take: try the next
            continue
    return None


def derive(conn: Any) -> tuple[list[Case], dict[str, int]]:
    """Cases from the catalog; ``skipped`` counts what could not be derived, by reason."""
    cases: list[Case] = []
    skipped: Counter[str] = Counter()
    for t in _tables(conn):
        cases += _column_cases(conn, t)
        cases += _row_cases(conn, t, skipped)
    return cases, dict(skipped)


def _column_cases(conn: Any, t: Table) -> list[Case]:
    """Too-long and wrong-type values, column by column: coercion happens before triggers,
    routing and checks, so these cases hold on every table."""
    cases: list[Case] = []
    for c in t.columns.values():
        if c.maxlen is not None:
            value = f"repeat('x', {c.maxlen + 1})"
            cases.append(
                Case(
                    name=f"{t.name}.{c.name} too long ({c.maxlen + 1} > {c.maxlen})",
                    sql=f"INSERT INTO {t.name} ({quote.identifier(conn, c.name)})"
                    f" OVERRIDING SYSTEM VALUE VALUES ({value})",
                    sqlstate="22001",
                    kind="too-long",
                )
            )
        if (state := c.wrong_type()) is not None and not c.generated:
            cases.append(
                Case(
                    name=f"{t.name}.{c.name} wrong type ({c.type})",
                    sql=_insert(conn, t, {c.name: "dotbox: not a value"}),
                    sqlstate=state,
                    kind="wrong-type",
                )
            )
    return cases


def _row_cases(conn: Any, t: Table, skipped: Counter[str]) -> list[Case]:
    """NOT NULL, CHECK, foreign-key and unique cases: each a valid row with one thing broken.
    No such case on tables whose rows are routed or rewritten before constraints see them."""
    if t.partitioned:
        skipped["row cases on partitioned tables (rows are routed first)"] += 1
        return []
    if t.before_insert_trigger:
        skipped["row cases on tables with BEFORE INSERT triggers"] += 1
        return []
    base, valid = _valid_row(conn, t)
    if base is None:
        skipped["row cases on tables with a column of a type with no filler value"] += 1
        return []
    cases = _not_null_cases(conn, t, base) + _check_cases(conn, t, base, skipped)
    if not valid:  # no value found that passes some CHECK: FK and unique cases would hit it
        skipped["key cases on tables where no row passing every CHECK was found"] += 1
        return cases
    return cases + _key_cases(conn, t, base, skipped)


def _not_null_cases(conn: Any, t: Table, base: dict[str, str | None]) -> list[Case]:
    return [
        Case(
            name=f"{t.name}.{col.name} NULL into NOT NULL",
            sql=_insert(conn, t, {**base, col.name: None}),
            sqlstate="23502",
            kind="not-null",
        )
        for col in t.columns.values()
        if col.notnull and not col.identity and not col.generated
    ]


def _check_cases(
    conn: Any, t: Table, base: dict[str, str | None], skipped: Counter[str]
) -> list[Case]:
    """The valid row with a value that breaks a single-column CHECK."""
    cases: list[Case] = []
    for name, cols, expr in t.checks:
        if len(cols) != 1 or t.columns[cols[0]].generated:
            skipped["checks on several columns or none"] += 1
            continue
        bad = _check_value(conn, t, t.columns[cols[0]], expr, satisfy=False)
        if bad is None:
            skipped["checks with no derivable breaking value"] += 1
            continue
        cases.append(
            Case(
                name=f"{t.name} breaks {name}",
                sql=_insert(conn, t, {**base, cols[0]: bad}),
                sqlstate="23514",
                kind="check",
            )
        )
    return cases


KeyedCase = tuple[str, list[str], int, str, CaseKind]  # what, columns, rows, SQLSTATE, kind


def _keys_to_break(t: Table, base: dict[str, str | None], skipped: Counter[str]) -> list[KeyedCase]:
    """What to break through the keys: every foreign key (an orphan row) and, unless the rows
    need a parent row, every unique key (the same row twice)."""
    keyed: list[KeyedCase] = [
        (f"orphan {n}", cols, 1, "23503", "foreign-key") for n, cols in t.fkeys
    ]
    if any(t.columns[c].notnull or c in base for _, cols in t.fkeys for c in cols):
        if t.uniques:
            skipped["unique keys of tables whose rows need a parent row"] += len(t.uniques)
    else:
        keyed += [(f"duplicate {n}", cols, 2, "23505", "unique") for n, cols in t.uniques]
    return keyed


def _key_cases(
    conn: Any, t: Table, base: dict[str, str | None], skipped: Counter[str]
) -> list[Case]:
    """Orphan and duplicate rows: the valid row with the key's columns filled and every other
    nullable foreign-key column NULL, so that only the key under test can reject it."""
    nullable_fk = {
        col for _, cols in t.fkeys for col in cols if not t.columns[col].notnull
    } - base.keys()
    cases: list[Case] = []
    for what, cols, rows, state, kind in _keys_to_break(t, base, skipped):
        row = {**base, **{c: None for c in nullable_fk if c not in cols}}
        for key in cols:
            row[key] = row.get(key) or _good_value(conn, t, t.columns[key])[0]
        fitted = _satisfy_multi_column_checks(conn, t, row, keep=set(cols))
        if fitted is None:
            skipped["key cases whose row breaks a CHECK on several columns"] += 1
            continue
        cases.append(
            Case(
                name=f"{t.name} {what}",
                sql=_insert(conn, t, fitted, rows=rows),
                sqlstate=state,
                kind=kind,
            )
        )
    return cases


def _good_value(conn: Any, t: Table, col: Column) -> tuple[str | None, bool]:
    """A filler for ``col`` that passes its single-column CHECKs if one is found (and whether)."""
    value, ok = col.filler(), True
    for _name, cols, expr in t.checks:
        if cols == [col.name] and value is not None:
            found = _check_value(conn, t, col, expr, satisfy=True)
            ok = ok and found is not None
            value = found or value
    return value, ok


def _valid_row(conn: Any, t: Table) -> tuple[dict[str, str | None] | None, bool]:
    """Values for every column that needs one: NOT NULL without a default, or nullable with a
    CHECK that NULL does not pass (``CHECK (x IS NOT NULL)``); and whether each value passes
    its single-column CHECKs."""
    row: dict[str, str | None] = {}
    valid = True
    for col in t.columns.values():
        if col.generated or col.identity:
            continue
        checks = [expr for _n, cols, expr in t.checks if cols == [col.name]]
        needed = col.notnull and not col.has_default
        if not needed and not col.notnull and checks:
            needed = not all(_null_passes(conn, col, expr) for expr in checks)
        if not needed:
            continue
        value, ok = _good_value(conn, t, col)
        if value is None:
            return None, False
        row[col.name], valid = value, valid and ok
    fitted = _satisfy_multi_column_checks(conn, t, row, keep=set())
    return (fitted, valid) if fitted is not None else (row, False)


def _passes(conn: Any, t: Table, row: dict[str, str | None], cols: list[str], expr: str) -> bool:
    """Whether a row with these values (NULL where not given) passes the CHECK ``expr``."""
    values = ", ".join(
        f"{quote.literal(conn, row.get(c))}::{t.columns[c].type} AS {quote.identifier(conn, c)}"
        for c in cols
    )
    try:
        with conn.transaction():
            query = f"SELECT 1 FROM (SELECT {values}) x WHERE ({expr}) IS NOT FALSE"
            return conn.execute(query).fetchone() is not None
    except Exception:
        return False


def _satisfy_multi_column_checks(
    conn: Any, t: Table, row: dict[str, str | None], keep: set[str]
) -> dict[str, str | None] | None:
    """``row`` changed, outside the columns in ``keep``, so that it passes every CHECK that
    reads several columns (NULL first, then a filler); None if no such row is found."""
    row = dict(row)
    for _name, cols, expr in t.checks:
        if len(cols) < 2 or _passes(conn, t, row, cols, expr):
            continue
        free = [c for c in cols if c not in keep and not t.columns[c].notnull]
        tries = [{c: None for c in free}] + [
            {**{c: None for c in free}, c: _good_value(conn, t, t.columns[c])[0]} for c in free
        ]
        for change in tries:
            if _passes(conn, t, {**row, **change}, cols, expr):
                row.update(change)
                break
        else:
            return None
    return row


def _null_passes(conn: Any, col: Column, expr: str) -> bool:
    ident = quote.identifier(conn, col.name)
    query = f"SELECT 1 FROM (SELECT NULL::{col.type} AS {ident}) x WHERE ({expr}) IS NOT FALSE"
    try:
        with conn.transaction():
            return conn.execute(query).fetchone() is not None
    except Exception:
        return True
