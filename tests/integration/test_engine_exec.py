"""A command's output as lines (``client.exec_stream``, which the bake reads its errors from):
stdout and stderr each keep their lines whole, however their writes interleave."""

from __future__ import annotations

import dotbox
from dotbox.engine import client

# psql writes its error's "psql:FILE:LINE: " prefix and its "ERROR:" apart: a line of stdout
# written in between must not split them (the bake would lose the error's file and line). The
# pauses let the engine pass each write on as a frame of its own, in this order.
PIECES = (
    'printf "psql:f.sql:2: " >&2; sleep 0.3; echo PROGRESS; sleep 0.3; echo "ERROR:  x" >&2;'
    ' printf "no newline"'
)


def test_a_line_of_stderr_stays_whole_while_stdout_goes_on() -> None:
    with dotbox.sandbox() as sb:
        lines: list[str] = []
        code = client.exec_stream(sb.info.container, ["sh", "-c", PIECES], on_line=lines.append)
    assert code == 0
    assert sorted(lines) == sorted(["PROGRESS", "psql:f.sql:2: ERROR:  x", "no newline"])
