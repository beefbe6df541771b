"""One exception root for dotbox; every subclass carries the exit code the CLI returns."""

from __future__ import annotations


class DotboxError(Exception):
    """Base of every error dotbox raises on purpose. ``exit_code`` is what the CLI exits with."""

    exit_code = 1
    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    def one_line(self) -> str:
        """The error and its hint on one line (a server's or engine's message may hold
        several: their line breaks and indents become single spaces)."""
        text = f"{self} ({self.hint})" if self.hint else str(self)
        return " ".join(text.split())


class InvalidInput(DotboxError):
    """A name, file, TTL or option that dotbox will not accept; nothing was done."""

    exit_code = 2


class NotFound(DotboxError):
    """An unknown sandbox, snapshot or image."""

    exit_code = 3


class Refused(DotboxError):
    """The target is not something dotbox may act on (not made by dotbox, wrong network, …)."""

    exit_code = 4


class EngineUnavailable(DotboxError):
    """The Docker engine cannot be reached or failed a request."""

    exit_code = 5


class BakeFailed(DotboxError):
    """The snapshot's DDL did not apply while baking its sandbox image."""

    exit_code = 6


class NotReady(DotboxError):
    """A sandbox did not accept a query before its deadline."""

    exit_code = 7


class Conflict(DotboxError):
    """The name is taken, or the object is in use."""

    exit_code = 8


class DropIncomplete(DotboxError):
    """A drop ran but reading the engine and file system back found something left."""

    exit_code = 9


class CaptureFailed(DotboxError):
    """Capture or dump could not read the server (connection, authentication, pg_dump)."""

    exit_code = 10


class ComposeFailed(DotboxError):
    """Compose could not start a review environment; what it made was removed."""

    exit_code = 11


class EvidenceBroken(DotboxError):
    """An evidence ledger's hash chain is broken (a record changed, missing, moved or torn)."""

    exit_code = 12


class DoctorFailed(DotboxError):
    """dotbox doctor found a problem that stops dotbox from working."""

    exit_code = 13


class Drift(DotboxError):
    """verify: the sandbox's schema differs from its snapshot, or a user check failed."""

    exit_code = 14


class CouldNotVerify(DotboxError):
    """verify (or a postcondition) could not be carried out: nothing is known either way."""

    exit_code = 15


class HarnessFailed(DotboxError):
    """A bad input was accepted, or rejected with another SQLSTATE, or the harness wrote."""

    exit_code = 16


class ApplyFailed(DotboxError):
    """A migration or vocab-build failed; its transaction was rolled back, nothing changed."""

    exit_code = 17


class StorageFailed(DotboxError):
    """The host's file system refused a write (full, read-only, no permission); path named."""

    exit_code = 18


EXIT_CODES: dict[int, str] = {
    0: "success",
    1: "unexpected internal error (a bug: please report it with --debug output)",
    InvalidInput.exit_code: "invalid input: bad name, file, TTL or option; nothing was done",
    NotFound.exit_code: "not found: unknown sandbox, snapshot or image",
    Refused.exit_code: "refused: the target is not a live dotbox sandbox",
    EngineUnavailable.exit_code: "Docker engine unreachable or failing",
    BakeFailed.exit_code: "the snapshot's DDL failed while baking (file, line and statement named)",
    NotReady.exit_code: "the sandbox did not answer a query before its deadline (removed)",
    Conflict.exit_code: "conflict: the name is taken or the object is in use",
    DropIncomplete.exit_code: "drop ran but something was left behind (named)",
    CaptureFailed.exit_code: "capture or dump could not read the server (connection, auth or"
    " pg_dump)",
    ComposeFailed.exit_code: "compose could not start the review environment (removed)",
    EvidenceBroken.exit_code: "an evidence ledger's hash chain is broken (record named)",
    DoctorFailed.exit_code: "dotbox doctor found a problem (each with its fix)",
    Drift.exit_code: "verify: the schema drifted from its snapshot or a check failed (listed)",
    CouldNotVerify.exit_code: "verify could not be carried out (no fingerprint, check error)",
    HarnessFailed.exit_code: "harness: a bad input was accepted or got another SQLSTATE",
    ApplyFailed.exit_code: "apply/vocab-build: the change failed and was rolled back (named)",
    StorageFailed.exit_code: "a host file system refused a write: full, read-only (path named)",
}
