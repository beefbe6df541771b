"""libpq connection strings (``host=… dbname=…`` or ``postgresql://…``), read and written by
libpq's own rules through psycopg."""

from __future__ import annotations

from psycopg.conninfo import conninfo_to_dict, make_conninfo

from dotbox.core.errors import InvalidInput


def parameters(dsn: str, what: str) -> dict[str, str]:
    """The parameters of ``dsn``; InvalidInput naming ``what`` (never quoting the DSN, which
    may hold a password) when libpq cannot read it."""
    try:
        return {k: str(v) for k, v in conninfo_to_dict(dsn).items()}
    except Exception:  # psycopg.ProgrammingError; its message may quote the DSN
        raise InvalidInput(f"{what} is not a valid PostgreSQL connection string") from None


def text(params: dict[str, str]) -> str:
    return make_conninfo(**params)
