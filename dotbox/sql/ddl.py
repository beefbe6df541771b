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

from dotbox.core.errors import InvalidInput
from dotbox.sql import ledgers, sqltext
from dotbox.sql.normal import normalise as normalise  # where the callers look for it

# Meta-commands that pg_dump writes and that change nothing outside the session.
_HARMLESS_META = frozenset({"set", "unset", "echo", "encoding", "restrict", "unrestrict"})
# A \set value is interpolated into later SQL as raw text (:name): plain words only.
_PLAIN_ARG = re.compile(r"^[A-Za-z0-9_.,:+/-]+$")
_DUMPED_FROM = re.compile(r"^-- Dumped from database version (\d+)(?:\.(\d+))?(\S*)", re.MULTILINE)
_INDEX_CONSTRAINTS = {"CONSTR_PRIMARY", "CONSTR_UNIQUE", "CONSTR_EXCLUSION"}
INTERNAL_ROLES = frozenset({"dotbox_admin", "sandbox"})
_UTF8 = frozenset({"UTF8", "UTF-8", "UNICODE"})
_PSQL_SAFE = {"standard_conforming_strings": "on", "client_encoding": "UTF8"}
# Meta-commands refused with a reason of their own (anything else not harmless is refused too).
_REFUSED_META = {
    "connect": "switches to another database or server",
    "c": "switches to another database or server",
    "!": "runs a shell command",
    "copy": "reads or writes client files or runs a program",
    "i": "includes another file",
    "ir": "includes another file",
    "o": "writes query output to a file or program",
    "g": "can send output to a file or program",
}
# Options of CREATE/ALTER SERVER and USER MAPPING whose values are secrets: redacted.
_SECRET_OPTIONS_REDACTED = frozenset({"password", "sslpassword"})
_MAYBE_SECRET = re.compile(r"\b(SERVER|MAPPING)\b", re.IGNORECASE)
REDACTED = "dotbox-redacted"
# What needs a newer PostgreSQL than the oldest one dotbox bakes on: (major, why).
_NEW_FUNCTIONS = {"uuidv7": 18, "uuidv4": 18, "uuid_extract_timestamp": 17}
# Statements that write rows: a snapshot carries none unless data is allowed.
_DATA_STATEMENTS = frozenset({"InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"})
# Column types that make a column with a sequence of its own (PostgreSQL reads them unqualified).
_SERIAL_TYPES = frozenset({"smallserial", "serial2", "serial", "serial4", "bigserial", "serial8"})
# Statements that create one object each of a kind counted as it is: kind -> count's name.
_COUNTED_ONE_EACH = {
    "CreateForeignTableStmt": "foreign_tables",
    "ViewStmt": "views",
    "CreateTrigStmt": "triggers",
    "CreateSeqStmt": "sequences",
    "IndexStmt": "indexes",
    "CreateSchemaStmt": "schemas",
}
# Statements whose options can hold secrets or name credential files.
_SERVER_OPTION_STATEMENTS = frozenset(
    {
        "CreateForeignServerStmt",
        "AlterForeignServerStmt",
        "CreateUserMappingStmt",
        "AlterUserMappingStmt",
    }
)


@dataclass
class Analysis:
    statements: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    roles: set[str] = field(default_factory=set)
    created_roles: set[str] = field(default_factory=set)
    extensions: set[str] = field(default_factory=set)
    data_lines: list[int] = field(default_factory=list)  # first line of each data statement
    ledger_rows: Counter[str] = field(default_factory=Counter)  # migration ledger -> rows kept
    chosen_rows: Counter[str] = field(default_factory=Counter)  # capture --data table -> rows
    superuser_owners: set[str] = field(default_factory=set)  # own event triggers
    min_major: int = 0  # the oldest major this DDL can run on, from features it uses
    # views and functions counted so far, by name (and argument types): CREATE OR REPLACE of
    # one already made is the same object again
    named: set[tuple[str, str]] = field(default_factory=set)
    min_major_reason: str = ""  # "line N: what needs it"

    @property
    def referenced_roles(self) -> list[str]:
        return sorted(self.roles - self.created_roles - INTERNAL_ROLES)


def dumped_from_major(text: str) -> tuple[int, str] | None:
    """The source server's major and version from a pg_dump header, if the file has one."""
    m = _DUMPED_FROM.search(text, 0, 4096)
    if not m:
        return None
    major = int(m.group(1))
    version = m.group(1) + (f".{m.group(2)}" if m.group(2) else "") + m.group(3)
    return (major, version)


def analyse(text: str, origin: str, chosen: frozenset[str] = frozenset()) -> Analysis:
    """Split and parse ``text``; raise InvalidInput naming ``origin`` and the line on failure.

    ``chosen``: tables (``schema.table``) whose ``COPY … FROM stdin`` rows are kept like a
    migration ledger's (capture --data)."""
    result = Analysis()
    copy_into: tuple[str, bool] | None = None  # the ledger a COPY FROM stdin fills, header?
    for st in _split_as_psql_reads(text, origin):
        if st.kind == "meta":
            for command in sqltext.meta_commands(st.text):
                _check_meta(command, st.start_line, origin)
        elif st.kind == "copy-data":
            _note_copy_data(st, copy_into, result)
        else:
            copy_into = None
            for stmt in _parse(st, origin):
                result.statements += 1
                _classify(stmt, st.start_line, result, origin)
                copy_into = _kept_copy(stmt, chosen)
    if result.statements == 0:
        raise InvalidInput(f"{origin}: holds no SQL statements")
    return result


def copy_tables(text: str) -> frozenset[str]:
    """The tables (``schema.table`` as written) that ``text``'s ``COPY … FROM stdin`` fill."""
    found: set[str] = set()
    for st in sqltext.split(text):
        if st.kind == "sql" and st.text.lstrip()[:4].upper() == "COPY":
            for stmt in _parse(st, "capture"):
                table = ledgers.plain_copy_table(stmt.get("CopyStmt", {}))
                if table:
                    found.add(table)
    return frozenset(found)


def _kept_copy(stmt: dict[str, Any], chosen: frozenset[str]) -> tuple[str, bool] | None:
    """(table, header?) of a COPY FROM stdin whose rows are kept: a ledger's or a chosen one's."""
    body = stmt.get("CopyStmt")
    if body is None:
        return None
    table = ledgers.copy_target(body, chosen)
    return (table, ledgers.copy_has_header(body)) if table else None


def _note_copy_data(
    st: sqltext.Statement, copy_into: tuple[str, bool] | None, out: Analysis
) -> None:
    """Rows of a COPY data block: a migration ledger's, kept, or data."""
    if not st.text.strip():
        return
    if copy_into is None:
        out.data_lines.append(st.start_line)
    else:
        table, header = copy_into
        kept = out.ledger_rows if ledgers.is_ledger(table) else out.chosen_rows
        kept[table] += ledgers.copy_rows(st.text, header)


def _split_as_psql_reads(text: str, origin: str) -> list[sqltext.Statement]:
    """``text``'s statements, or InvalidInput if it cannot be split or psql would misread it."""
    try:
        return sqltext.split(text, psql=True)
    except sqltext.UnterminatedText as exc:
        raise InvalidInput(f"{origin}:{exc.line}: not valid SQL: {exc}") from None
    except sqltext.PsqlMisreads as exc:
        raise InvalidInput(f"{origin}:{exc.line}: {exc}") from None


def _parse(st: sqltext.Statement, origin: str) -> list[dict[str, Any]]:
    """The parse trees of the SQL statement(s) of ``st``, or InvalidInput naming its line."""
    from pglast import parser

    try:
        parsed = json.loads(parser.parse_sql_json(st.text))
    except parser.ParseError as exc:
        raise InvalidInput(f"{origin}:{st.start_line}: not valid SQL: {exc}") from None
    return [raw["stmt"] for raw in parsed.get("stmts", [])]


def _check_meta(command: sqltext.MetaCommand, line: int, origin: str) -> None:
    """Refuse a psql meta-command outside the allowlist, or with arguments that are not plain."""
    name = command.name
    where = f"{origin}:{line}: psql meta-command '\\{name}'"
    if name.lower() in _REFUSED_META:
        raise InvalidInput(f"{where} is refused: it {_REFUSED_META[name.lower()]}")
    if name not in _HARMLESS_META:
        raise InvalidInput(
            f"{where} is not allowed in a snapshot (only \\set, \\unset, \\echo, \\encoding,"
            " \\restrict, \\unrestrict)"
        )
    if command.backtick:
        raise InvalidInput(f"{where} is refused: a backquoted argument runs a shell command")
    if name == "set" and not all(_PLAIN_ARG.match(a) for a in command.args):
        raise InvalidInput(f"{where} is refused: its value is not a plain word")
    if name == "set" and command.args[:1] == ["SINGLELINE"]:
        raise InvalidInput(f"{where} is refused: SINGLELINE changes where psql ends statements")
    if name == "encoding" and command.args and command.args[0].upper() not in _UTF8:
        raise InvalidInput(f"{where} is refused: snapshots are read as UTF8")


def _refuse(origin: str, line: int, what: str) -> InvalidInput:
    return InvalidInput(f"{origin}:{line}: {what} is refused in a snapshot")


def _classify(stmt: dict[str, Any], line: int, out: Analysis, origin: str) -> None:
    ((kind, body),) = stmt.items()
    _check_safe(kind, body, line, origin)
    _note_min_major(body, line, out)
    if kind in _DATA_STATEMENTS:
        _note_data(kind, body, line, out)
    if not _repeats_or_drops(kind, body, out):
        _count_objects(kind, body, out.counts)
    _note_extensions_and_roles(kind, body, out)
    out.roles.update(_role_names(body))


def _note_data(kind: str, body: dict[str, Any], line: int, out: Analysis) -> None:
    """Rows a statement writes: a migration ledger's, kept, or data."""
    ledger = ledgers.insert_target(body) if kind == "InsertStmt" else None
    if ledger is None:
        out.data_lines.append(line)
    else:
        out.ledger_rows[ledger[0]] += ledger[1]


def _repeats_or_drops(kind: str, body: dict[str, Any], out: Analysis) -> bool:
    """True if the statement makes again a view or function made before (not counted again),
    and, for a DROP VIEW of views counted, takes them off the count."""
    if kind == "DropStmt" and body.get("removeType") == "OBJECT_VIEW":
        for obj in body.get("objects", []):
            name = ".".join(i.get("String", {}).get("sval", "") for i in obj["List"]["items"])
            if ("views", name) in out.named:
                out.named.discard(("views", name))
                out.counts["views"] -= 1
        return True
    key = _named_key(kind, body)
    if key is None:
        return False
    if key in out.named:
        return True
    out.named.add(key)
    return False


def _named_key(kind: str, body: dict[str, Any]) -> tuple[str, str] | None:
    if kind == "ViewStmt":
        view = body["view"]
        name = (
            f"{view['schemaname']}.{view['relname']}" if view.get("schemaname") else view["relname"]
        )
        return ("views", name)
    if kind == "CreateTrigStmt":  # CREATE OR REPLACE TRIGGER: the same trigger again
        rel = body["relation"]
        table = ".".join(filter(None, (rel.get("schemaname"), rel["relname"])))
        return ("triggers", f"{table}.{body['trigname']}")
    if kind == "CreateFunctionStmt":
        name = ".".join(n.get("String", {}).get("sval", "") for n in body.get("funcname", []))
        args = [
            _without_locations(p["FunctionParameter"].get("argType"))
            for p in body.get("parameters", [])
            if p["FunctionParameter"].get("mode") not in ("FUNC_PARAM_OUT", "FUNC_PARAM_TABLE")
        ]
        return ("functions", f"{name}({json.dumps(args, sort_keys=True)})")
    return None


def _without_locations(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_locations(v) for k, v in node.items() if k != "location"}
    if isinstance(node, list):
        return [_without_locations(v) for v in node]
    return node


def _count_objects(kind: str, body: dict[str, Any], counts: Counter[str]) -> None:
    """Count what the statement creates, under the names a sandbox's catalog is counted by."""
    if kind in _COUNTED_ONE_EACH:
        counts[_COUNTED_ONE_EACH[kind]] += 1
    elif kind == "CreateStmt":
        counts["tables"] += 1
        counts["indexes"] += _index_constraints(body.get("tableElts", []))
        if owned := _owned_sequences(body.get("tableElts", [])):
            counts["sequences"] += owned
    elif kind == "CreateTableAsStmt" and body.get("objtype") == "OBJECT_MATVIEW":
        counts["materialized_views"] += 1
    elif kind == "CreateFunctionStmt":
        counts["procedures" if body.get("is_procedure") else "functions"] += 1
    elif kind == "DefineStmt" and body.get("kind") == "OBJECT_AGGREGATE":
        counts["functions"] += 1  # pg_proc holds aggregates beside functions
    elif kind == "AlterTableStmt":
        _count_altered_indexes(body, counts)


def _count_altered_indexes(body: dict[str, Any], counts: Counter[str]) -> None:
    """Indexes (and sequences) an ALTER TABLE adds by constraints and columns, each command's
    made apart, or an ALTER INDEX attaches to a parent."""
    for cmd in body.get("cmds", []):
        sub = cmd.get("AlterTableCmd", {})
        if sub.get("subtype") == "AT_AttachPartition" and body.get("objtype") == "OBJECT_INDEX":
            # a partition's own index, made a part of its parent's: the catalog counts it
            # under the parent (relispartition), so "indexes" counts top-level ones only
            counts["indexes"] -= 1
            counts["index_partitions"] += 1
        elif sub.get("subtype") in ("AT_AddConstraint", "AT_AddColumn"):
            counts["indexes"] += _index_constraints([sub.get("def", {})])
            if owned := _owned_sequences([sub.get("def", {})]):
                counts["sequences"] += owned
        elif sub.get("subtype") == "AT_AddIdentity":
            counts["sequences"] += 1


def _note_extensions_and_roles(kind: str, body: dict[str, Any], out: Analysis) -> None:
    """Extensions and roles the statement creates, the owners of event triggers (who must be
    superusers) and the roles a SET ROLE / SET SESSION AUTHORIZATION switches to."""
    if kind == "CreateExtensionStmt":
        out.extensions.add(body["extname"])
    elif kind == "CreateRoleStmt":
        out.created_roles.add(body["role"])
    elif kind == "AlterOwnerStmt" and body.get("objectType") == "OBJECT_EVENT_TRIGGER":
        owner = body.get("newowner", {}).get("rolename")
        if owner:
            out.superuser_owners.add(owner)
    elif kind == "VariableSetStmt" and body.get("name") in ("role", "session_authorization"):
        for arg in body.get("args", []):
            role = arg.get("A_Const", {}).get("sval", {}).get("sval")
            if role:
                out.roles.add(role)


def _check_safe(kind: str, body: dict[str, Any], line: int, origin: str) -> None:
    """Refuse what reaches out of the sandbox (server files, programs, other servers,
    credentials) or changes how psql reads the rest of the script."""
    if kind == "CopyStmt":
        _check_copy(body, line, origin)
    elif kind in ("CreateSubscriptionStmt", "AlterSubscriptionStmt"):
        raise _refuse(origin, line, "a SUBSCRIPTION (it connects to another server)")
    elif kind in _SERVER_OPTION_STATEMENTS:
        _check_server_options(body, line, origin)
    elif kind == "VariableSetStmt" and _misleads_psql(body):
        raise _refuse(origin, line, f"SET {body['name']} other than {_PSQL_SAFE[body['name']]}")


def _check_copy(body: dict[str, Any], line: int, origin: str) -> None:
    """Refuse a COPY that runs a program or reads or writes a file on the server."""
    if body.get("is_program"):
        raise _refuse(origin, line, "COPY … PROGRAM (it runs a shell command on the server)")
    if body.get("filename"):
        raise _refuse(origin, line, "COPY with a server file name")


def _check_server_options(body: dict[str, Any], line: int, origin: str) -> None:
    """Refuse a SERVER or USER MAPPING option that holds a secret or names a credential file."""
    for opt in body.get("options", []):
        name = opt.get("DefElem", {}).get("defname", "").lower()
        value = opt.get("DefElem", {}).get("arg", {}).get("String", {}).get("sval")
        if name in _SECRET_OPTIONS_REDACTED and value not in (None, REDACTED):
            # sanitise() redacts these before analysis; meeting one here means it could not
            raise _refuse(origin, line, f"option {name!r} with a value")
        if name in ("passfile", "sslkey"):
            raise _refuse(origin, line, f"option {name!r} (a credential file)")


def _misleads_psql(body: dict[str, Any]) -> bool:
    """SET of what changes how psql reads the rest of the script (it follows the server's
    standard_conforming_strings and client_encoding): only ``on`` and UTF8 are allowed."""
    name = body.get("name")
    if name not in _PSQL_SAFE:
        return False
    if body.get("kind") != "VAR_SET_VALUE":
        return body.get("kind") not in ("VAR_SET_DEFAULT", "VAR_RESET")
    values = [_const_text(arg) for arg in body.get("args", [])]
    allowed = _UTF8 if name == "client_encoding" else {"ON", "TRUE", "1"}
    return len(values) != 1 or values[0].upper() not in allowed


def _const_text(arg: dict[str, Any]) -> str:
    const = arg.get("A_Const", {})
    if "ival" in const:
        return str(const["ival"].get("ival", 0))
    return str(const.get("sval", {}).get("sval", ""))


def _note_min_major(body: Any, line: int, out: Analysis) -> None:
    for needed, why in _features(body):
        if needed > out.min_major:
            out.min_major, out.min_major_reason = needed, f"line {line}: {why}"


def _features(node: Any) -> Iterator[tuple[int, str]]:
    if isinstance(node, dict):
        if node.get("contype") == "CONSTR_GENERATED" and node.get("generated_kind") == "v":
            yield 18, "a VIRTUAL generated column"
        funcname = node.get("funcname")
        if isinstance(funcname, list) and funcname:
            fname = funcname[-1].get("String", {}).get("sval", "")
            if fname in _NEW_FUNCTIONS:
                yield _NEW_FUNCTIONS[fname], f"function {fname}()"
        if "JsonTable" in node:
            yield 17, "JSON_TABLE"
        for value in node.values():
            yield from _features(value)
    elif isinstance(node, list):
        for value in node:
            yield from _features(value)


def sanitise(text: str, origin: str = "snapshot") -> tuple[str, list[str]]:
    """Redact secret option values (password, sslpassword) of SERVER and USER MAPPING
    statements. Returns the new text and one note per redaction ("line N: …")."""
    if not _MAYBE_SECRET.search(text):
        return text, []
    try:
        statements = sqltext.split(text)
    except sqltext.UnterminatedText:
        return text, []  # analyse() reports it with its line
    lines = text.split("\n")
    notes: list[str] = []
    for st in statements:
        if st.kind != "sql" or not _MAYBE_SECRET.search(st.text):
            continue
        spans = _secret_option_spans(st.text)
        if not spans:
            continue
        redacted, redaction_notes = _redact_spans(st, spans, origin)
        notes.extend(redaction_notes)
        _replace_statement_text(lines, st, redacted, origin)
    return "\n".join(lines), sorted(set(notes), key=lambda n: int(n.split()[1].rstrip(":")))


def _secret_option_spans(sql: str) -> list[tuple[int, str]]:
    """(byte offset of the value, option name) of each secret option given a string value in
    the SERVER and USER MAPPING statements of ``sql``; none if it does not parse."""
    from pglast import parser

    try:
        parsed = json.loads(parser.parse_sql_json(sql))
    except parser.ParseError:
        return []  # analyse() reports it with its line
    spans: list[tuple[int, str]] = []
    for raw in parsed.get("stmts", []):
        ((kind, body),) = raw["stmt"].items()
        if "Server" not in kind and "UserMapping" not in kind:
            continue
        for opt in body.get("options", []):
            d = opt.get("DefElem", {})
            value = d.get("arg", {}).get("String", {}).get("sval")
            if d.get("defname", "").lower() in _SECRET_OPTIONS_REDACTED and value is not None:
                spans.append((d["arg_location"], d["defname"]))
    return spans


def _redact_spans(
    st: sqltext.Statement, spans: list[tuple[int, str]], origin: str
) -> tuple[str, list[str]]:
    """``st``'s text with the string literal at each span replaced by REDACTED, and one note
    per redaction."""
    raw_bytes = st.text.encode()
    notes: list[str] = []
    for loc, opt_name in sorted(spans, reverse=True):
        end = _literal_end(raw_bytes, loc)
        if end < 0:
            raise InvalidInput(
                f"{origin}:{st.start_line}: option {opt_name} is not a plain string literal,"
                " so it cannot be redacted; refused"
            )
        raw_bytes = raw_bytes[:loc] + f"'{REDACTED}'".encode() + raw_bytes[end:]
        notes.append(f"line {st.start_line}: option {opt_name} redacted")
    return raw_bytes.decode(), notes


def _replace_statement_text(
    lines: list[str], st: sqltext.Statement, new_text: str, origin: str
) -> None:
    """Put ``new_text`` where ``st``'s text is in ``lines`` (the script's lines, changed in
    place)."""
    block = "\n".join(lines[st.start_line - 1 : st.end_line])
    at = block.find(st.text)
    if at < 0:
        raise InvalidInput(f"{origin}:{st.start_line}: cannot redact option password here; refused")
    block = block[:at] + new_text + block[at + len(st.text) :]
    lines[st.start_line - 1 : st.end_line] = block.split("\n")


def _literal_end(raw: bytes, loc: int) -> int:
    """End offset of the SQL string literal starting at ``loc`` ('…' with '' escapes, or E'…'),
    or -1 if there is none."""
    p = loc
    if raw[p : p + 1] in (b"E", b"e"):
        p += 1
    if raw[p : p + 1] != b"'":
        return -1
    p += 1
    while p < len(raw):
        if raw[p : p + 1] == b"\\" and raw[loc : loc + 1] in (b"E", b"e"):
            p += 2
            continue
        if raw[p : p + 1] == b"'":
            if raw[p + 1 : p + 2] == b"'":
                p += 2
                continue
            return p + 1
        p += 1
    return -1


def _index_constraints(elements: list[dict[str, Any]]) -> int:
    """Indexes that PRIMARY KEY / UNIQUE / EXCLUDE constraints create (not USING INDEX). Of
    the constraints of one CREATE TABLE (or one ALTER TABLE command), those alike (``a int
    PRIMARY KEY UNIQUE``) make one index, as PostgreSQL makes them (transformIndexConstraints).
    """
    seen: set[tuple[Any, ...]] = set()
    n = 0
    for el in elements:
        column = el.get("ColumnDef", {}).get("colname")
        constraints = [el["Constraint"]] if "Constraint" in el else []
        if "ColumnDef" in el:
            constraints.extend(c["Constraint"] for c in el["ColumnDef"].get("constraints", []))
        for c in constraints:
            if c.get("contype") not in _INDEX_CONSTRAINTS or "indexname" in c:
                continue
            key = _index_key(c, column)
            if key is None or key not in seen:
                n += 1
            if key is not None:
                seen.add(key)
    return n


def _index_key(c: dict[str, Any], column: str | None) -> tuple[Any, ...] | None:
    """What makes two key constraints' indexes the same one; None for an exclusion
    constraint (counted each)."""
    if c["contype"] == "CONSTR_EXCLUSION":
        return None
    keys = [k["String"]["sval"] for k in c.get("keys", [])] or [column]
    including = [k["String"]["sval"] for k in c.get("including", [])]
    flags = ("nulls_not_distinct", "deferrable", "initdeferred")
    return (tuple(keys), tuple(including), *(bool(c.get(f)) for f in flags))


def _owned_sequences(elements: list[dict[str, Any]]) -> int:
    """Sequences that serial and identity columns create, each owned by its column."""
    n = 0
    for el in elements:
        column = el.get("ColumnDef")
        if column is None:
            continue
        names = column.get("typeName", {}).get("names", [])
        if len(names) == 1 and names[0].get("String", {}).get("sval") in _SERIAL_TYPES:
            n += 1
        constraints = (c["Constraint"] for c in column.get("constraints", []))
        n += sum(1 for c in constraints if c.get("contype") == "CONSTR_IDENTITY")
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
