"""A normalised, order-independent fingerprint of a database's schema, read from pg_catalog.

One row per object: (kind, identity, definition). Definitions are built from catalog columns
(column numbers, operator class oids, md5 of expression trees) rather than deparsed, which is
exact for one data directory and fast: deparsing 6,000 constraints costs seconds. The same
query runs at bake (its rows are written into the sandbox image) and live (by verify), so
drift is the difference of two sets. Objects of extensions, the system schemas and dotbox's
own ``dotbox_vocab`` schema are left out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from dotbox.core.models import Frozen

OWN_SCHEMA = "dotbox_vocab"

USER_NS = f"""
  n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', '{OWN_SCHEMA}')
  AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'"""


def not_extension(catalog: str, oid: str) -> str:
    return (
        f"NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '{catalog}'::regclass"
        f" AND d.objid = {oid} AND d.deptype = 'e')"
    )


def node_digest(column: str) -> str:
    """md5 of an expression's stored node tree without its source positions: exact, and far
    cheaper than deparsing it with the table's column names (pg_get_expr with a relation)."""
    return f"md5(regexp_replace({column}::text, ' :location -?[0-9]+', '', 'g'))"


SQL = f"""
SELECT 'schema' AS kind, n.nspname::text AS identity, '' AS definition
  FROM pg_namespace n WHERE {USER_NS} AND {not_extension("pg_namespace", "n.oid")}
UNION ALL
SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'
         WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table'
         ELSE 'type' END,
       format('%I.%I', n.nspname, c.relname),
       concat_ws(' ', CASE c.relpersistence WHEN 'u' THEN 'unlogged' WHEN 't' THEN 'temporary' END,
         CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END,
         CASE WHEN c.relkind = 'p' THEN 'partition by ' || pg_get_partkeydef(c.oid) END,
         CASE WHEN c.relispartition THEN 'partition of '
           || (SELECT i.inhparent::regclass::text FROM pg_inherits i WHERE i.inhrelid = c.oid)
           || ' bound ' || {node_digest("c.relpartbound")} END,
         CASE WHEN c.relkind = 'S' THEN (SELECT concat_ws(' ', format_type(s.seqtypid, NULL),
           s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle)
           FROM pg_sequence s WHERE s.seqrelid = c.oid) END)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c') AND {USER_NS}
    AND {not_extension("pg_class", "c.oid")}
    AND (c.relkind <> 'c' OR {not_extension("pg_type", "c.reltype")})
UNION ALL
SELECT 'column', format('%I.%I.%I', n.nspname, c.relname, a.attname),
       concat_ws(' ', format_type(a.atttypid, a.atttypmod),
         CASE WHEN a.attnotnull THEN 'not null' END,
         CASE WHEN a.attidentity <> '' THEN 'identity ' || a.attidentity::text END,
         CASE WHEN a.attgenerated <> '' THEN 'generated' END,
         CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
           THEN 'collate ' || a.attcollation::regcollation::text END,
         'default ' || CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, 0)
                            ELSE {node_digest("ad.adbin")} END)
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
  WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f', 'c')
    AND {USER_NS} AND {not_extension("pg_class", "c.oid")}
UNION ALL
SELECT 'constraint',
       format('%I.%I.%I', n.nspname, coalesce(c.relname, t.typname), k.conname),
       concat_ws(' ', k.contype, 'columns ' || k.conkey::text,
         CASE WHEN k.contype = 'f' THEN concat_ws(' ', 'references', k.confrelid::regclass::text,
           'columns ' || k.confkey::text, k.confupdtype, k.confdeltype, k.confmatchtype) END,
         CASE WHEN k.conbin IS NOT NULL THEN 'expr ' || {node_digest("k.conbin")} END,
         CASE WHEN k.condeferrable THEN 'deferrable' END,
         CASE WHEN k.condeferred THEN 'deferred' END,
         CASE WHEN NOT k.convalidated THEN 'not valid' END,
         CASE WHEN k.conindid <> 0 THEN 'index ' || k.conindid::regclass::text END)
  FROM pg_constraint k
  JOIN pg_namespace n ON n.oid = k.connamespace
  LEFT JOIN pg_class c ON c.oid = k.conrelid
  LEFT JOIN pg_type t ON t.oid = k.contypid
  WHERE {USER_NS} AND {not_extension("pg_constraint", "k.oid")}
    AND (c.oid IS NULL OR {not_extension("pg_class", "c.oid")})
    AND (t.oid IS NULL OR {not_extension("pg_type", "t.oid")})
UNION ALL
SELECT 'index', format('%I.%I', n.nspname, c.relname),
       concat_ws(' ', am.amname, 'on', i.indrelid::regclass::text,
         CASE WHEN i.indisunique THEN 'unique' END, CASE WHEN i.indisprimary THEN 'primary' END,
         'columns ' || i.indkey::text,
         'include ' || nullif(i.indnatts - i.indnkeyatts, 0)::text,
         'opclass ' || i.indclass::text, 'options ' || i.indoption::text,
         'exprs ' || {node_digest("i.indexprs")}, 'where ' || {node_digest("i.indpred")})
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
  JOIN pg_am am ON am.oid = c.relam
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE {USER_NS} AND {not_extension("pg_class", "i.indrelid")}
UNION ALL
SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
       format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)),
       CASE WHEN p.prokind = 'a' THEN concat_ws(' ', 'returns',
              pg_get_function_result(p.oid), (SELECT concat_ws(' ', g.aggtransfn, g.aggfinalfn,
              format_type(g.aggtranstype, NULL), g.agginitval)
              FROM pg_aggregate g WHERE g.aggfnoid = p.oid))
            ELSE md5(pg_get_functiondef(p.oid)) END
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE {USER_NS} AND {not_extension("pg_proc", "p.oid")}
UNION ALL
SELECT 'trigger', format('%I.%I.%I', n.nspname, c.relname, g.tgname), pg_get_triggerdef(g.oid)
  FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE NOT g.tgisinternal AND {USER_NS} AND {not_extension("pg_class", "c.oid")}
UNION ALL
SELECT CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain' ELSE 'range' END,
       format('%I.%I', n.nspname, t.typname),
       CASE t.typtype
         WHEN 'e' THEN (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
                        FROM pg_enum e WHERE e.enumtypid = t.oid)
         WHEN 'd' THEN concat_ws(' ', format_type(t.typbasetype, t.typtypmod),
                        CASE WHEN t.typnotnull THEN 'not null' END, 'default ' || t.typdefault)
         ELSE (SELECT format_type(r.rngsubtype, NULL) FROM pg_range r WHERE r.rngtypid = t.oid)
       END
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
  WHERE t.typtype IN ('e', 'd', 'r') AND {USER_NS} AND {not_extension("pg_type", "t.oid")}
UNION ALL
SELECT 'extension', e.extname::text, e.extversion FROM pg_extension e
UNION ALL
SELECT 'policy', format('%I.%I.%I', n.nspname, c.relname, p.polname),
       concat_ws(' ', p.polcmd, p.polpermissive, pg_get_expr(p.polqual, p.polrelid),
                 pg_get_expr(p.polwithcheck, p.polrelid))
  FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {USER_NS}
UNION ALL
SELECT 'rule', format('%I.%I.%I', n.nspname, c.relname, r.rulename), pg_get_ruledef(r.oid)
  FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE r.rulename <> '_RETURN' AND {USER_NS} AND {not_extension("pg_class", "c.oid")}
UNION ALL
SELECT 'event trigger', e.evtname::text, concat_ws(' ', e.evtevent, e.evtfoid::regproc::text)
  FROM pg_event_trigger e WHERE {not_extension("pg_event_trigger", "e.oid")}
"""

# Readable definitions, only for the few objects that drifted (deparsing all would be slow).
READABLE_SQL = """
SELECT * FROM (
  SELECT 'constraint' AS kind,
         format('%%I.%%I.%%I', n.nspname, coalesce(c.relname, t.typname), k.conname) AS identity,
         k.oid AS oid
    FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace
    LEFT JOIN pg_class c ON c.oid = k.conrelid LEFT JOIN pg_type t ON t.oid = k.contypid
  UNION ALL
  SELECT 'index', format('%%I.%%I', n.nspname, c.relname), c.oid
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('i', 'I')
) o WHERE o.identity = ANY(%(identities)s)
"""
READABLE_DEF = {
    "constraint": "SELECT pg_get_constraintdef(%s)",
    "index": "SELECT pg_get_indexdef(%s)",
}

# What bake writes into the image: one JSON array of [kind, identity, definition].
AS_JSON_SQL = (
    "SELECT coalesce(json_agg(json_build_array(f.kind, f.identity, f.definition)), '[]')"
    f" FROM ({SQL}) f;\n"
)


class Row(Frozen):
    kind: str
    identity: str
    definition: str

    def key(self) -> tuple[str, str]:
        return (self.kind, self.identity)


class Change(Frozen):
    kind: str
    identity: str
    change: str  # "added", "removed", "changed"
    before: str | None = None
    after: str | None = None

    def describe(self) -> str:
        if self.change == "added":
            return f"{self.kind} {self.identity} added: {self.after}".rstrip(": ")
        if self.change == "removed":
            return f"{self.kind} {self.identity} removed"
        return f"{self.kind} {self.identity} changed: {self.before!r} -> {self.after!r}"


def rows(raw: Iterable[Iterable[str | None]]) -> list[Row]:
    out = []
    for kind, identity, definition in raw:
        out.append(Row(kind=str(kind), identity=str(identity), definition=definition or ""))
    return sorted(out, key=lambda r: (r.kind, r.identity, r.definition))


def from_json(text: str | bytes) -> list[Row]:
    return rows(json.loads(text))


def digest(fingerprint: list[Row]) -> str:
    h = hashlib.sha256()
    for r in sorted(fingerprint, key=lambda r: (r.kind, r.identity, r.definition)):
        h.update(f"{r.kind}\t{r.identity}\t{r.definition}\n".encode())
    return h.hexdigest()


def drift(expected: list[Row], actual: list[Row]) -> list[Change]:
    """What differs from ``expected`` in ``actual``, object by object, in a stable order."""
    before = {r.key(): r.definition for r in expected}
    after = {r.key(): r.definition for r in actual}
    changes = [
        Change(kind=k, identity=i, change="added", after=after[(k, i)])
        for (k, i) in after.keys() - before.keys()
    ]
    changes += [
        Change(kind=k, identity=i, change="removed", before=before[(k, i)])
        for (k, i) in before.keys() - after.keys()
    ]
    changes += [
        Change(kind=k, identity=i, change="changed", before=before[(k, i)], after=after[(k, i)])
        for (k, i) in before.keys() & after.keys()
        if before[(k, i)] != after[(k, i)]
    ]
    return sorted(changes, key=lambda c: (c.identity, c.kind, c.change))
