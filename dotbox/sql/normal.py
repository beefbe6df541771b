"""A snapshot's normal form: the text its digest is taken over. Apart from ``dotbox.sql.ddl`` so
that finding a stored snapshot (the bundled default's digest, on every create) costs no parser."""

from __future__ import annotations

import re

_STRIPPED_META = re.compile(r"\\(restrict|unrestrict)\b")


def normalise(text: str) -> str:
    """The text a snapshot's digest is taken over: LF line ends, no trailing blanks per line,
    psql's ``\\restrict``/``\\unrestrict`` lines blanked (line numbers are kept)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out = ["" if _STRIPPED_META.match(line) else line.rstrip() for line in lines]
    return "\n".join(out).rstrip("\n") + "\n"
