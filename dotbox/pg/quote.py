"""SQL text quoted for one connection, by psycopg (the connection's encoding and settings
decide the quoting), for statements that dotbox writes out as text."""

from __future__ import annotations

from typing import Any

from psycopg import sql


def literal(conn: Any, value: Any) -> str:
    """``value`` as an SQL literal (None is NULL)."""
    return sql.Literal(value).as_string(conn)


def identifier(conn: Any, *names: str) -> str:
    """A (possibly qualified) name, double-quoted where it needs to be."""
    return sql.Identifier(*names).as_string(conn)
