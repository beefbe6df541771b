"""Whether an exception is the PostgreSQL driver's, asked without importing the driver: one that
was never imported cannot have raised, so paths that talk to no server (a drop) stay free of it."""

from __future__ import annotations

import sys


def is_database_error(exc: BaseException) -> bool:
    """``exc`` is a psycopg error (a failed statement or connection)."""
    if "psycopg" not in sys.modules:
        return False
    from dotbox.pg import db

    return isinstance(exc, db.Error)
