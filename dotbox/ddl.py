"""Read a DDL script: statements with line numbers, and what they need and create.

Parsing is PostgreSQL's own parser (pglast, libpg_query), one statement at a time so that every
problem is reported with its line.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from dotbox import sqltext
from dotbox.errors import InvalidInput

# Meta-commands that pg_dump writes and that change nothing outside the session.
_HARMLESS_META = re.compile(r"\\(set|unset|echo|encoding|restrict|unrestrict)\b")
_STRIPPED_META = re.compile(r"\\(restrict|unrestrict)\b")
_DUMPED_FROM = re.compile(r"^-- Dumped from database version (\d+)(?:\.(\d+))?(\S*)", re.MULTILINE)
_INDEX_CONSTRAINTS = {"CONSTR_PRIMARY", "CONSTR_UNIQUE", "CONSTR_EXCLUSION"}
INTERNAL_ROLES = frozenset({"dotbox_admin", "sandbox"})


@dataclass
class Analysis:
    statements: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    roles: set[str] = field(default_factory=set)
    created_roles: set[str] = field(default_factory=set)
    extensions: set[str] = field(default_factory=set)
    data_lines: list[int] = field(default_factory=list)  # first line of each data statement

    @property
    def referenced_roles(self) -> list[str]:
        return sorted(self.roles - self.created_roles - INTERNAL_ROLES)


def normalise(text: str) -> str:
    """The text a snapshot's digest is taken over: LF line ends, no trailing blanks per line,
    psql's ``\\restrict``/``\\unrestrict`` lines blanked (line numbers are kept)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out = ["" if _STRIPPED_META.match(line) else line.rstrip() for line in lines]
    return "\n".join(out).rstrip("\n") + "\n"


def dumped_from_major(text: str) -> tuple[int, str] | None:
    """The source server's major and version from a pg_dump header, if the file has one."""
    m = _DUMPED_FROM.search(text, 0, 4096)
    if not m:
        return None
    major = int(m.group(1))
    version = m.group(1) + (f".{m.group(2)}" if m.group(2) else "") + m.group(3)
    return (major, version)


def analyse(text: str, origin: str) -> Analysis:
    """Split and parse ``text``; raise InvalidInput naming ``origin`` and the line on failure."""
    try:
        statements = sqltext.split(text)
    except sqltext.UnterminatedText as exc:
        raise InvalidInput(f"{origin}:{exc.line}: not valid SQL: {exc}") from None
    from pglast import parser

    result = Analysis()
    for st in statements:
        if st.kind == "meta":
            if not _HARMLESS_META.match(st.text):
                raise InvalidInput(
                    f"{origin}:{st.start_line}: psql meta-command '{st.text.split()[0]}' is not"
                    " allowed in a snapshot (only \\set, \\unset, \\echo, \\encoding)"
                )
            continue
        if st.kind == "copy-data":
            if st.text.strip():
                result.data_lines.append(st.start_line)
            continue
        try:
            parsed = json.loads(parser.parse_sql_json(st.text))
        except parser.ParseError as exc:
            raise InvalidInput(f"{origin}:{st.start_line}: not valid SQL: {exc}") from None
        for raw in parsed.get("stmts", []):
            result.statements += 1
            _classify(raw["stmt"], st.start_line, result)
    if result.statements == 0:
        raise InvalidInput(f"{origin}: holds no SQL statements")
    return result


def _classify(stmt: dict[str, Any], line: int, out: Analysis) -> None:
    ((kind, body),) = stmt.items()
    counts = out.counts
    if kind in ("InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"):
        out.data_lines.append(line)
    elif kind == "CreateStmt":
        counts["tables"] += 1
        counts["indexes"] += _index_constraints(body.get("tableElts", []))
    elif kind == "CreateForeignTableStmt":
        counts["foreign_tables"] += 1
    elif kind == "ViewStmt":
        counts["views"] += 1
    elif kind == "CreateTableAsStmt" and body.get("objtype") == "OBJECT_MATVIEW":
        counts["materialized_views"] += 1
    elif kind == "CreateFunctionStmt":
        counts["procedures" if body.get("is_procedure") else "functions"] += 1
    elif kind == "DefineStmt" and body.get("kind") == "OBJECT_AGGREGATE":
        counts["functions"] += 1  # pg_proc holds aggregates beside functions
    elif kind == "CreateTrigStmt":
        counts["triggers"] += 1
    elif kind == "CreateSeqStmt":
        counts["sequences"] += 1
    elif kind == "IndexStmt":
        counts["indexes"] += 1
    elif kind == "AlterTableStmt":
        for cmd in body.get("cmds", []):
            sub = cmd.get("AlterTableCmd", {})
            if sub.get("subtype") == "AT_AddConstraint":
                counts["indexes"] += _index_constraints([sub.get("def", {})])
    elif kind == "CreateSchemaStmt":
        counts["schemas"] += 1
    elif kind == "CreateExtensionStmt":
        out.extensions.add(body["extname"])
    elif kind == "CreateRoleStmt":
        out.created_roles.add(body["role"])
    for name in _role_names(body):
        out.roles.add(name)


def _index_constraints(elements: list[dict[str, Any]]) -> int:
    """Indexes that PRIMARY KEY / UNIQUE / EXCLUDE constraints create (not USING INDEX)."""
    n = 0
    for el in elements:
        constraints = []
        if "Constraint" in el:
            constraints.append(el["Constraint"])
        elif "ColumnDef" in el:
            constraints.extend(c["Constraint"] for c in el["ColumnDef"].get("constraints", []))
        for c in constraints:
            if c.get("contype") in _INDEX_CONSTRAINTS and "indexname" not in c:
                n += 1
    return n


def _role_names(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if node.get("roletype") == "ROLESPEC_CSTRING" and "rolename" in node:
            yield node["rolename"]
        for value in node.values():
            yield from _role_names(value)
    elif isinstance(node, list):
        for value in node:
            yield from _role_names(value)
