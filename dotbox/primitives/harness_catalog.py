"""What the harness reads of the catalog: every user table's columns and the constraints it
enforces on new rows (NOT ENFORCED ones left out), with each foreign key's other end."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dotbox.pg import quote
from dotbox.pg.fingerprint import USER_NS, not_extension
from dotbox.primitives.harness_values import Column, default_value, hints

COLUMNS_SQL = f"""
SELECT c.oid, format('%I.%I', n.nspname, c.relname), a.attname,
       format_type(a.atttypid, a.atttypmod),
       coalesce(bt.typcategory, t.typcategory), coalesce(bt.typname, t.typname), t.typtype,
       a.attnotnull, ad.adbin IS NOT NULL, a.attidentity, a.attgenerated,
       CASE WHEN coalesce(bt.typname, t.typname) IN ('varchar', 'bpchar') AND a.atttypmod > 4
            THEN a.atttypmod - 4 END,
       coalesce((SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e
         WHERE e.enumtypid = a.atttypid), '{{}}'),
       EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = c.oid
         AND NOT g.tgisinternal AND g.tgtype & 2 = 2 AND g.tgtype & 4 = 4),
       pg_get_expr(ad.adbin, ad.adrelid),
       (SELECT string_agg(pg_get_constraintdef(dc.oid), ' ') FROM pg_constraint dc
         WHERE dc.contypid = t.oid)
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype
  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
  WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p') AND NOT c.relispartition
    AND {USER_NS} AND {not_extension("pg_class", "c.oid")}
  ORDER BY 2, a.attnum"""

# conenforced is PostgreSQL 18's; read through to_jsonb so that older servers answer too.
CONSTRAINTS_SQL = """
SELECT k.conrelid, k.conname, k.contype,
       (SELECT array_agg(a.attname ORDER BY u.ord) FROM unnest(k.conkey) WITH ORDINALITY u(num, ord)
          JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.num),
       pg_get_expr(k.conbin, k.conrelid),
       k.confrelid, (SELECT format('%%I.%%I', rn.nspname, rc.relname) FROM pg_class rc
          JOIN pg_namespace rn ON rn.oid = rc.relnamespace WHERE rc.oid = k.confrelid),
       (SELECT array_agg(a.attname ORDER BY u.ord)
          FROM unnest(k.confkey) WITH ORDINALITY u(num, ord)
          JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.num)
  FROM pg_constraint k WHERE k.contype IN ('c', 'f', 'u', 'p') AND k.conrelid = ANY(%s)
    AND coalesce((to_jsonb(k) ->> 'conenforced')::boolean, true)
  ORDER BY k.conrelid, k.conname"""


@dataclass
class Check:
    name: str
    cols: list[str]
    expr: str
    routing: bool = False  # not a constraint: the rows some partition takes


@dataclass
class ForeignKey:
    name: str
    cols: list[str]
    ref_table: str  # schema-qualified and quoted
    ref_cols: list[str]
    self_ref: bool
    parent_rows: bool = True  # whether the other end may hold rows (False: known empty)


@dataclass
class Table:
    oid: int
    name: str
    before_insert_trigger: bool
    columns: dict[str, Column] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    fkeys: list[ForeignKey] = field(default_factory=list)
    uniques: list[tuple[str, list[str]]] = field(default_factory=list)
    has_rows: bool = True  # False: known empty (rows shipped with the schema make it True)
    # foreign keys its partitions have of their own: (partition, constraint, columns)
    partition_fkeys: list[tuple[str, str, list[str]]] = field(default_factory=list)
    good: dict[str, str | None] = field(default_factory=dict)  # a column's value, once found

    def single_checks(self, col: str) -> list[Check]:
        return [k for k in self.checks if k.cols == [col]]

    def multi_checks(self) -> list[Check]:
        return [k for k in self.checks if len(k.cols) > 1]

    def constraints(self) -> list[Check]:
        return [k for k in self.checks if not k.routing]


# A partitioned table without a default partition takes a row only if one of its leaf
# partitions does: the OR of their partition constraints, over every partition key column.
ROUTING_SQL = """
SELECT p.partrelid,
       (SELECT array_agg(DISTINCT a.attname) FROM pg_partition_tree(p.partrelid) l
          JOIN pg_partitioned_table pp ON pp.partrelid = l.relid
          CROSS JOIN LATERAL unnest(pp.partattrs::int2[]) k(num)
          JOIN pg_attribute a ON a.attrelid = pp.partrelid AND a.attnum = k.num),
       (SELECT string_agg('(' || pg_get_partition_constraintdef(l.relid) || ')', ' OR ')
          FROM pg_partition_tree(p.partrelid) l WHERE l.isleaf AND l.relid <> p.partrelid)
  FROM pg_partitioned_table p
  WHERE p.partrelid = ANY(%s) AND p.partdefid = 0 AND NOT 0 = ANY(p.partattrs::int2[])"""


# Foreign keys a partition has of its own (not one of its parent's, which it inherits).
PARTITION_FKEYS_SQL = """
SELECT root.partrelid, format('%%I.%%I', n.nspname, c.relname), k.conname,
       (SELECT array_agg(a.attname ORDER BY u.ord) FROM unnest(k.conkey) WITH ORDINALITY u(num, ord)
          JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.num)
  FROM pg_partitioned_table root
  CROSS JOIN LATERAL pg_partition_tree(root.partrelid) p
  JOIN pg_constraint k ON k.conrelid = p.relid AND k.contype = 'f' AND k.conparentid = 0
  JOIN pg_class c ON c.oid = p.relid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE root.partrelid = ANY(%s) AND p.relid <> root.partrelid
    AND coalesce((to_jsonb(k) ->> 'conenforced')::boolean, true)
  ORDER BY 1, 2, 3"""


def tables(conn: Any) -> list[Table]:
    found: dict[int, Table] = {}
    for row in conn.execute(COLUMNS_SQL).fetchall():
        oid, tname, col = row[:3]
        t = found.setdefault(oid, Table(oid, tname, bool(row[13])))
        t.columns[col] = Column(col, *row[3:12], enums=list(row[12]))  # type: ignore[misc]
        c = t.columns[col]
        c.default = default_value(row[14])
        c.hints += [c.default] if c.default is not None else []
        c.hints += hints(row[15] or "", c.category, c.typname)
    for oid, name, contype, cols, expr, ref_oid, ref, ref_cols in conn.execute(
        CONSTRAINTS_SQL, (list(found),)
    ):
        t = found[oid]
        if contype == "c":
            t.checks.append(Check(name, list(cols or []), expr))
            for c in cols or []:
                t.columns[c].hints += hints(expr, t.columns[c].category, t.columns[c].typname)
        elif contype == "f":
            t.fkeys.append(ForeignKey(name, list(cols), ref, list(ref_cols), ref_oid == oid))
        else:
            t.uniques.append((name, list(cols)))
    for oid, part, name, cols in conn.execute(PARTITION_FKEYS_SQL, (list(found),)).fetchall():
        found[oid].partition_fkeys.append((part, name, list(cols)))
    for oid, cols, expr in conn.execute(ROUTING_SQL, (list(found),)).fetchall():
        hashed = "satisfies_hash_partition" in (expr or "")  # every row finds its remainder
        if expr and cols and not hashed and all(c in found[oid].columns for c in cols):
            _add_routing(found[oid], list(cols), expr)
    return list(found.values())


def _add_routing(t: Table, cols: list[str], expr: str) -> None:
    t.checks.append(Check("(partition routing)", cols, expr, routing=True))
    for c in cols:
        t.columns[c].hints += hints(expr, t.columns[c].category, t.columns[c].typname)


BATCH = 40


def mark_filled(conn: Any, found: list[Table]) -> None:
    """Find which tables hold rows, and which of those foreign keys point at do (one query per
    40 tables): a row the harness builds needs comparing only with the rows of those."""
    names = sorted({t.name for t in found} | {fk.ref_table for t in found for fk in t.fkeys})
    filled: set[str] = set()
    for start in range(0, len(names), BATCH):
        batch = names[start : start + BATCH]
        query = " UNION ALL ".join(
            f"SELECT {quote.literal(conn, p)} WHERE EXISTS (SELECT FROM {p})" for p in batch
        )
        try:
            with conn.transaction():
                filled |= {r[0] for r in conn.execute(query).fetchall()}
        except Exception:  # not readable: every one of them may hold rows
            filled |= set(batch)
    for t in found:
        t.has_rows = t.name in filled
        for fk in t.fkeys:
            fk.parent_rows = fk.ref_table in filled
