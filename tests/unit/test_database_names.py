"""Per-test databases: which names `dotbox db drop` accepts, and the clone strategy by size."""

from __future__ import annotations

import pytest

from dotbox.core.errors import InvalidInput
from dotbox.pg import databases as sql_db
from dotbox.sandboxes import databases


def test_only_a_handed_out_databases_name_is_accepted() -> None:
    made = sql_db.new_name()
    assert databases.check_name(made) == made  # the control: what create hands out
    others = ["sandbox", "postgres", "template1", sql_db.TEMPLATE, sql_db.SPARE_PREFIX + "0" * 16]
    others += ["db_0123", "db_" + "0" * 16 + "; drop", "DB_" + "a" * 16]
    for other in others:
        with pytest.raises(InvalidInput, match="not a per-test database"):
            databases.check_name(other)


def test_the_clone_strategy_follows_the_templates_size() -> None:
    assert sql_db.strategy_for(sql_db.FILE_COPY_ABOVE_BYTES) == "WAL_LOG"
    assert sql_db.strategy_for(sql_db.FILE_COPY_ABOVE_BYTES + 1) == "FILE_COPY"
