"""Vocabulary files: accepted, or refused with the file's line; classification rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from dotbox.core.errors import InvalidInput
from dotbox.demo import bundled
from dotbox.primitives import vocab

GOOD = """\
vocabularies:
  - name: C1
    unclassified: UNCL
    codes:
      - {code: FILM}
      - {code: UNCL, description: not classified yet}
    rules:
      - {kind: table, name: "film*", code: FILM}
      - {kind: [view, function], schema: public, name: "*film*", code: FILM}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "vocab.yaml"
    path.write_text(text)
    return path


def test_the_bundled_vocabulary_loads() -> None:
    spec = vocab.load(bundled("default-vocab.yaml"))
    assert spec.vocabularies[0].name == "C1"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (GOOD.replace("    rules:", "    colour: red\n    rules:"), 7, "unknown key 'colour'"),
        (GOOD.replace("{code: FILM}", "{code: FILM}\n      - {code: FILM}"), 6, "duplicate code"),
        (
            GOOD.replace('name: "film*", code: FILM', 'name: "film*", code: FLIM'),
            8,
            "points to no code: 'FLIM'",
        ),
        (GOOD.replace("unclassified: UNCL", "unclassified: NONE"), 3, "no unclassified code"),
        (GOOD.replace("    unclassified: UNCL\n", ""), 2, "unclassified is missing"),
        (GOOD.replace("kind: table", "kind: tabel"), 8, "rules.0.kind"),
        (GOOD + "vocabularies: []\n", 10, "duplicate key 'vocabularies'"),
        ("vocabularies: [\n", 1, "not valid YAML"),  # its last line: the file has no line 2
    ],
)
def test_bad_files_are_refused_with_their_line(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InvalidInput) as err:
        vocab.load(path)
    assert f"{path}:{line}:" in str(err.value)
    assert words in str(err.value)


def obj(kind: str, name: str, schema: str = "public") -> vocab.CatalogObject:
    return vocab.CatalogObject.model_validate(
        {"kind": kind, "schema": schema, "name": name, "identity": f"{schema}.{name}"}
    )


def test_first_matching_rule_wins_and_the_rest_is_unclassified(tmp_path: Path) -> None:
    spec = vocab.load(write(tmp_path, GOOD))
    labels = vocab.classify(
        spec,
        [
            obj("table", "film"),
            obj("view", "nice_film_list"),
            obj("table", "actor"),
            obj("function", "film_in_stock", schema="other"),
        ],
    )
    by = {lb.identity: (lb.code, lb.rule) for lb in labels}
    assert by == {
        "public.film": ("FILM", 1),
        "public.nice_film_list": ("FILM", 2),
        "public.actor": ("UNCL", None),
        "other.film_in_stock": ("UNCL", None),
    }
    assert vocab.labels_digest(labels) == vocab.labels_digest(list(reversed(labels)))
