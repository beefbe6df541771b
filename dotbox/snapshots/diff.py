"""Compare two snapshots object by object, from their DDL alone (pglast; no container).

Objects are keyed by kind and qualified name ("table public.users", "function
public.f(integer, text)", "index public.users_pkey"). A table is compared by its columns and
constraints; a function by its signature (in the key) and a hash of its body; every other
object by a hash of its parse tree, so whitespace, comments and statement order do not count.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dotbox.core.models import SnapshotDiff, SnapshotDiffChange
from dotbox.sql import sqltext


@dataclass
class _Table:
    columns: dict[str, str] = field(default_factory=dict)  # name -> rendered definition
    constraints: dict[str, str] = field(default_factory=dict)  # name -> hash


@dataclass
class Catalog:
    tables: dict[str, _Table] = field(default_factory=dict)
    functions: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (body, rest)
    others: dict[str, str] = field(default_factory=dict)  # "kind name" -> hash

    def keys(self) -> set[str]:
        return (
            {f"table {k}" for k in self.tables}
            | {f"function {k}" for k in self.functions}
            | set(self.others)
        )


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if not k.endswith("location")}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def _hash(node: Any) -> str:
    return hashlib.sha256(json.dumps(_strip(node), sort_keys=True).encode()).hexdigest()[:16]


def _rel(rel: dict[str, Any]) -> str:
    name = str(rel.get("relname", ""))
    return f"{rel['schemaname']}.{name}" if rel.get("schemaname") else name


def _names(parts: list[dict[str, Any]]) -> str:
    return ".".join(str(p.get("String", {}).get("sval", "")) for p in parts)


def _type(t: dict[str, Any]) -> str:
    names = [p.get("String", {}).get("sval", "") for p in t.get("names", [])]
    if len(names) > 1 and names[0] == "pg_catalog":
        names = names[1:]
    out = ".".join(names)
    mods = []
    for m in t.get("typmods", []):
        const = m.get("A_Const", {})
        if "ival" in const:
            mods.append(str(const["ival"].get("ival", 0)))
    if mods:
        out += f"({','.join(mods)})"
    if t.get("arrayBounds"):
        out += "[]" * len(t["arrayBounds"])
    return out


def _column(col: dict[str, Any]) -> str:
    parts = [_type(col.get("typeName", {}))]
    for c in col.get("constraints", []):
        con = c.get("Constraint", {})
        kind = con.get("contype", "")
        if kind == "CONSTR_NOTNULL":
            parts.append("not null")
        elif kind == "CONSTR_DEFAULT":
            parts.append(f"default#{_hash(con.get('raw_expr'))[:8]}")
        elif kind == "CONSTR_GENERATED":
            parts.append(f"generated#{_hash(con.get('raw_expr'))[:8]}")
        elif kind == "CONSTR_IDENTITY":
            parts.append("identity")
    return " ".join(parts)


def _constraint_name(con: dict[str, Any], table: str, column: str | None = None) -> str:
    if con.get("conname"):
        return str(con["conname"])
    keys = [k.get("String", {}).get("sval", "") for k in con.get("keys", [])]
    if column:
        keys = keys or [column]
    return f"{con.get('contype', '').removeprefix('CONSTR_').lower()}({','.join(keys)})"


_TABLE_LEVEL = {
    "CONSTR_PRIMARY",
    "CONSTR_UNIQUE",
    "CONSTR_CHECK",
    "CONSTR_FOREIGN",
    "CONSTR_EXCLUSION",
}


def _add_table(cat: Catalog, body: dict[str, Any]) -> None:
    name = _rel(body["relation"])
    table = cat.tables.setdefault(name, _Table())
    for el in body.get("tableElts", []):
        if "ColumnDef" in el:
            col = el["ColumnDef"]
            table.columns[col["colname"]] = _column(col)
            for c in col.get("constraints", []):
                con = c.get("Constraint", {})
                if con.get("contype") in _TABLE_LEVEL:
                    table.constraints[_constraint_name(con, name, col["colname"])] = _hash(con)
        elif "Constraint" in el:
            con = el["Constraint"]
            table.constraints[_constraint_name(con, name)] = _hash(con)


def _alter_table(cat: Catalog, body: dict[str, Any]) -> None:
    if body.get("objtype") != "OBJECT_TABLE":
        return
    table = cat.tables.get(_rel(body["relation"]))
    if table is None:
        return
    for cmd in body.get("cmds", []):
        sub = cmd.get("AlterTableCmd", {})
        kind = sub.get("subtype")
        if kind == "AT_AddConstraint":
            con = sub.get("def", {}).get("Constraint", {})
            table.constraints[_constraint_name(con, "")] = _hash(con)
        elif kind == "AT_ColumnDefault" and sub.get("name") in table.columns:
            table.columns[sub["name"]] += f" default#{_hash(sub.get('def'))[:8]}"
        elif kind == "AT_SetNotNull" and sub.get("name") in table.columns:
            table.columns[sub["name"]] += " not null"


def _function(cat: Catalog, body: dict[str, Any]) -> None:
    name = _names(body.get("funcname", []))
    args = []
    for p in body.get("parameters", []):
        fp = p.get("FunctionParameter", {})
        if fp.get("mode") in ("FUNC_PARAM_OUT", "FUNC_PARAM_TABLE"):
            continue
        args.append(_type(fp.get("argType", {})))
    kind = "procedure" if body.get("is_procedure") else "function"
    key = f"{name}({', '.join(args)})"
    options = body.get("options", [])
    source = [o for o in options if o.get("DefElem", {}).get("defname") == "as"]
    rest = {k: v for k, v in body.items() if k != "options"}
    rest["options"] = [o for o in options if o not in source]
    cat.functions[key if kind == "function" else f"{key} [procedure]"] = (
        _hash(source),
        _hash(rest),
    )


def catalog(text: str) -> Catalog:
    """The objects ``text`` creates. Assumes ``text`` was already accepted as a snapshot."""
    from pglast import parser

    cat = Catalog()
    for st in sqltext.split(text):
        if st.kind != "sql":
            continue
        for raw in json.loads(parser.parse_sql_json(st.text)).get("stmts", []):
            ((kind, body),) = raw["stmt"].items()
            _add(cat, kind, body)
    return cat


def _add(cat: Catalog, kind: str, body: dict[str, Any]) -> None:
    if kind in _ADD_BY_KIND:
        _ADD_BY_KIND[kind](cat, body)
    elif kind in _OTHER_OBJECT_KEY:
        cat.others[_OTHER_OBJECT_KEY[kind](body)] = _hash(body)


def _add_extension(cat: Catalog, body: dict[str, Any]) -> None:
    """An extension, compared without IF NOT EXISTS."""
    cat.others[f"extension {body['extname']}"] = _hash(
        {k: v for k, v in body.items() if k != "if_not_exists"}
    )


def _index_key(body: dict[str, Any]) -> str:
    """An index's key: its name, or for an unnamed one its table and a hash of its definition."""
    schema = body.get("relation", {}).get("schemaname")
    idx = body.get("idxname") or f"on {_rel(body['relation'])}#{_hash(body)[:8]}"
    return f"index {schema + '.' if schema else ''}{idx}"


# Statements that add to the catalog in a way of their own.
_ADD_BY_KIND: dict[str, Callable[[Catalog, dict[str, Any]], None]] = {
    "CreateStmt": _add_table,
    "AlterTableStmt": _alter_table,
    "CreateFunctionStmt": _function,
    "CreateExtensionStmt": _add_extension,
}
# Statements that create an object compared by a hash of its parse tree: statement -> its key.
_OTHER_OBJECT_KEY: dict[str, Callable[[dict[str, Any]], str]] = {
    "IndexStmt": _index_key,
    "ViewStmt": lambda body: f"view {_rel(body['view'])}",
    "CreateTableAsStmt": lambda body: f"materialized view {_rel(body['into']['rel'])}",
    "CreateSeqStmt": lambda body: f"sequence {_rel(body['sequence'])}",
    "CreateTrigStmt": lambda body: f"trigger {body['trigname']} on {_rel(body['relation'])}",
    "CreateSchemaStmt": lambda body: f"schema {body.get('schemaname', '')}",
    "CreateEnumStmt": lambda body: f"type {_names(body['typeName'])}",
    "CompositeTypeStmt": lambda body: f"type {_rel(body['typevar'])}",
    "CreateDomainStmt": lambda body: f"domain {_names(body['domainname'])}",
    "CreateForeignTableStmt": lambda body: f"foreign table {_rel(body['base']['relation'])}",
    "CreatePolicyStmt": lambda body: f"policy {body['policy_name']} on {_rel(body['table'])}",
}


def _table_changes(a: _Table, b: _Table) -> list[str]:
    out = []
    for col in sorted(b.columns.keys() - a.columns.keys()):
        out.append(f"column {col} added ({b.columns[col]})")
    for col in sorted(a.columns.keys() - b.columns.keys()):
        out.append(f"column {col} removed")
    for col in sorted(a.columns.keys() & b.columns.keys()):
        if a.columns[col] != b.columns[col]:
            out.append(f"column {col}: {a.columns[col]} -> {b.columns[col]}")
    for con in sorted(b.constraints.keys() - a.constraints.keys()):
        out.append(f"constraint {con} added")
    for con in sorted(a.constraints.keys() - b.constraints.keys()):
        out.append(f"constraint {con} removed")
    for con in sorted(a.constraints.keys() & b.constraints.keys()):
        if a.constraints[con] != b.constraints[con]:
            out.append(f"constraint {con} changed")
    return out


def diff(a_name: str, a_text: str, b_name: str, b_text: str) -> SnapshotDiff:
    a, b = catalog(a_text), catalog(b_text)
    ka, kb = a.keys(), b.keys()
    changed: list[SnapshotDiffChange] = []
    for key in sorted(ka & kb):
        kind, _, name = key.partition(" ")
        details: list[str] = []
        if kind == "table":
            details = _table_changes(a.tables[name], b.tables[name])
        elif kind == "function":
            (body_a, rest_a), (body_b, rest_b) = a.functions[name], b.functions[name]
            if body_a != body_b:
                details.append(f"body changed (sha {body_a} -> {body_b})")
            if rest_a != rest_b:
                details.append("definition changed (return type, language or options)")
        elif a.others[key] != b.others[key]:
            details.append("definition changed")
        if details:
            changed.append(SnapshotDiffChange(object=key, details=details))
    return SnapshotDiff(
        a=a_name, b=b_name, added=sorted(kb - ka), removed=sorted(ka - kb), changed=changed
    )
