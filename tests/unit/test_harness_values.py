"""The harness's candidate values and how a case is judged: pure logic, no server."""

from __future__ import annotations

import pytest

from dotbox.primitives import harness
from dotbox.primitives.harness_values import (
    Column,
    choices,
    combinations,
    default_value,
    hints,
    regex_sample,
)


def column(category: str = "N", typname: str = "int4", **kw: object) -> Column:
    base: dict[str, object] = {
        "name": "c", "type": typname, "category": category, "typname": typname, "typtype": "b",
        "notnull": False, "has_default": False, "identity": "", "generated": "", "maxlen": None,
        "enums": [],
    }  # fmt: skip
    return Column(**{**base, **kw})  # type: ignore[arg-type]


def test_orphan_keys_differ_from_the_rows_own_key() -> None:
    col = column()
    assert col.filler() == "1"
    assert col.orphans(set())[0] not in {"1"}  # the filler every base row uses as its key
    assert all(v not in {"2", "3"} for v in col.orphans({"2", "3"}))
    assert column("S", "text", maxlen=3).orphans(set()) == ["2", "y"]  # fits varchar(3)
    uuid = column("U", "uuid")
    assert uuid.orphans({uuid.filler()})[0] != uuid.filler()
    enum = column("E", "mood", enums=["sad", "ok"])
    assert enum.orphans({"sad"}) == ["ok"]


def test_candidates_put_the_filler_first_then_hints_and_fit_the_length() -> None:
    col = column("S", "varchar", maxlen=4, hints=["draft", "AA"])
    found = col.candidates()
    assert found[0] == "x" and "AA" in found and "draft" not in found
    assert all(len(v) <= 4 for v in found) and "xxxx" in found
    assert column("S", "text", notnull=True).candidates()[0] == "x"


def test_choices_keep_what_the_row_has_then_null_then_candidates() -> None:
    assert choices("5", column(), keep_current=True)[:3] == ["5", None, "1"]
    assert None not in choices("5", column(notnull=True), keep_current=True)
    assert choices(None, column(), keep_current=False)[0] is None


def test_combinations_move_fewest_columns_first_and_stop_at_the_limit() -> None:
    options: list[list[str | None]] = [[None, "a", "b"], [None, "1"]]
    found = list(combinations(options, 100))
    assert found[0] == (None, None)
    assert set(found[1:4]) == {("a", None), ("b", None), (None, "1")}
    assert set(found[4:]) == {("a", "1"), ("b", "1")} and len(found) == 6
    assert len(list(combinations(options, 2))) == 2
    assert list(combinations([[None], []], 10)) == []


@pytest.mark.parametrize(
    ("pattern", "sample"),
    [
        ("^[A-Z][A-Z0-9_]{1,15}$", "AA"),
        ("^dot-[a-z0-9-]+$", "dot-a"),
        ("^\\d{3}$", "000"),
        ("[^x]", None),
    ],
)
def test_a_pattern_gets_a_string_it_matches(pattern: str, sample: str | None) -> None:
    assert regex_sample(pattern) == sample


def test_hints_come_from_the_expression() -> None:
    assert "x@x" in hints("(POSITION(('@'::text) IN (email)) > 1)", "S")
    assert "legacy" in hints("((pricing_type <> 'legacy'::text) OR (x IS NOT NULL))", "S")
    assert {"1901", "2156"} <= set(hints("CHECK (((VALUE >= 1901) AND (VALUE <= 2155)))", "N"))
    assert hints("(amount > 0)", "S") == []
    assert "1990-01-01" in hints("((at >= '1990-01-01'::date) AND (at < '1991-01-01'::date))", "D")
    assert "x" * 1025 in hints("(char_length(description) <= 1024)", "S", "text")
    assert hints("(jsonb_typeof(c) = 'object'::text)", "U", "jsonb") == []  # not JSON text


@pytest.mark.parametrize(
    ("expr", "value"),
    [
        ("'legacy'::text", "legacy"),
        ("'it''s'::character varying", "it's"),
        ("'{}'::bigint[]", "{}"),
        ("0", "0"),
        ("true", "true"),
        ("nextval('t_id_seq'::regclass)", None),
        ("now()", None),
        (None, None),
    ],
)
def test_only_constant_defaults_are_read(expr: str | None, value: str | None) -> None:
    assert default_value(expr) == value


CASE = harness.Case(name="n", sql="INSERT …", sqlstate="23503", kind="foreign-key", control="c")


@pytest.mark.parametrize(
    ("control", "tried", "aside", "outcome", "reason"),
    [
        ("accepted", "23503", None, "passed", None),
        ("23514", None, None, "skipped", "its control row was rejected with 23514"),
        ("accepted", "accepted", "accepted", "failed", None),
        ("accepted", "23514", None, "failed", None),
        ("accepted", "23514", "23514", "skipped", "rejected with 23514 even with the"),
    ],
)
def test_a_case_is_judged_only_after_its_control(
    control: str, tried: str | None, aside: str | None, outcome: str, reason: str | None
) -> None:
    def t(state: str | None) -> harness.Tried | None:
        return None if state is None else harness.Tried(state, "k", "message")

    result = harness.judge(CASE, t(control), t(tried), t(aside))
    assert result.outcome == outcome and result.passed == (outcome == "passed")
    assert (result.reason or "").startswith(reason or "") and bool(result.reason) == bool(reason)
    if outcome == "skipped":
        assert harness.skip_reasons([result]) == {result.reason.split(": ")[0]: 1}  # type: ignore[union-attr]


def test_on_a_table_whose_trigger_may_rewrite_rows_only_the_expected_state_counts() -> None:
    case = CASE.model_copy(update={"rewritten": True})
    ok = harness.Tried("accepted")
    assert harness.judge(case, ok, harness.Tried("23503"), None).outcome == "passed"
    for tried in ["accepted", "23514"]:
        result = harness.judge(case, ok, harness.Tried(tried), harness.Tried("accepted"))
        assert result.outcome == "skipped" and result.reason is not None
        assert result.reason.startswith("a BEFORE INSERT trigger may rewrite the row")
    assert harness.judge(CASE, ok, harness.Tried("accepted"), None).outcome == "failed"
