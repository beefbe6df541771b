"""vocab-build: closed vocabularies and the labels of every catalog object, built into a sandbox.

A vocabulary file declares vocabularies (the first is C1, the block an object belongs to), each
with its codes (one of them the explicit "unclassified" code) and rules that assign a code by
object kind and name pattern (first match wins). Building writes, in the ``dotbox_vocab``
schema, the dictionary and one label row per (object, vocabulary); composite foreign keys make
the database itself reject an unknown code. Building is a diff: a second build changes nothing.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from dotbox.core import yamlfile
from dotbox.core.models import Frozen
from dotbox.pg.fingerprint import OWN_SCHEMA, USER_NS, not_extension

Kind = Literal["table", "view", "function", "trigger", "sequence"]
KINDS: tuple[Kind, ...] = ("table", "view", "function", "trigger", "sequence")


class Code(Frozen):
    code: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]{0,62}$")
    description: str = ""


class Rule(Frozen):
    code: str
    kind: Kind | Literal["any"] | list[Kind] = "any"
    schema_: str = Field("*", alias="schema")  # a glob
    name: str = "*"  # a glob on the object's name (a trigger's or function's own name)

    def kinds(self) -> tuple[Kind, ...]:
        if isinstance(self.kind, list):
            return tuple(self.kind)
        return KINDS if self.kind == "any" else (self.kind,)

    def matches(self, obj: CatalogObject) -> bool:
        return (
            obj.kind in self.kinds()
            and fnmatch.fnmatchcase(obj.schema_, self.schema_)
            and fnmatch.fnmatchcase(obj.name, self.name)
        )


class Vocabulary(Frozen):
    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
    description: str = ""
    unclassified: str
    codes: list[Code] = Field(min_length=1)
    rules: list[Rule] = []


class VocabFile(Frozen):
    vocabularies: list[Vocabulary] = Field(min_length=1)


class CatalogObject(Frozen):
    kind: Kind
    schema_: str = Field(alias="schema")
    name: str
    identity: str


class Label(Frozen):
    kind: Kind
    identity: str
    vocab: str
    code: str
    rule: int | None  # 1-based rule that matched; None: the unclassified code


def load(path: Path) -> VocabFile:
    """Read and check a vocabulary file; every refusal names the file's line."""
    doc = yamlfile.load(path)
    spec = yamlfile.parse(doc, VocabFile)
    names: dict[str, int] = {}
    for v, vocab in enumerate(spec.vocabularies):
        where: yamlfile.Loc = ("vocabularies", v)
        if vocab.name in names:
            raise doc.error((*where, "name"), f"duplicate vocabulary {vocab.name!r}")
        names[vocab.name] = v
        codes: dict[str, int] = {}
        for c, code in enumerate(vocab.codes):
            if code.code in codes:
                raise doc.error(
                    (*where, "codes", c), f"duplicate code {code.code!r} in {vocab.name}"
                )
            codes[code.code] = c
        if vocab.unclassified not in codes:
            raise doc.error(
                (*where, "unclassified"),
                f"vocabulary {vocab.name} has no unclassified code: {vocab.unclassified!r}"
                f" is not one of its codes ({', '.join(codes)})",
            )
        for r, rule in enumerate(vocab.rules):
            if rule.code not in codes:
                raise doc.error(
                    (*where, "rules", r, "code"),
                    f"rule {r + 1} of {vocab.name} points to no code: {rule.code!r}",
                )
    return spec


def classify(spec: VocabFile, objects: list[CatalogObject]) -> list[Label]:
    """One label per object and vocabulary: the first rule that matches, else unclassified."""
    labels = []
    for vocab in spec.vocabularies:
        for obj in objects:
            rule = next((i for i, r in enumerate(vocab.rules, 1) if r.matches(obj)), None)
            code = vocab.rules[rule - 1].code if rule else vocab.unclassified
            labels.append(
                Label(kind=obj.kind, identity=obj.identity, vocab=vocab.name, code=code, rule=rule)
            )
    return sorted(labels, key=lambda lb: (lb.vocab, lb.kind, lb.identity))


def labels_digest(rows: list[Label]) -> str:
    h = hashlib.sha256()
    for lb in sorted(rows, key=lambda lb: (lb.vocab, lb.kind, lb.identity)):
        h.update(f"{lb.vocab}\t{lb.kind}\t{lb.identity}\t{lb.code}\n".encode())
    return h.hexdigest()


def dictionary(spec: VocabFile) -> dict[str, Any]:
    """The dictionary as plain data (what the vocabulary and code tables hold)."""
    return {
        "vocabularies": [
            [v.name, i, v.description, v.unclassified] for i, v in enumerate(spec.vocabularies, 1)
        ],
        "codes": sorted(
            [v.name, c.code, c.description] for v in spec.vocabularies for c in v.codes
        ),
    }


def dictionary_digest(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


S = OWN_SCHEMA
SCHEMA_DDL = [
    f"CREATE SCHEMA IF NOT EXISTS {S}",
    f"""CREATE TABLE IF NOT EXISTS {S}.vocabulary (
  vocab text PRIMARY KEY,
  position integer NOT NULL UNIQUE CHECK (position > 0),
  description text NOT NULL DEFAULT '',
  unclassified text NOT NULL)""",
    f"""CREATE TABLE IF NOT EXISTS {S}.code (
  vocab text NOT NULL REFERENCES {S}.vocabulary (vocab) ON DELETE CASCADE,
  code text NOT NULL CHECK (code ~ '^[A-Za-z][A-Za-z0-9_.-]*$'),
  description text NOT NULL DEFAULT '',
  PRIMARY KEY (vocab, code))""",
    f"""DO $$ BEGIN
  ALTER TABLE {S}.vocabulary ADD CONSTRAINT vocabulary_unclassified_fkey
    FOREIGN KEY (vocab, unclassified) REFERENCES {S}.code (vocab, code)
    DEFERRABLE INITIALLY DEFERRED;
EXCEPTION WHEN duplicate_object THEN NULL; END $$""",
    f"""CREATE TABLE IF NOT EXISTS {S}.label (
  object_kind text NOT NULL CHECK (object_kind IN ({", ".join(repr(k) for k in KINDS)})),
  object_identity text NOT NULL,
  vocab text NOT NULL,
  code text NOT NULL,
  rule integer CHECK (rule > 0),
  PRIMARY KEY (object_kind, object_identity, vocab),
  FOREIGN KEY (vocab, code) REFERENCES {S}.code (vocab, code))""",
]

CATALOG_SQL = f"""
SELECT CASE WHEN c.relkind IN ('r', 'p') THEN 'table' WHEN c.relkind = 'S' THEN 'sequence'
            ELSE 'view' END, n.nspname, c.relname, format('%I.%I', n.nspname, c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND {USER_NS}
    AND {not_extension("pg_class", "c.oid")}
UNION ALL
SELECT 'function', n.nspname, p.proname,
       format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid))
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE p.prokind IN ('f', 'p') AND {USER_NS} AND {not_extension("pg_proc", "p.oid")}
UNION ALL
SELECT 'trigger', n.nspname, g.tgname, format('%I.%I.%I', n.nspname, c.relname, g.tgname)
  FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE NOT g.tgisinternal AND {USER_NS} AND {not_extension("pg_class", "c.oid")}
"""

EXISTS_SQL = f"SELECT to_regclass('{S}.label') IS NOT NULL"
LABELS_SQL = (
    f"SELECT object_kind, object_identity, vocab, code, rule FROM {S}.label"
    " ORDER BY vocab, object_kind, object_identity"
)
VOCABULARIES_SQL = (
    f"SELECT vocab, position, description, unclassified FROM {S}.vocabulary ORDER BY position"
)
CODES_SQL = f"SELECT vocab, code, description FROM {S}.code ORDER BY vocab, code"
COVERAGE_SQL = f"""
SELECT c.vocab, c.code, count(l.object_identity)
  FROM {S}.code c LEFT JOIN {S}.label l ON l.vocab = c.vocab AND l.code = c.code
  GROUP BY c.vocab, c.code ORDER BY c.vocab, c.code"""


def catalog_objects(raw: list[tuple[str, str, str, str]]) -> list[CatalogObject]:
    return [
        CatalogObject.model_validate({"kind": k, "schema": s, "name": n, "identity": i})
        for k, s, n, i in raw
    ]


def labels_from_rows(raw: list[tuple[Any, ...]]) -> list[Label]:
    return [Label(kind=k, identity=i, vocab=v, code=c, rule=r) for k, i, v, c, r in raw]
