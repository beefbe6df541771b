"""Wiring a container's attach stream to this process's stdin, stdout and stderr.

With a terminal (``tty``), the local terminal is put in raw mode for the duration (keys such as
Ctrl-C and Ctrl-D go to the program in the container, which has a pseudo-terminal of its own)
and the container's window follows the local one. Without, the engine multiplexes stdout and
stderr in frames (an 8-byte header: stream, 0, 0, 0, big-endian length) which are split back
onto this process's stdout and stderr; the end of our stdin is passed on as the end of the
container's.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import struct
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import IO, Any

Resize = Callable[[int, int], Any]  # (rows, columns)
CHUNK = 1 << 16


class Demux:
    """Splits the engine's multiplexed attach stream onto stdout and stderr."""

    def __init__(self, out: IO[bytes], err: IO[bytes]) -> None:
        self.targets = {1: out, 2: err}
        self.pending = b""

    def feed(self, data: bytes) -> None:
        self.pending += data
        while len(self.pending) >= 8:
            stream, size = struct.unpack(">BxxxL", self.pending[:8])
            if len(self.pending) < 8 + size:
                return
            payload, self.pending = self.pending[8 : 8 + size], self.pending[8 + size :]
            target = self.targets.get(stream, self.targets[2])
            target.write(payload)
            target.flush()


def _fileno(stream: IO[Any] | None) -> int | None:
    try:
        return stream.fileno() if stream is not None else None
    except (OSError, ValueError):
        return None


@contextmanager
def raw_mode(fd: int) -> Iterator[None]:
    import termios
    import tty

    saved = termios.tcgetattr(fd)
    try:
        tty.setraw(fd, termios.TCSANOW)  # not TCSAFLUSH: what was typed already is passed on
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


@contextmanager
def following_size(fd: int, resize: Resize) -> Iterator[None]:
    """Tell the container the terminal's size now and on every SIGWINCH."""

    def send(*_: Any) -> None:
        with suppress(Exception):  # the container may be gone already
            size = os.get_terminal_size(fd)
            resize(size.lines, size.columns)

    previous = signal.signal(signal.SIGWINCH, send)
    try:
        send()
        yield
    finally:
        signal.signal(signal.SIGWINCH, previous)


def pump(
    sock: socket.socket,
    stdin: IO[Any] | None,
    *,
    tty: bool,
    resize: Resize | None = None,
    stdout: IO[bytes] | None = None,
    stderr: IO[bytes] | None = None,
) -> None:
    """Copy ``stdin`` to the attached container and its output to ``stdout``/``stderr``, until
    the container closes the stream."""
    out = stdout or sys.stdout.buffer
    demux = None if tty else Demux(out, stderr or sys.stderr.buffer)
    in_fd = _fileno(stdin)
    with _terminal(in_fd, tty, resize):
        readers: list[Any] = [sock] if in_fd is None else [sock, in_fd]
        if in_fd is None:
            sock.shutdown(socket.SHUT_WR)
        while True:
            ready, _, _ = select.select(readers, [], [])
            if in_fd is not None and in_fd in ready:
                data = os.read(in_fd, CHUNK)
                if data:
                    sock.sendall(data)
                else:  # our stdin ended: so does the container's
                    readers.remove(in_fd)
                    sock.shutdown(socket.SHUT_WR)
            if sock in ready:
                data = sock.recv(CHUNK)
                if not data:
                    return
                if demux is None:
                    out.write(data)
                    out.flush()
                else:
                    demux.feed(data)


@contextmanager
def _terminal(fd: int | None, tty: bool, resize: Resize | None) -> Iterator[None]:
    if not tty or fd is None or not os.isatty(fd):
        yield
        return
    with raw_mode(fd):
        if resize is None:
            yield
        else:
            with following_size(fd, resize):
                yield
