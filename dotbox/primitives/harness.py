"""bad-input-harness: statements that must be rejected, each with the SQLSTATE it must get.

Cases come from a file or are derived from the catalog (``--auto``, harness_derive.py). All
cases run in ONE transaction that is rolled back, each statement in its own subtransaction (a
PL/pgSQL exception block, i.e. a savepoint) that is rolled back too, through a temporary
function. A derived case is judged only once its control was accepted; a case whose control
was rejected is skipped with the reason. The state of every table and sequence is read before
and after.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from dotbox.core import yamlfile
from dotbox.core.models import Frozen
from dotbox.pg import quote
from dotbox.pg.fingerprint import USER_NS, not_extension

CaseKind = Literal["file", "not-null", "check", "foreign-key", "unique", "too-long", "wrong-type"]
Outcome = Literal["passed", "failed", "skipped"]


class Case(Frozen):
    name: str
    sql: str
    sqlstate: str = Field(pattern=r"^[0-9A-Z]{5}$")
    kind: CaseKind = "file"
    # Derived cases only. control: the unbroken row, which must be accepted first (else the
    # case is skipped); without: DDL setting the constraint under test aside, run with the
    # statement when it got another SQLSTATE: if the statement is then rejected all the same,
    # it breaks more than the one thing and the case is skipped, not failed.
    control: str | None = None
    without: str | None = None
    rewritten: bool = (
        False  # a BEFORE INSERT trigger may rewrite the row: acceptance proves nothing
    )


class CasesFile(Frozen):
    cases: list[Case] = Field(min_length=1)


class CaseResult(Frozen):
    name: str
    kind: CaseKind
    sql: str
    expected: str
    actual: str  # a SQLSTATE, "accepted", or "-" when the case was skipped before it ran
    constraint: str | None = None
    outcome: Outcome
    reason: str | None = None  # why the case was skipped
    passed: bool


FILE_KEYS = ("kind", "control", "without", "rewritten")


def load_cases(path: Path) -> list[Case]:
    doc = yamlfile.load(path)
    cases = yamlfile.parse(doc, CasesFile).cases
    seen: set[str] = set()
    for i, case in enumerate(cases):
        for key in FILE_KEYS:
            if key in case.model_fields_set:
                raise doc.error(("cases", i, key), f"unknown key {key!r}")
        if case.name in seen:
            raise doc.error(("cases", i, "name"), f"duplicate case name {case.name!r}")
        seen.add(case.name)
    return cases


# ---- the runner: one temporary function, one subtransaction per statement -----------------

RUNNER_SQL = """
CREATE FUNCTION pg_temp.dotbox_try(statement text, OUT state text, OUT con text, OUT msg text)
LANGUAGE plpgsql AS $fn$
BEGIN
  BEGIN
    EXECUTE statement;
    RAISE EXCEPTION 'dotbox: accepted' USING ERRCODE = 'DBX00';
  EXCEPTION
    WHEN SQLSTATE 'DBX00' THEN state := 'accepted';
    WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, con = CONSTRAINT_NAME,
        msg = MESSAGE_TEXT;
  END;
END $fn$"""

RUN_SQL = (
    "SELECT r.state, nullif(r.con, ''), r.msg"
    " FROM unnest(%s::text[]) WITH ORDINALITY AS s(statement, n),"
    " LATERAL pg_temp.dotbox_try(s.statement) r ORDER BY s.n"
)


@dataclass(frozen=True)
class Tried:
    state: str  # a SQLSTATE or "accepted"
    constraint: str | None = None
    message: str | None = None

    def detail(self) -> str:
        return f"{self.constraint}: {self.message}" if self.constraint else f"{self.message}"


def _try(conn: Any, statements: list[str]) -> list[Tried]:
    """Each statement in its own savepoint, rolled back: what PostgreSQL said."""
    if not statements:
        return []
    return [Tried(*row) for row in conn.execute(RUN_SQL, (statements,)).fetchall()]


def run_cases(conn: Any, cases: list[Case]) -> list[CaseResult]:
    """Every case in one transaction that is rolled back, whatever happens: first each distinct
    control, then the cases whose control was accepted, then, for those that got another
    SQLSTATE (not accepted: that fails whatever else), the statement again with the constraint
    under test set aside."""
    with conn.transaction(force_rollback=True):
        conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
        conn.execute("SET LOCAL lock_timeout = '5s'")
        conn.execute(RUNNER_SQL)
        controls = list(dict.fromkeys(c.control for c in cases if c.control))
        control_of = dict(zip(controls, _try(conn, controls), strict=True))
        ready = [i for i, c in enumerate(cases) if _control_ok(c, control_of)]
        first = dict(zip(ready, _try(conn, [cases[i].sql for i in ready]), strict=True))
        again = [i for i in ready if _set_aside_needed(cases[i], first[i])]
        second = _try(conn, [f"{cases[i].without}; {cases[i].sql}" for i in again])
        aside = dict(zip(again, second, strict=True))
    return [
        judge(c, control_of.get(c.control or ""), first.get(i), aside.get(i))
        for i, c in enumerate(cases)
    ]


def _set_aside_needed(case: Case, tried: Tried) -> bool:
    """Only a rejection with another SQLSTATE can be the harness's own doing (a row breaking
    two things); a bad input that was accepted is a failure whatever else the row does."""
    return bool(case.without) and tried.state not in (case.sqlstate, "accepted")


def _control_ok(case: Case, control_of: dict[str, Tried]) -> bool:
    return case.control is None or control_of[case.control].state == "accepted"


def judge(
    case: Case, control: Tried | None, tried: Tried | None, aside: Tried | None
) -> CaseResult:
    """A case's outcome: skipped when its control was rejected; passed on the expected
    SQLSTATE; skipped when the statement is rejected even with the constraint under test set
    aside, or when a trigger may have rewritten its row; failed otherwise."""
    outcome: Outcome = "failed"
    reason = None
    if control is not None and control.state != "accepted":
        outcome = "skipped"
        reason = f"its control row was rejected with {control.state}: {control.detail()}"
    elif tried is not None and tried.state == case.sqlstate:
        outcome = "passed"
    elif aside is not None and aside.state != "accepted":
        outcome = "skipped"
        reason = (
            f"rejected with {aside.state} even with the constraint under test set aside"
            f" (the row breaks something else too): {aside.detail()}"
        )
    elif case.rewritten:
        outcome = "skipped"
        reason = (
            "a BEFORE INSERT trigger may rewrite the row, so only the expected SQLSTATE is"
            f" conclusive: got {tried.state if tried else '-'}"
        )
    return CaseResult(
        name=case.name,
        kind=case.kind,
        sql=case.sql,
        expected=case.sqlstate,
        actual=tried.state if tried else "-",
        constraint=tried.constraint if tried else None,
        outcome=outcome,
        reason=reason,
        passed=outcome == "passed",
    )


def skip_reasons(results: list[CaseResult]) -> dict[str, int]:
    """Skipped cases counted by the general part of their reason (before its details)."""
    return dict(Counter(r.reason.split(": ", 1)[0] for r in results if r.reason))


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
