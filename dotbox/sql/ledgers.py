"""Migration ledgers: the tables in which migration tools record which migrations ran.

Their rows are part of a schema's meaning (an application whose ledger is empty runs all its
migrations again), so a snapshot keeps them. Only plain ``INSERT … VALUES`` of constants and
``COPY … FROM stdin`` into exactly these tables count as ledger rows; anything else that writes
rows is data, refused unless data is allowed.
"""

from __future__ import annotations

from typing import Any

# Table names as the catalog holds them (a quoted name keeps its case).
LEDGER_TABLES = frozenset(
    {
        "schema_migrations",  # Rails, Ecto, golang-migrate, dbmate, Sequel
        "ar_internal_metadata",  # Rails
        "django_migrations",
        "alembic_version",
        "flyway_schema_history",
        "schema_version",  # Flyway before 5
        "goose_db_version",
        "knex_migrations",
        "knex_migrations_lock",
        "directus_migrations",
        "__EFMigrationsHistory",  # Entity Framework
        "_prisma_migrations",
        "_sqlx_migrations",
        "__diesel_schema_migrations",
        "pgmigrations",  # node-pg-migrate
        "databasechangelog",  # Liquibase
        "databasechangeloglock",
    }
)
_PLAIN_INSERT_KEYS = frozenset({"relation", "cols", "selectStmt", "override"})
_VALUES_ONLY_KEYS = frozenset({"valuesLists", "limitOption", "op"})
_PLAIN_COPY_KEYS = frozenset({"relation", "attlist", "is_from", "options"})
_PLAIN_RELATION_KEYS = frozenset({"schemaname", "relname", "inh", "relpersistence", "location"})


def _plain_name(relation: dict[str, Any]) -> str | None:
    """``schema.table`` (or ``table``) if ``relation`` names a table plainly (no alias, no
    database)."""
    if not set(relation) <= _PLAIN_RELATION_KEYS or "relname" not in relation:
        return None
    schema = relation.get("schemaname")
    return f"{schema}.{relation['relname']}" if schema else str(relation["relname"])


def _ledger_name(relation: dict[str, Any]) -> str | None:
    """``schema.table`` (or ``table``) if ``relation`` names a ledger table plainly."""
    return _plain_name(relation) if relation.get("relname") in LEDGER_TABLES else None


def is_ledger(name: str) -> bool:
    return name.rsplit(".", 1)[-1] in LEDGER_TABLES


def insert_target(body: dict[str, Any]) -> tuple[str, int] | None:
    """(ledger table, rows) of a plain ``INSERT INTO ledger [(cols)] VALUES (constants), …``;
    None for any other INSERT (a SELECT, a CTE, ON CONFLICT, RETURNING, DEFAULT, a call)."""
    if not set(body) <= _PLAIN_INSERT_KEYS:
        return None
    table = _ledger_name(body.get("relation", {}))
    select = body.get("selectStmt", {}).get("SelectStmt")
    if table is None or not isinstance(select, dict) or not set(select) <= _VALUES_ONLY_KEYS:
        return None
    if select.get("op") != "SETOP_NONE" or select.get("limitOption") != "LIMIT_OPTION_DEFAULT":
        return None
    rows = [row.get("List", {}).get("items", []) for row in select.get("valuesLists", [])]
    if not rows or not all(_constant(value) for row in rows for value in row):
        return None
    return table, len(rows)


def _constant(node: dict[str, Any]) -> bool:
    """A literal, or a literal cast to a type: nothing that calls or reads anything."""
    if "A_Const" in node:
        return True
    cast = node.get("TypeCast")
    return isinstance(cast, dict) and _constant(cast.get("arg", {}))


def copy_target(body: dict[str, Any], chosen: frozenset[str] = frozenset()) -> str | None:
    """The table of a plain ``COPY table [(cols)] FROM stdin [WITH (…)]`` if it is a ledger or
    one of the ``chosen`` (``schema.table``, as capture --data found them); None for any other
    COPY (a query, a WHERE clause, a file, a program, TO, another table)."""
    name = plain_copy_table(body)
    return name if name and (_ledger_name(body["relation"]) or name in chosen) else None


def plain_copy_table(body: dict[str, Any]) -> str | None:
    """The table a plain ``COPY table [(cols)] FROM stdin [WITH (…)]`` fills, whichever it is."""
    if not set(body) <= _PLAIN_COPY_KEYS or not body.get("is_from"):
        return None
    return _plain_name(body.get("relation", {}))


def copy_has_header(body: dict[str, Any]) -> bool:
    for opt in body.get("options", []):
        d = opt.get("DefElem", {})
        if d.get("defname") == "header":
            value = d.get("arg", {})
            text = value.get("String", {}).get("sval") or str(
                value.get("Boolean", {}).get("boolval", value.get("Integer", {}).get("ival", 1))
            )
            return text.lower() not in ("false", "off", "0")
    return False


def copy_rows(data: str, header: bool) -> int:
    """Rows of a ``COPY … FROM stdin`` data block (one a line; the header line is none)."""
    lines = [line for line in data.split("\n") if line.strip()]
    return max(len(lines) - (1 if header else 0), 0)
