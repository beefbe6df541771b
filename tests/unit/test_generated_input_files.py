"""Generated vocabulary and harness case files: each is accepted, or refused with a DotboxError
naming the file and a line — never a traceback."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dotbox.core.errors import DotboxError
from dotbox.primitives import harness, vocab

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=12),
    st.sampled_from(["C1", "UNCL", "table", "view", "*", "x*", "23502", "INSERT INTO t"]),
)  # fmt: skip
KEYS = st.sampled_from(
    ["vocabularies", "name", "codes", "code", "unclassified", "rules", "kind", "schema",
     "description", "cases", "sql", "sqlstate", "extra"]
)  # fmt: skip
TREES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=25,
)
RAW = st.text(max_size=200)  # not even YAML, sometimes


def _text(tree: Any) -> str:
    return yaml.safe_dump(tree, sort_keys=False)


def _check(loader: Any, text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input.yaml"
        path.write_text(text)
        try:
            loader(path)
        except DotboxError as exc:
            assert re.search(rf"{re.escape(str(path))}(:\d+)?:", str(exc)), str(exc)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(TREES.map(_text), RAW))
def test_generated_vocabulary_files(text: str) -> None:
    _check(vocab.load, text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(TREES.map(_text), RAW))
def test_generated_case_files(text: str) -> None:
    _check(harness.load_cases, text)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from(["FILM", "UNCL", "X", "FILM"]), min_size=1, max_size=4),
    st.sampled_from(["UNCL", "NONE"]),
    st.lists(st.sampled_from(["FILM", "UNCL", "GONE"]), max_size=3),
)
def test_generated_well_formed_vocabularies(codes: list[str], uncl: str, rules: list[str]) -> None:
    tree = {"vocabularies": [{
        "name": "C1", "unclassified": uncl,
        "codes": [{"code": c} for c in codes],
        "rules": [{"kind": "table", "name": "*", "code": r} for r in rules],
    }]}  # fmt: skip
    _check(vocab.load, _text(tree))
