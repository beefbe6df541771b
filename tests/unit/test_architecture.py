"""The package's shape: no import cycles, counting imports made inside functions. (The layers
themselves are import-linter's contracts in pyproject.toml, checked by ``make lint``.)"""

from __future__ import annotations

from pathlib import Path

import grimp


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while (w := stack.pop()) != v:
                component.append(w)
            if component:
                found.append(sorted([v, *component]))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_of_dotbox_is_in_an_import_cycle() -> None:
    graph = grimp.build_graph("dotbox")
    edges = {
        m: {i for i in graph.find_modules_directly_imported_by(m) if i.startswith("dotbox.")}
        for m in graph.modules
    }
    assert _cycles(edges) == []


def test_no_two_test_files_share_a_name() -> None:
    """Test modules are imported by basename (rootdir-relative, no packages): two of one name
    stop the whole run at collection."""
    tests = Path(__file__).resolve().parent.parent
    names = [p.name for p in tests.rglob("test_*.py")]
    assert sorted({n for n in names if names.count(n) > 1}) == []
