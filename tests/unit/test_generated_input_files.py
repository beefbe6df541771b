"""Generated vocabulary and harness case files: each is accepted, or refused with a DotboxError
naming the file and a line — never a traceback. What is accepted keeps the file's promises, and a
well-formed file is accepted as written, or refused on the line of its first problem."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
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


def _check(loader: Any, text: str) -> tuple[Any, int, str]:
    """(what ``loader`` returned, 0, ""), or (None, line, message) for a refusal: a
    DotboxError naming the file and one of its lines."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input.yaml"
        path.write_text(text)
        try:
            return loader(path), 0, ""
        except DotboxError as exc:
            found = re.search(rf"{re.escape(str(path))}:(\d+): ", str(exc))
            assert found, str(exc)
            line = int(found.group(1))
            assert 1 <= line <= max(1, len(text.splitlines())), (line, text)
            return None, line, str(exc)[found.end() :]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(TREES.map(_text), RAW))
def test_generated_vocabulary_files(text: str) -> None:
    spec, _, _ = _check(vocab.load, text)
    if spec is not None:  # what is accepted keeps every promise of a vocabulary file
        assert isinstance(spec, vocab.VocabFile) and spec.vocabularies
        names = [v.name for v in spec.vocabularies]
        assert len(set(names)) == len(names)
        for v in spec.vocabularies:
            codes = [c.code for c in v.codes]
            assert len(set(codes)) == len(codes) and v.unclassified in codes
            assert all(r.code in codes for r in v.rules)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(TREES.map(_text), RAW))
@example("'\n")  # an unclosed quote: PyYAML reports the line after the last newline
def test_generated_case_files(text: str) -> None:
    cases, _, _ = _check(harness.load_cases, text)
    if cases is not None:  # what is accepted keeps every promise of a case file
        assert cases and all(isinstance(c, harness.Case) for c in cases)
        assert len({c.name for c in cases}) == len(cases)
        assert all(re.fullmatch(r"[0-9A-Z]{5}", c.sqlstate) and c.kind == "file" for c in cases)


def _lines(text: str, prefix: str) -> list[int]:
    """The (1-based) numbers of the lines of ``text`` that start with ``prefix``."""
    return [n for n, line in enumerate(text.splitlines(), 1) if line.startswith(prefix)]


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
    text = _text(tree)
    spec, line, message = _check(vocab.load, text)
    # the first problem, in the order the file is checked: a duplicate code, then the
    # unclassified code, then a rule's code; none: the file is accepted as written
    dup = next((i for i, c in enumerate(codes) if c in codes[:i]), None)
    if dup is not None:
        assert spec is None and line == _lines(text, "  - code: ")[dup], (text, message)
        assert message == f"duplicate code {codes[dup]!r} in C1"
    elif uncl not in codes:
        assert spec is None and line == _lines(text, "  unclassified: ")[0], (text, message)
        assert message.startswith(f"vocabulary C1 has no unclassified code: {uncl!r}")
    elif (bad := next((i for i, r in enumerate(rules) if r not in codes), None)) is not None:
        assert spec is None and line == _lines(text, "    code: ")[bad], (text, message)
        assert message == f"rule {bad + 1} of C1 points to no code: {rules[bad]!r}"
    else:
        assert spec is not None, message
        (v,) = spec.vocabularies
        assert (v.name, v.unclassified) == ("C1", uncl)
        assert [c.code for c in v.codes] == codes
        assert [(r.kinds(), r.name, r.code) for r in v.rules] == [
            (("table",), "*", r) for r in rules
        ]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["null name", "dup key", "null name"]),
            st.sampled_from(["23502", "23505", "P0001", "2350", "23502x", "2350a"]),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_generated_well_formed_case_files(cases: list[tuple[str, str]]) -> None:
    tree = {"cases": [{"name": n, "sql": "INSERT INTO t VALUES (NULL)", "sqlstate": s}
                      for n, s in cases]}  # fmt: skip
    text = _text(tree)
    loaded, line, message = _check(harness.load_cases, text)
    # a malformed SQLSTATE is refused first (the file's shape), then a repeated name
    bad = next((i for i, (_, s) in enumerate(cases) if not re.fullmatch(r"[0-9A-Z]{5}", s)), None)
    names = [n for n, _ in cases]
    dup = next((i for i, n in enumerate(names) if n in names[:i]), None)
    if bad is not None:
        assert loaded is None and line == _lines(text, "  sqlstate: ")[bad], (text, message)
        assert message.startswith(f"cases.{bad}.sqlstate: ")
    elif dup is not None:
        assert loaded is None and line == _lines(text, "- name: ")[dup], (text, message)
        assert message == f"duplicate case name {names[dup]!r}"
    else:
        assert loaded is not None, message
        assert [(c.name, c.sqlstate, c.kind) for c in loaded] == [(n, s, "file") for n, s in cases]
