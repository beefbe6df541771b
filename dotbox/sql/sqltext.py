"""Split a psql script into statements, meta-commands and COPY data, with line numbers.

Pure text work, aware of what psql is aware of: quotes, E'' escapes, quoted identifiers,
dollar quoting, nested block comments, line comments, backslash meta-commands at the start of
a line, and ``COPY … FROM stdin`` data blocks ending with ``\\.``.

``split(script, psql=True)`` also refuses text that psql would read differently from this
scanner: a backslash outside quotes and comments within SQL (psql runs it as a meta-command),
and a string literal whose end moves when ``standard_conforming_strings`` is off (psql follows
the server's setting, which a script can change while it runs).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Kind = Literal["sql", "meta", "copy-data"]

# Everything that can change the scanner's state; all else is skipped in bulk.
_SPECIAL = re.compile(r"""[;'"$\n\\]|--|/\*""")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_\x80-\uffff][A-Za-z_0-9\x80-\uffff]*)?\$")
_COPY_FROM_STDIN = re.compile(r"^\s*COPY\b.*\bFROM\s+stdin\b", re.IGNORECASE | re.DOTALL)
_IDENT_CHAR = re.compile(r"[A-Za-z_0-9$\x80-\uffff]")


@dataclass(frozen=True)
class Statement:
    kind: Kind
    text: str
    start_line: int  # 1-based, first line of the statement's own text
    end_line: int  # 1-based, line of its terminator (or last line)


class ScanError(ValueError):
    """Text that cannot be split safely; ``line`` is where it starts."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


class UnterminatedText(ScanError):
    """A quote, comment or dollar quote that never closes."""

    def __init__(self, what: str, line: int) -> None:
        super().__init__(f"unterminated {what} starting at line {line}", line)
        self.what = what


class PsqlMisreads(ScanError):
    """Text psql would read differently from this scanner (``split(…, psql=True)`` only)."""


def split(script: str, *, psql: bool = False) -> list[Statement]:
    out: list[Statement] = []
    pos, line = 0, 1
    while True:
        pos, line = _skip_blanks_and_comments(script, pos, line)
        if pos >= len(script):
            return out
        if script[pos] == "\\":
            pos = _read_meta_command(script, pos, line, out)
            continue
        start, start_line = pos, line
        pos, line, terminated = _scan_sql(script, pos, line, psql)
        text = script[start:pos].rstrip()
        out.append(Statement("sql", text, start_line, line))
        if not terminated:
            return out
        if _COPY_FROM_STDIN.match(text):
            if psql:
                _refuse_same_line_after_copy(script, pos, line)
            pos, line = _read_copy_data(script, pos, line, out)


def _refuse_same_line_after_copy(s: str, p: int, ln: int) -> None:
    """psql runs what follows ``COPY … FROM stdin;`` on its line, while the rows start on the
    next line: refuse such text rather than guess which reading is right."""
    e = s.find("\n", p)
    rest = s[p : len(s) if e < 0 else e].strip()
    if rest and not rest.startswith("--"):
        raise PsqlMisreads("text after COPY … FROM stdin on the same line", ln)


def _skip_blanks_and_comments(s: str, p: int, ln: int) -> tuple[int, int]:
    """Move past whitespace and comments between statements; return (position, line)."""
    n = len(s)
    while p < n:
        ch = s[p]
        if ch == "\n":
            ln += 1
            p += 1
        elif ch in " \t\r\f\v":
            p += 1
        elif s.startswith("--", p):
            e = s.find("\n", p)
            p = n if e < 0 else e
        elif s.startswith("/*", p):
            p, ln = _skip_block_comment(s, p, ln)
        else:
            break
    return p, ln


def _read_meta_command(s: str, p: int, ln: int, out: list[Statement]) -> int:
    """Append the meta-command line starting at ``p``; return the position of its line end."""
    e = s.find("\n", p)
    e = len(s) if e < 0 else e
    out.append(Statement("meta", s[p:e].rstrip("\r"), ln, ln))
    return e


def _read_copy_data(s: str, p: int, ln: int, out: list[Statement]) -> tuple[int, int]:
    """Append the data block of the ``COPY … FROM stdin`` that ends at ``p``: the lines after
    it up to a ``\\.`` line (or to the end). Return (position, line) after the block."""
    n = len(s)
    data_start = s.find("\n", p)
    if data_start < 0:
        return n, ln  # no line follows: no data, and nothing more to read
    data_start += 1
    data_line = ln + 1
    end = data_start
    ln = data_line
    while end < n:
        e = s.find("\n", end)
        e = n if e < 0 else e
        if s[end:e].rstrip("\r") == "\\.":
            out.append(Statement("copy-data", s[data_start:end], data_line, ln))
            return e, ln
        end = e + 1
        ln += 1
    out.append(Statement("copy-data", s[data_start:end], data_line, ln))
    return end, ln


def _skip_block_comment(s: str, p: int, ln: int) -> tuple[int, int]:
    depth, start_line = 0, ln
    n = len(s)
    while p < n:
        if s.startswith("/*", p):
            depth += 1
            p += 2
        elif s.startswith("*/", p):
            depth -= 1
            p += 2
            if depth == 0:
                return p, ln
        else:
            if s[p] == "\n":
                ln += 1
            p += 1
    raise UnterminatedText("block comment", start_line)


def _scan_sql(s: str, p: int, ln: int, psql: bool) -> tuple[int, int, bool]:
    """Scan one SQL statement from p; return (position after ';', line, terminated)."""
    n = len(s)
    while True:
        m = _SPECIAL.search(s, p)
        if m is None:
            return n, ln + s.count("\n", p, n), False
        tok = m.group()
        p = m.start()
        if tok == ";":
            return p + 1, ln, True
        if tok == "\n":  # the commonest token: no call for it
            ln += 1
            p += 1
        else:
            p, ln = _SKIP_TOKEN[tok](s, p, ln, psql)


def _skip_line_comment(s: str, p: int, ln: int, psql: bool) -> tuple[int, int]:
    e = s.find("\n", p)
    return (len(s) if e < 0 else e), ln


def _skip_block_comment_in_sql(s: str, p: int, ln: int, psql: bool) -> tuple[int, int]:
    return _skip_block_comment(s, p, ln)


def _skip_backslash(s: str, p: int, ln: int, psql: bool) -> tuple[int, int]:
    if psql:
        raise PsqlMisreads(
            f"a backslash within SQL is refused: psql runs '{s[p:].split(None, 1)[0]}'"
            " as a meta-command",
            ln,
        )
    return p + 1, ln


def _skip_string(s: str, p: int, ln: int, psql: bool) -> tuple[int, int]:
    escapes = p > 0 and s[p - 1] in "eE" and (p < 2 or not _IDENT_CHAR.match(s[p - 2]))
    start, start_line = p, ln
    p, ln = _skip_quoted(s, p, ln, "'", escapes, "string")
    if psql and not escapes and _end_if_escaping(s, start) != p:
        raise PsqlMisreads(
            "a backslash before a string's closing quote is refused: psql reads the"
            " string differently if standard_conforming_strings is off (write E'…')",
            start_line,
        )
    return p, ln


def _skip_quoted_identifier(s: str, p: int, ln: int, psql: bool) -> tuple[int, int]:
    return _skip_quoted(s, p, ln, '"', False, "quoted identifier")


def _skip_dollar_quote(s: str, p: int, ln: int, psql: bool) -> tuple[int, int]:
    """Skip a dollar-quoted string; a ``$`` in a name or a parameter (``$1``) is skipped alone."""
    if p > 0 and _IDENT_CHAR.match(s[p - 1]):
        return p + 1, ln
    dm = _DOLLAR_TAG.match(s, p)
    if dm is None:
        return p + 1, ln
    tag = dm.group()
    e = s.find(tag, dm.end())
    if e < 0:
        raise UnterminatedText(f"dollar-quoted string {tag}", ln)
    return e + len(tag), ln + s.count("\n", p, e)


# What _scan_sql does at each token of _SPECIAL but ";" and "\n": skip past it, return
# (position, line). The last argument says whether psql will run the script.
_SKIP_TOKEN: dict[str, Callable[[str, int, int, bool], tuple[int, int]]] = {
    "--": _skip_line_comment,
    "/*": _skip_block_comment_in_sql,
    "\\": _skip_backslash,
    "'": _skip_string,
    '"': _skip_quoted_identifier,
    "$": _skip_dollar_quote,
}


def _skip_quoted(s: str, p: int, ln: int, q: str, escapes: bool, what: str) -> tuple[int, int]:
    start_line = ln
    n = len(s)
    p += 1
    while p < n:
        ch = s[p]
        if escapes and ch == "\\":
            if p + 1 < n and s[p + 1] == "\n":
                ln += 1
            p += 2
            continue
        if ch == q:
            if p + 1 < n and s[p + 1] == q:
                p += 2
                continue
            return p + 1, ln
        if ch == "\n":
            ln += 1
        p += 1
    raise UnterminatedText(what, start_line)


def _end_if_escaping(s: str, p: int) -> int:
    """Where the standard string starting at ``p`` would end if backslashes escaped (-1: never)."""
    try:
        return _skip_quoted(s, p, 0, "'", True, "string")[0]
    except UnterminatedText:
        return -1


@dataclass(frozen=True)
class MetaCommand:
    name: str  # without the backslash: "echo", "!", "" for a lone backslash
    args: list[str]  # raw, quotes kept
    backtick: bool  # a `…` in the arguments: psql runs it as a shell command


_META_NAME = re.compile(r"\\([A-Za-z0-9_\x80-\uffff]+|.?)")
_META_ARG = re.compile(r"""(?:'(?:\\.|''|[^'\\])*'?|"[^"]*"?|`[^`]*`?|[^\s'"`\\])+""")


def meta_commands(line: str) -> list[MetaCommand]:
    """The backslash commands of one meta-command line, as psql reads them: arguments end at
    an unquoted backslash, which starts the next command (``\\echo a \\! cmd`` is two)."""
    out: list[MetaCommand] = []
    p = 0
    while p < len(line):
        m = _META_NAME.match(line, p)
        if m is None:  # only whitespace is left
            break
        p = m.end()
        args: list[str] = []
        while True:
            while p < len(line) and line[p].isspace():
                p += 1
            arg = _META_ARG.match(line, p)
            if arg is None:
                break
            args.append(arg.group())
            p = arg.end()
        out.append(MetaCommand(m.group(1), args, any("`" in a for a in args)))
        while p < len(line) and line[p].isspace():
            p += 1
    return out


def statement_at(statements: list[Statement], line: int) -> Statement | None:
    """The statement whose lines include ``line`` (psql reports a statement's last line)."""
    for st in statements:
        if st.start_line <= line <= st.end_line:
            return st
    return None
