"""Fingerprint definitions and drift in plain words, for people: catalog codes (``identity d``,
``f … a a s``, a sequence's seven numbers) become what they mean. The machine form stays in
``fingerprint.Change.describe`` and in --json."""

from __future__ import annotations

import re

from dotbox.pg.fingerprint import Change

_COLUMN = re.compile(
    r"^(?P<type>.+?)(?P<notnull> not null)?(?: identity (?P<identity>[ad]))?"
    r"(?P<generated> generated)?(?: collate (?P<collate>\S+))?(?: default (?P<default>.*))?$",
    re.DOTALL,
)
_SEQUENCE = re.compile(
    r"^(?:(?P<persistence>unlogged|temporary) )?(?P<type>smallint|integer|bigint)"
    r" (?P<start>-?\d+) (?P<increment>-?\d+) (?P<min>-?\d+) (?P<max>-?\d+) (?P<cache>\d+)"
    r" (?P<cycle>[tf])$"
)
_CONSTRAINT = re.compile(
    r"^(?P<type>[pufcxtn])(?: columns (?P<columns>\{[^}]*\}))?"
    r"(?: references (?P<ref>.+?) columns (?P<refcols>\{[^}]*\})"
    r" (?P<upd>\w) (?P<del>\w) (?P<match>\w))?"
    r"(?P<rest>(?: expr \w+)?(?: deferrable)?(?: deferred)?(?: not valid)?(?: index .+)?)$",
    re.DOTALL,
)
_CONSTRAINT_REST = re.compile(r" (expr \w+|deferrable|deferred|not valid|index .+)")
_IDENTITY = {"a": "identity column (always)", "d": "identity column (by default)"}
_CONSTRAINT_TYPE = {
    "p": "primary key",
    "u": "unique",
    "f": "foreign key",
    "c": "check",
    "x": "exclusion",
    "t": "constraint trigger",
    "n": "not null",
}
_FK_ACTION = {
    "a": "no action",
    "r": "restrict",
    "c": "cascade",
    "n": "set null",
    "d": "set default",
}
_FK_MATCH = {"s": "simple", "f": "full", "p": "partial"}
_TYPE_RANGE = {
    "smallint": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}


def column(definition: str) -> str:
    m = _COLUMN.match(definition)
    if m is None:
        return definition
    parts = [m["type"]]
    parts += ["not null"] if m["notnull"] else []
    parts += [_IDENTITY[m["identity"]]] if m["identity"] else []
    parts += ["generated"] if m["generated"] else []
    parts += [f"collation {m['collate']}"] if m["collate"] else []
    parts += [f"default {m['default']}"] if m["default"] else []
    return ", ".join(parts)


def sequence(definition: str) -> str:
    m = _SEQUENCE.match(definition)
    if m is None:
        return definition
    low, high = _TYPE_RANGE[m["type"]]
    ascending = int(m["increment"]) > 0
    parts = [m["persistence"]] if m["persistence"] else []
    parts += [m["type"], f"start {m['start']}", f"increment {m['increment']}"]
    if int(m["min"]) != (1 if ascending else low):
        parts.append(f"min {m['min']}")
    if int(m["max"]) != (high if ascending else -1):
        parts.append(f"max {m['max']}")
    parts += [f"cache {m['cache']}"] if m["cache"] != "1" else []
    parts += ["cycles"] if m["cycle"] == "t" else []
    return "sequence: " + ", ".join(parts)


def constraint(definition: str) -> str:
    m = _CONSTRAINT.match(definition)
    if m is None:
        return definition  # already deparsed (verify reads constraints that exist back)
    parts = [_CONSTRAINT_TYPE[m["type"]]]
    parts += [f"on column numbers {_numbers(m['columns'])}"] if m["columns"] else []
    if m["ref"]:
        parts.append(f"references {m['ref']} (column numbers {_numbers(m['refcols'])})")
        parts.append(f"on update {_FK_ACTION.get(m['upd'], m['upd'])}")
        parts.append(f"on delete {_FK_ACTION.get(m['del'], m['del'])}")
        parts.append(f"match {_FK_MATCH.get(m['match'], m['match'])}")
    for found in _CONSTRAINT_REST.finditer(m["rest"]):
        what = found[0].strip()
        parts.append(f"expression digest {what[5:17]}" if what.startswith("expr ") else what)
    return ", ".join(parts)


def _numbers(array: str) -> str:
    return array.strip("{}").replace(",", ", ")


_BY_KIND = {"column": column, "sequence": sequence, "constraint": constraint}


def definition(kind: str, text: str | None) -> str:
    """``text``, a fingerprint definition of an object of ``kind``, in words."""
    return _BY_KIND.get(kind, lambda t: t)(text or "")


def change(c: Change) -> str:
    """One drift line in words."""
    if c.change == "added":
        words = definition(c.kind, c.after)
        return f"{c.kind} {c.identity} added" + (f": {words}" if words else "")
    if c.change == "removed":
        return f"{c.kind} {c.identity} removed"
    before, after = definition(c.kind, c.before), definition(c.kind, c.after)
    return f"{c.kind} {c.identity} changed: was {before or 'nothing'}; now {after or 'nothing'}"
