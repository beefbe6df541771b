"""Candidate values for the harness's rows, as text: fillers, values to try against a CHECK,
orphan keys, and the order in which combinations of them are tried. No I/O."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from re import _parser as regex_parser  # type: ignore[attr-defined]
from typing import Any

FILLER = {
    "N": "1",
    "S": "x",
    "B": "true",
    "D": "2000-01-01",
    "T": "1 day",
    "A": "{}",
    "I": "127.0.0.1",
}
FILLER_BY_TYPE = {
    "uuid": "00000000-0000-0000-0000-000000000001",
    "json": "{}",
    "jsonb": "{}",
    "bytea": "\\x00",
    "macaddr": "00:00:00:00:00:01",
    "macaddr8": "00:00:00:00:00:00:00:01",
    "time": "00:00",
    "timetz": "00:00",
    "tsvector": "x",
    "tsquery": "x",
    "int4range": "[1,2)",
    "int8range": "[1,2)",
    "numrange": "[1,2)",
    "daterange": "[2000-01-01,2000-01-02)",
    "tsrange": "[2000-01-01,2000-01-02)",
    "tstzrange": "[2000-01-01,2000-01-02)",
}
# A value that is not of the type, and the SQLSTATE its input function raises.
WRONG_TYPE = {
    "N": "22P02",
    "B": "22P02",
    "D": "22007",
    "T": "22007",
    "A": "22P02",
    "I": "22P02",
    "E": "22P02",
}
WRONG_TYPE_BY_TYPE = {
    "uuid": "22P02",
    "macaddr": "22P02",
    "macaddr8": "22P02",
    "json": "22P02",
    "jsonb": "22P02",
    "time": "22007",
    "timetz": "22007",
}
CANDIDATES = {
    "N": ["-1", "0", "1", "2", "100", "-32768", "32767"],
    "S": ["", " ", "x", "X", "0", "1", "INVALID VALUE", "x" * 300],
    "B": ["true", "false"],
    "D": ["1900-01-01", "2000-01-01", "2999-12-31"],
    "T": ["1 day", "0", "-1 day"],
    "A": ["{}", "{1}", "{x}"],
}
CANDIDATES_BY_TYPE = {
    "json": ["{}", "[]", "1", '"x"', "null", "true"],
    "jsonb": ["{}", "[]", "1", '"x"', "null", "true"],
}
LONGEST = 65536  # longest value tried against a length limit
# Keys that no test row uses as a parent: tried in order until one is free.
ORPHANS = {
    "N": ["2", "3", "7", "1000003", "-7"],
    "S": ["dotbox-orphan-1", "dotbox-orphan-2", "2", "y"],
    "D": ["1999-12-31", "2001-02-03"],
    "I": ["127.0.0.2", "127.0.0.3"],
}
ORPHANS_BY_TYPE = {
    "uuid": ["00000000-0000-0000-0000-000000000002", "00000000-0000-0000-0000-000000000003"],
    "bytea": ["\\x02", "\\x03"],
    "macaddr": ["00:00:00:00:00:02", "00:00:00:00:00:03"],
    "macaddr8": ["00:00:00:00:00:00:00:02", "00:00:00:00:00:00:00:03"],
    "time": ["00:02", "00:03"],
    "timetz": ["00:02", "00:03"],
}


@dataclass
class Column:
    name: str
    type: str
    category: str
    typname: str
    typtype: str
    notnull: bool
    has_default: bool
    identity: str
    generated: str
    maxlen: int | None
    enums: list[str]
    hints: list[str] = field(default_factory=list)  # from its CHECKs and its default
    default: str | None = None  # its default when that is a constant

    def filler(self) -> str | None:
        if self.enums:
            return self.enums[0]
        return FILLER_BY_TYPE.get(self.typname) or FILLER.get(self.category)

    def wrong_type(self) -> str | None:
        if self.enums:
            return WRONG_TYPE["E"]
        return WRONG_TYPE_BY_TYPE.get(self.typname) or WRONG_TYPE.get(self.category)

    def candidates(self) -> list[str]:
        """Values of the column's type to try against a CHECK, the filler first."""
        found = list(self.enums) or self.hints + (
            CANDIDATES_BY_TYPE.get(self.typname) or CANDIDATES.get(self.category, [])
        )
        if (filler := self.filler()) is not None:
            found.insert(0, filler)
        if self.maxlen is not None:
            found = [c for c in found if len(c) <= self.maxlen] + ["x" * self.maxlen]
        return list(dict.fromkeys(found))

    def orphans(self, avoid: set[str | None]) -> list[str]:
        """Key values no row in ``avoid`` has: the other end of an orphan foreign key."""
        found = self.enums[1:] or ORPHANS_BY_TYPE.get(self.typname) or ORPHANS.get(self.category)
        found = [v for v in found or [] if v not in avoid]
        if self.maxlen is not None:
            found = [v for v in found if len(v) <= self.maxlen]
        return found


Row = dict[str, str | None]


def choices(current: str | None, col: Column, *, keep_current: bool) -> list[str | None]:
    """What a free column of a CHECK may take: what it has, then NULL if it may be NULL (the
    default left out), then candidates of its type."""
    found: list[str | None] = [current] if keep_current else []
    if not col.notnull:
        found.append(None)
    found += col.candidates()
    return list(dict.fromkeys(found))


def combinations(
    options: Sequence[list[str | None]], limit: int
) -> Iterator[tuple[str | None, ...]]:
    """Combinations of one value per column, fewest columns moved from their first value first,
    at most ``limit`` of them: a search that tries the nearest rows before the farthest."""
    if not options or any(not o for o in options):
        return
    yielded = 0
    first = tuple(o[0] for o in options)
    for moved in range(len(options) + 1):
        for which in itertools.combinations(range(len(options)), moved):
            pools = [options[i][1:] if i in which else [first[i]] for i in range(len(options))]
            for combo in itertools.product(*pools):
                yield combo
                yielded += 1
                if yielded >= limit:
                    return


# ---- hints: values an expression suggests ------------------------------------------------

STRING = re.compile(r"'((?:[^']|'')*)'")
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")
DEFAULT = re.compile(
    r"^'((?:[^']|'')*)'::[\w .\"()\[\],]+$|^\(?(-?\d+(?:\.\d+)?|true|false)\)?(?:::\w+)?$"
)


def hints(expr: str, category: str, typname: str = "") -> list[str]:
    """Values worth trying against a CHECK: its string literals (as they are, inside other
    text, and a string matching each that reads as a pattern), its numbers with their
    neighbours, and for strings, JSON and bytes a value one longer than each number (a
    length limit)."""
    found: list[str] = []
    numbers = NUMBER.findall(expr)
    lengths = [int(n) for n in numbers if n.isdigit() and 0 < int(n) < LONGEST]
    if category == "N":
        for num in numbers:
            n = float(num)
            found += [num] + ([str(int(n) + 1), str(int(n) - 1)] if n.is_integer() else [])
    elif typname in ("json", "jsonb"):
        found += [f'"{"x" * n}"' for n in lengths]
    elif typname == "bytea":
        found += ["\\x" + "00" * (n + 1) for n in lengths]
    elif category == "D":
        found += [m.replace("''", "'") for m in STRING.findall(expr)]
    elif category in ("S", "E", "U"):
        for lit in (m.replace("''", "'") for m in STRING.findall(expr)):
            sample = regex_sample(lit)
            found += [lit, f"x{lit}x", *([sample] if sample is not None else [])]
        found += ["x" * (n + 1) for n in lengths] if category == "S" else []
    return list(dict.fromkeys(found))


def default_value(expr: str | None) -> str | None:
    """A default that is a constant, as text (``'legacy'::text`` is ``legacy``)."""
    m = DEFAULT.match(expr or "")
    if m is None:
        return None
    return m.group(1).replace("''", "'") if m.group(1) is not None else m.group(2)


def regex_sample(pattern: str) -> str | None:
    """The shortest string a simple regular expression matches, or None."""
    try:
        return _sample(regex_parser.parse(pattern))
    except Exception:  # not a pattern, or one this does not follow
        return None


def _sample(items: Any) -> str:
    return "".join(_sample_one(op, arg) for op, arg in items)


def _sample_one(op: Any, arg: Any) -> str:
    name = str(op)
    if name == "LITERAL":
        return chr(arg)
    if name == "ANY":
        return "x"
    if name == "IN":
        return _sample_set(arg)
    if name in ("MAX_REPEAT", "MIN_REPEAT"):
        low, _high, sub = arg
        return str(_sample(sub) * low)
    if name == "SUBPATTERN":
        return _sample(arg[-1])
    if name == "BRANCH":
        return _sample(arg[1][0])
    if name == "AT":
        return ""
    raise ValueError(name)


def _sample_set(members: Any) -> str:
    for op, arg in members:
        name = str(op)
        if name == "NEGATE":
            raise ValueError(name)
        if name == "LITERAL":
            return chr(arg)
        if name == "RANGE":
            return chr(arg[0])
        if name == "CATEGORY":
            return {"CATEGORY_DIGIT": "0", "CATEGORY_SPACE": " "}.get(str(arg), "x")
    raise ValueError("empty set")
