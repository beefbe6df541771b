"""SCRAM-SHA-256 verifiers (RFC 5802 and 7677), as PostgreSQL stores them in pg_authid: sent
instead of a password, so the plain text never reaches the server."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

LIBPQ_ITERATIONS = 4096  # PostgreSQL's and libpq's default
# The iteration count stretches a password someone could guess. Every password dotbox makes is
# 24 random bytes that nobody types: one iteration loses nothing, and spares each connection
# (libpq runs the iterations on the client) and each verifier 4096 rounds of PBKDF2, about 2 ms.
ITERATIONS = 1


def verifier(password: str, *, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    """The verifier of ``password`` (printable ASCII, which SASLprep leaves as it is), with a
    fresh salt unless one is given."""
    if not (password.isascii() and password.isprintable()):
        raise ValueError("a SCRAM password made here is printable ASCII")
    salt = salt or secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    stored_key = hashlib.sha256(hmac.digest(salted, b"Client Key", "sha256")).digest()
    server_key = hmac.digest(salted, b"Server Key", "sha256")
    return f"SCRAM-SHA-256${iterations}:{_b64(salt)}${_b64(stored_key)}:{_b64(server_key)}"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
