"""dotbox's SCRAM-SHA-256 verifiers are libpq's own arithmetic."""

from __future__ import annotations

import base64
import re

import pytest
from psycopg import pq

from dotbox.pg import scram


def _libpq_verifier(password: bytes) -> str:
    """PQencryptPasswordConn's (it needs a connection object; one that never connects does)."""
    unconnected = pq.PGconn.connect_start(b"host=/dev/null")
    try:
        return unconnected.encrypt_password(password, b"sandbox", b"scram-sha-256").decode()
    finally:
        unconnected.finish()


def test_with_libpqs_salt_and_iterations_the_verifier_is_libpqs() -> None:
    made = _libpq_verifier(b"s3cret")
    head = made.rsplit("$", 1)[0]
    iterations, salt = re.fullmatch(r"SCRAM-SHA-256\$(\d+):(.+)", head).groups()  # type: ignore[union-attr]
    assert int(iterations) == scram.LIBPQ_ITERATIONS
    ours = scram.verifier("s3cret", iterations=int(iterations), salt=base64.b64decode(salt))
    assert ours == made
    assert scram.verifier("s3cret") != made  # the control: a fresh salt each time
    assert scram.verifier("s3cret").startswith("SCRAM-SHA-256$1:")  # dotbox's random passwords


def test_a_password_needing_saslprep_is_refused() -> None:
    with pytest.raises(ValueError):
        scram.verifier("caf\u00e9")
