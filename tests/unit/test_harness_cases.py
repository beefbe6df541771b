from __future__ import annotations

from pathlib import Path

import pytest

from dotbox.core.errors import InvalidInput
from dotbox.primitives import harness

GOOD = """\
cases:
  - name: no title
    sql: INSERT INTO runtime.block (code) VALUES ('X1')
    sqlstate: "23502"
  - name: bad code
    sql: INSERT INTO runtime.block (code, title) VALUES ('lower', 't')
    sqlstate: "23514"
"""


def test_cases_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text(GOOD)
    assert [c.sqlstate for c in harness.load_cases(path)] == ["23502", "23514"]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (GOOD.replace('"23514"', '"2351"'), 7, "sqlstate"),
        (GOOD.replace("name: bad code", "name: no title"), 5, "duplicate case name"),
        (
            GOOD.replace('    sqlstate: "23502"', '    sqlstate: "23502"\n    expect: 1'),
            5,
            "unknown key 'expect'",
        ),
        (GOOD.replace('    sqlstate: "23502"\n', ""), 2, "sqlstate is missing"),
        ("cases: []\n", 1, "cases"),
        (
            GOOD.replace('    sqlstate: "23502"', '    sqlstate: "23502"\n    kind: check'),
            5,
            "unknown key 'kind'",
        ),
        (
            GOOD.replace('    sqlstate: "23502"', '    sqlstate: "23502"\n    control: SELECT 1'),
            5,
            "unknown key 'control'",
        ),
    ],
)
def test_bad_cases_files_are_refused_with_their_line(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text(text)
    with pytest.raises(InvalidInput) as err:
        harness.load_cases(path)
    assert f"{path}:{line}:" in str(err.value) and words in str(err.value)
