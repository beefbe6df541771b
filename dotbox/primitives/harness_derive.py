"""Cases derived from the catalog (``harness --auto``).

For each table a base row is built that passes every constraint it can: values for the columns
that need one, each checked against the column's own CHECKs, and values for the columns of
CHECKs over several columns found by search, each candidate row evaluated by PostgreSQL against
the constraint's own expression. Each case is that row with one thing broken, and carries its
control: the unbroken row, which the runner must see accepted (in a savepoint, rolled back)
before the case is judged. Foreign keys whose parent row does not exist are set aside inside the
control's savepoint (a dropped constraint, rolled back with it); they check rows at the end of
the statement, after NOT NULL, CHECK and unique keys have had their say. Rows of a partitioned
table are routed first: a row no partition takes is a rejected control. On a table that holds
rows (shipped with the schema), the row's unique keys are given values no row has.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from dotbox.pg import quote
from dotbox.primitives.harness import Case, CaseKind
from dotbox.primitives.harness_catalog import (
    Check,
    ForeignKey,
    Table,
    mark_filled,
    tables,
)
from dotbox.primitives.harness_values import Column, Row, choices, combinations

SEARCH_LIMIT = 64  # candidate rows tried per CHECK
Skips = Counter[str]


def derive(conn: Any) -> tuple[list[Case], dict[str, int]]:
    """Cases from the catalog, and the cases that could not be built, counted by reason."""
    cases: list[Case] = []
    skipped: Skips = Counter()
    found = tables(conn)
    mark_filled(conn, found)
    for t in found:
        cases += _column_cases(conn, t)
        cases += _row_cases(conn, t, skipped)
    return cases, dict(skipped)


# ---- asking PostgreSQL -------------------------------------------------------------------


def _holds(
    conn: Any, t: Table, row: Row, target: Check | None, others: list[Check], want: bool = True
) -> bool:
    """Whether ``row``'s values are of their columns' types (domains' CHECKs included), make
    ``target`` pass (``want``) or fail, and pass ``others``."""
    return _first(conn, t, [row], target, others, want) == 0


def _first(
    conn: Any,
    t: Table,
    rows: list[Row],
    target: Check | None,
    others: list[Check],
    want: bool,
    free: list[str] | None = None,
) -> int | None:
    """The first of ``rows`` that makes ``target`` pass (``want``) or fail and passes
    ``others`` (and whose values of the ``free`` columns no row of the table has): the
    constraints' own expressions over each row's values cast to the columns' types (NULL where
    not given), asked of PostgreSQL in one query in a savepoint; when that query fails (a value
    the type or an expression cannot take), row by row."""
    checks = [k for k in [target, *others] if k is not None]
    cols = list(
        dict.fromkeys([*(c for r in rows for c in r), *(c for k in checks for c in k.cols)])
    )
    tests = [f"({target.expr}) IS {'NOT FALSE' if want else 'FALSE'}"] if target else []
    tests += [f"({k.expr}) IS NOT FALSE" for k in others]
    if free:
        same = " AND ".join(
            f"e.{quote.identifier(conn, c)} = x.{quote.identifier(conn, c)}" for c in free
        )
        tests.append(f"NOT EXISTS (SELECT FROM {t.name} e WHERE {same})")
    test = " AND ".join(tests) or "true"
    answered, found = _ask(conn, t, rows, cols, test)
    if answered or len(rows) == 1:
        return found
    for i, row in enumerate(rows):
        if _ask(conn, t, [row], cols, test) == (True, 0):
            return i
    return None


def _fresh(conn: Any, t: Table, row: Row, keep: set[str]) -> Row:
    """``row`` with the values of each unique key that a row of the table already has (rows
    shipped with the schema) changed outside ``keep`` to values no row has, nearest first,
    passing the CHECKs on them; unchanged where none is found (its control says so)."""
    if not t.has_rows:
        return row
    for _name, cols in t.uniques:
        given = _key_given(conn, t, row, cols)
        if given is None or set(cols) <= keep:
            continue
        options = [[given[c]] if c in keep else _other_values(t.columns[c], given[c]) for c in cols]
        rows = [
            {**given, **dict(zip(cols, combo, strict=True))}
            for combo in combinations(options, SEARCH_LIMIT)
        ]
        checks = [k for k in t.checks if set(k.cols) & set(cols)]
        found = _first(conn, t, rows, None, checks, True, free=cols)
        if found is not None:
            row = rows[found]
    return row


def _key_given(conn: Any, t: Table, row: Row, cols: list[str]) -> Row | None:
    """``row`` with the key's columns it leaves to their defaults given values (a serial's
    next value may be a shipped row's key); None when a key column is NULL (it collides with
    nothing), generated, or has no value to give."""
    given = dict(row)
    for c in cols:
        col = t.columns[c]
        if c not in given and col.has_default and not col.generated:
            given[c] = _good_value(conn, t, col)
    if any(given.get(c) is None or t.columns[c].generated for c in cols):
        return None
    return given


def _other_values(col: Column, first: str | None) -> list[str | None]:
    """``first``, then the column's candidates and orphan keys."""
    return list(dict.fromkeys([first, *col.candidates(), *col.orphans(set())]))


def _ask(
    conn: Any, t: Table, rows: list[Row], cols: list[str], test: str
) -> tuple[bool, int | None]:
    """Whether PostgreSQL answered, and the index of the first row passing ``test``. The
    values' own names are dotbox's: a column named ``n`` in ``test`` is the table's."""
    names = [f"dotbox_v{i}" for i in range(len(cols))]
    values = ", ".join(
        "(" + ", ".join([str(n), *(quote.literal(conn, r.get(c)) for c in cols)]) + ")"
        for n, r in enumerate(rows)
    )
    typed = ", ".join(
        f"v.{v}::{t.columns[c].type} AS {quote.identifier(conn, c)}"
        for v, c in zip(names, cols, strict=True)
    )
    query = (
        f"SELECT v.dotbox_row, x.* FROM (VALUES {values}) v({', '.join(['dotbox_row', *names])}),"
        f" LATERAL (SELECT {typed}) x WHERE {test} ORDER BY v.dotbox_row LIMIT 1"
    )
    try:
        with conn.transaction():
            found = conn.execute(query).fetchone()
    except Exception:  # a value the type or an expression cannot take
        return False, None
    return True, None if found is None else int(found[0])


def _search(
    conn: Any, t: Table, row: Row, target: Check, *, want: bool, keep: set[str]
) -> Row | None:
    """``row`` with the columns of ``target`` outside ``keep`` changed (nearest rows first) so
    that ``target`` passes (``want``) or fails while every other CHECK on those columns
    passes."""
    free = [c for c in target.cols if c not in keep and not t.columns[c].generated]
    others = [k for k in t.checks if k is not target and set(k.cols) & set(free)]
    options = [choices(row.get(c), t.columns[c], keep_current=c in row) for c in free]
    rows = [
        {**row, **dict(zip(free, combo, strict=True))}
        for combo in combinations(options, SEARCH_LIMIT)
    ]
    found = _first(conn, t, rows, target, others, want) if rows else None
    return None if found is None else rows[found]


def _fit(conn: Any, t: Table, row: Row, keep: set[str]) -> Row | None:
    """``row`` changed outside ``keep`` so that it passes every CHECK over several columns, each
    of whose columns is then given explicitly (no default can undo the search); None if no
    such row was found."""
    checks = [k for k in t.multi_checks() if not any(t.columns[c].generated for c in k.cols)]
    row = dict(row)
    for k in checks:
        for c in k.cols:
            if c not in row:
                row[c] = _good_value(conn, t, t.columns[c]) if t.columns[c].notnull else None
        if _holds(conn, t, row, k, []):
            continue
        found = _search(conn, t, row, k, want=True, keep=keep)
        if found is None:
            return None
        row = found
    if checks and not _holds(conn, t, row, None, checks):
        return None
    return row


def _good_value(conn: Any, t: Table, col: Column) -> str | None:
    """The first candidate of ``col`` that is of its type (a domain's CHECKs included) and
    passes its own CHECKs; its filler if none does."""
    if col.name not in t.good:
        t.good[col.name] = _find_good_value(conn, t, col)
    return t.good[col.name]


def _find_good_value(conn: Any, t: Table, col: Column) -> str | None:
    checks = t.single_checks(col.name)
    if not checks and col.typtype != "d":
        return col.filler()
    rows: list[Row] = [{col.name: value} for value in col.candidates()[:SEARCH_LIMIT]]
    found = _first(conn, t, rows, None, checks, True) if rows else None
    return col.filler() if found is None else rows[found][col.name]


def _parent_exists(conn: Any, t: Table, fk: ForeignKey, values: list[str]) -> bool:
    pairs = zip(fk.ref_cols, fk.cols, values, strict=True)
    where = " AND ".join(
        f"{quote.identifier(conn, ref)} = {quote.literal(conn, v)}::{t.columns[c].type}"
        for ref, c, v in pairs
    )
    try:
        with conn.transaction():
            found = conn.execute(f"SELECT 1 FROM {fk.ref_table} WHERE {where} LIMIT 1")
            return found.fetchone() is not None
    except Exception:
        return True  # not known to be free: not an orphan


# ---- the statements ----------------------------------------------------------------------


def _insert(conn: Any, t: Table, values: Row, rows: int = 1) -> str:
    if not values:
        return f"INSERT INTO {t.name} SELECT FROM generate_series(1, {rows})"
    cols = ", ".join(quote.identifier(conn, c) for c in values)
    row = "(" + ", ".join(quote.literal(conn, v) for v in values.values()) + ")"
    return f"INSERT INTO {t.name} ({cols}) OVERRIDING SYSTEM VALUE VALUES " + ", ".join(
        [row] * rows
    )


def _self_satisfied(fk: ForeignKey, row: Row) -> bool:
    return fk.self_ref and all(
        row.get(c) is not None and row.get(c) == row.get(r)
        for c, r in zip(fk.cols, fk.ref_cols, strict=True)
    )


def _aside(conn: Any, t: Table, row: Row) -> list[str]:
    """ALTER TABLE clauses setting aside the foreign keys ``row`` cannot satisfy (no parent)."""
    return [
        f"DROP CONSTRAINT {quote.identifier(conn, fk.name)}"
        for fk in t.fkeys
        if any(row.get(c) is not None for c in fk.cols) and not _self_satisfied(fk, row)
    ]


def _alter(t: Table, clauses: list[str]) -> str:
    return f"ALTER TABLE {t.name} {', '.join(clauses)}" if clauses else ""


def _set_aside(conn: Any, t: Table, row: Row, clauses: list[str]) -> str:
    """DDL setting aside ``clauses``' constraints and the foreign keys ``row`` cannot satisfy:
    the table's, and those its partitions have of their own (pagila's payment_p2022_01)."""
    statements = [_alter(t, [*clauses, *_aside(conn, t, row)])] + [
        f"ALTER TABLE {part} DROP CONSTRAINT {quote.identifier(conn, name)}"
        for part, name, cols in t.partition_fkeys
        if any(row.get(c) is not None for c in cols)
    ]
    return "; ".join(s for s in statements if s)


def _control(conn: Any, t: Table, row: Row) -> str:
    """The row inserted with the foreign keys it cannot satisfy set aside."""
    aside = _set_aside(conn, t, row, [])
    return f"{aside}; {_insert(conn, t, row)}" if aside else _insert(conn, t, row)


# ---- column cases: coercion, before triggers, routing and constraints ---------------------


def _column_cases(conn: Any, t: Table) -> list[Case]:
    """Too-long and wrong-type values, column by column; the control: a value of the column's
    type is taken."""
    cases: list[Case] = []
    for c in t.columns.values():
        ident = quote.identifier(conn, c.name)
        if c.maxlen is not None:
            cases.append(
                Case(
                    name=f"{t.name}.{c.name} too long ({c.maxlen + 1} > {c.maxlen})",
                    sql=f"INSERT INTO {t.name} ({ident}) OVERRIDING SYSTEM VALUE"
                    f" VALUES (repeat('x', {c.maxlen + 1}))",
                    sqlstate="22001",
                    kind="too-long",
                    control=f"SELECT CAST(repeat('x', {c.maxlen}) AS {c.type})",
                )
            )
        filler = _good_value(conn, t, c)
        if (state := c.wrong_type()) is not None and filler is not None and not c.generated:
            cases.append(
                Case(
                    name=f"{t.name}.{c.name} wrong type ({c.type})",
                    sql=_insert(conn, t, {c.name: "dotbox: not a value"}),
                    sqlstate=state,
                    kind="wrong-type",
                    control=f"SELECT CAST({quote.literal(conn, filler)} AS {c.type})",
                )
            )
    return cases


# ---- row cases: a valid row with one thing broken ------------------------------------------


def _row_case_count(t: Table) -> int:
    nulls = sum(1 for c in t.columns.values() if _nullable_case(c))
    return nulls + len(t.constraints()) + len(t.fkeys) + len(t.uniques)


def _nullable_case(c: Column) -> bool:
    return c.notnull and not c.identity and not c.generated


def _row_cases(conn: Any, t: Table, skipped: Skips) -> list[Case]:
    """NOT NULL, CHECK, foreign-key and unique cases. On a table with a BEFORE INSERT trigger,
    which may rewrite a row before its constraints see it, a case is judged only when the row
    is rejected."""
    base, why_not = _base_row(conn, t)
    if base is None:
        skipped[why_not] += _row_case_count(t)
        return []
    cases = (
        _not_null_cases(conn, t, base)
        + _check_cases(conn, t, base, skipped)
        + _orphan_cases(conn, t, base, skipped)
        + _duplicate_cases(conn, t, base, skipped)
    )
    if t.before_insert_trigger:
        return [c.model_copy(update={"rewritten": True}) for c in cases]
    return cases


def _base_row(conn: Any, t: Table) -> tuple[Row | None, str]:
    """Values for every column that needs one (NOT NULL without a default, or a column whose
    NULL or constant default fails its CHECK), every foreign-key column given (NULL where it
    may be, else a value, which for a key on the table itself is the row's own key), then
    fitted to the CHECKs over several columns."""
    row: Row = {}
    fk_cols = {c for fk in t.fkeys for c in fk.cols}
    for col in t.columns.values():
        if col.generated or col.identity:
            continue
        if _needs_value(conn, t, col) or (col.notnull and col.name in fk_cols):
            row[col.name] = _good_value(conn, t, col)
            if row[col.name] is None:
                return None, "row cases on tables with a NOT NULL column of a type with no filler"
        elif col.name in fk_cols:
            row[col.name] = None
    for fk in (k for k in t.fkeys if k.self_ref):
        if any(t.columns[c].notnull for c in fk.cols):
            row.update({r: row.get(r) or _good_value(conn, t, t.columns[r]) for r in fk.ref_cols})
        if all(row.get(c) is not None for c in fk.cols + fk.ref_cols):
            row.update({c: row[r] for c, r in zip(fk.cols, fk.ref_cols, strict=True)})
    fitted = _fit(conn, t, row, keep=set())
    return (
        None if fitted is None else _fresh(conn, t, fitted, keep=set()),
        "row cases on tables where no row passing the CHECKs on several columns was found",
    )


def _needs_value(conn: Any, t: Table, col: Column) -> bool:
    """NOT NULL without a default, or what the column gets when left out (NULL, or its
    constant default) fails one of its CHECKs."""
    checks = t.single_checks(col.name)
    if col.notnull and not col.has_default:
        return True
    if col.has_default and col.default is None:
        return False  # an expression: left to it (the control proves the row)
    return bool(checks) and not _holds(conn, t, {col.name: col.default}, None, checks)


def _not_null_cases(conn: Any, t: Table, base: Row) -> list[Case]:
    control = _control(conn, t, base)
    return [
        Case(
            name=f"{t.name}.{col.name} NULL into NOT NULL",
            sql=_insert(conn, t, {**base, col.name: None}),
            sqlstate="23502",
            kind="not-null",
            control=control,
            without=_set_aside(
                conn, t, base, [f"ALTER COLUMN {quote.identifier(conn, col.name)} DROP NOT NULL"]
            ),
        )
        for col in t.columns.values()
        if _nullable_case(col)
    ]


def _check_cases(conn: Any, t: Table, base: Row, skipped: Skips) -> list[Case]:
    """The base row with the columns of one CHECK changed so that it fails (searched)."""
    control = _control(conn, t, base)
    cases: list[Case] = []
    for k in t.constraints():
        if not k.cols or any(t.columns[c].generated for c in k.cols):
            skipped["checks on no column or on generated columns"] += 1
            continue
        bad = _search(conn, t, base, k, want=False, keep=set())
        if bad is None:
            skipped["checks for which no breaking row was found"] += 1
            continue
        cases.append(
            Case(
                name=f"{t.name} breaks {k.name}",
                sql=_insert(conn, t, bad),
                sqlstate="23514",
                kind="check",
                control=control,
                without=_set_aside(
                    conn, t, base, [f"DROP CONSTRAINT {quote.identifier(conn, k.name)}"]
                ),
            )
        )
    return cases


def _orphan(conn: Any, t: Table, fk: ForeignKey, row: Row) -> list[str] | None:
    """Values for the key's columns that no parent row has, and that differ from the row's own
    key when the key points at its own table."""
    avoid = {row.get(r) for r in fk.ref_cols} if fk.self_ref else set()
    options = [t.columns[c].orphans(avoid) for c in fk.cols]
    for i in range(max((len(o) for o in options), default=0)):
        values = [o[min(i, len(o) - 1)] for o in options if o]
        if len(values) != len(fk.cols) or (fk.parent_rows and _parent_exists(conn, t, fk, values)):
            continue
        if all(_passes_own_checks(conn, t, c, v) for c, v in zip(fk.cols, values, strict=True)):
            return values
    return None


def _passes_own_checks(conn: Any, t: Table, col: str, value: str) -> bool:
    checks = t.single_checks(col)
    return _holds(conn, t, {col: value}, None, checks)


def _orphan_cases(conn: Any, t: Table, base: Row, skipped: Skips) -> list[Case]:
    cases: list[Case] = []
    for fk in t.fkeys:
        values = _orphan(conn, t, fk, base)
        row = None if values is None else {**base, **dict(zip(fk.cols, values, strict=True))}
        fitted = None if row is None else _fit(conn, t, row, keep=set(fk.cols))
        if fitted is None:
            skipped["foreign keys for which no orphan row passing the CHECKs was found"] += 1
            continue
        fitted = _fresh(conn, t, fitted, keep=set(fk.cols))
        cases.append(_keyed(conn, t, fk.name, "orphan", fitted, 1, "23503", "foreign-key"))
    return cases


def _duplicate_cases(conn: Any, t: Table, base: Row, skipped: Skips) -> list[Case]:
    cases: list[Case] = []
    for name, cols in t.uniques:
        if any(t.columns[c].generated for c in cols):
            skipped["unique keys over generated columns"] += 1
            continue
        row = {**base}
        for c in cols:
            row[c] = row.get(c) or _good_value(conn, t, t.columns[c])
        fitted = _fit(conn, t, row, keep=set(cols))
        if fitted is None:
            skipped["unique keys for which no row passing the CHECKs was found"] += 1
            continue
        fitted = _fresh(conn, t, fitted, keep=set())
        case = _keyed(conn, t, name, "duplicate", fitted, 2, "23505", "unique")
        drop = f"DROP CONSTRAINT {quote.identifier(conn, name)} CASCADE"
        without = _set_aside(conn, t, fitted, [drop])
        cases.append(case.model_copy(update={"without": without}))
    return cases


def _keyed(
    conn: Any, t: Table, key: str, what: str, row: Row, rows: int, state: str, kind: CaseKind
) -> Case:
    """A key case; its control: the row once, with the keys it cannot satisfy set aside."""
    return Case(
        name=f"{t.name} {what} {key}",
        sql=_insert(conn, t, row, rows=rows),
        sqlstate=state,
        kind=kind,
        control=_control(conn, t, row),
    )
