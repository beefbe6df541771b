"""What a governed primitive is, and the one lifecycle runner every primitive goes through.

The eight facets: describe (self-describing help), contract (typed inputs, validated before
anything happens), guard (only a live dotbox sandbox), plan (``--dry-run`` prints it and does
nothing), apply, verify (postconditions read back from the sandbox, never the action's own
return), rollback (how it is undone, or why it cannot be), evidence (a hash-chained record).
"""

from __future__ import annotations

import dataclasses
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from dotbox import evidence
from dotbox.core.errors import CouldNotVerify, DotboxError, Refused
from dotbox.core.records import jsonable
from dotbox.pg.failure import is_database_error
from dotbox.primitives.catalogue import ENTRIES, Describe, Entry
from dotbox.primitives.contract import dataclass_inputs

if TYPE_CHECKING:
    from dotbox.images import Progress

FACETS = ("describe", "contract", "guard", "plan", "apply", "verify", "rollback", "evidence")


@dataclass(frozen=True)
class Plan:
    summary: str
    steps: list[str]  # what will be done, in order: statements, containers, files


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checks: dict[str, Any]  # each postcondition as read back, by name


@dataclass(frozen=True)
class Outcome:
    primitive: str
    target: str
    dry_run: bool
    plan: Plan
    outputs: dict[str, Any] = field(default_factory=dict)
    verify: Verdict | None = None
    record: int | None = None  # the ledger record's number
    record_hash: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.dry_run or (self.verify is not None and self.verify.ok)


I = TypeVar("I")  # noqa: E741
T = TypeVar("T")


def _no_progress(phase: str, done: int, total: int) -> None:
    pass


class Primitive(ABC, Generic[I, T]):
    """One governed operation. ``T`` is what the guard hands to the later facets."""

    name: ClassVar[str]  # the mission's name, its key in dotbox.primitives.catalogue
    entry: ClassVar[Entry]  # code, command, dot- script name and self-description
    describe: ClassVar[Describe]
    # a pydantic model (dotbox.primitives.inputs.Inputs), or a frozen dataclass whose
    # __post_init__ checks its fields: a contract that needs no pydantic import
    inputs: ClassVar[type[Any]]
    failure: ClassVar[type[DotboxError]]  # the CLI's exit code when verify does not hold

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            cls.entry = ENTRIES[cls.name]  # a primitive outside the catalogue cannot exist
            cls.describe = cls.entry.describe

    def __init__(self, progress: Progress | None = None) -> None:
        self.progress: Progress = progress or _no_progress

    def contract(self, raw: dict[str, Any]) -> I:
        if dataclasses.is_dataclass(self.inputs):
            return dataclass_inputs(self.inputs, raw, self.name)  # type: ignore[no-any-return]
        from dotbox.primitives.inputs import validated

        return validated(self.inputs, raw, self.name)  # type: ignore[return-value]

    @abstractmethod
    def guard(self, inputs: I) -> T: ...

    @abstractmethod
    def plan(self, inputs: I, target: T) -> Plan: ...

    @abstractmethod
    def apply(self, inputs: I, target: T, plan: Plan) -> dict[str, Any]: ...

    @abstractmethod
    def verify(self, inputs: I, target: T, outputs: dict[str, Any]) -> Verdict: ...

    @abstractmethod
    def sandbox_of(self, inputs: I, target: T, outputs: dict[str, Any]) -> str | None:
        """The sandbox whose ledger gets the record (None: not known yet, or no ledger)."""

    def artifacts(self, inputs: I, outputs: dict[str, Any]) -> dict[str, bytes]:
        """Files kept beside the record (their sha256 goes into it)."""
        return {}

    def rollback(self, record: dict[str, Any]) -> dict[str, Any]:
        """Undo what ``record`` did, or refuse saying why it cannot be undone."""
        raise Refused(f"{self.name} record {record['seq']}: {self.describe.rollback}")

    def recheck(self, record: dict[str, Any]) -> str:
        """Whether the record's postcondition still holds now: 'holds', or what changed."""
        return "not re-checkable: " + self.describe.verify


def target_of(primitive: Primitive[Any, Any], inputs: Any, target: Any) -> str:
    return primitive.sandbox_of(inputs, target, {}) or "its target"


def run(primitive: Primitive[Any, Any], raw: dict[str, Any], *, dry_run: bool = False) -> Outcome:
    """contract → guard → plan → (dry run: stop) → apply → verify → evidence.

    The evidence record is written whether or not verify holds; the outcome says which, and
    the CLI exits with the primitive's ``failure`` code when it does not.
    """
    inputs = primitive.contract(raw)
    target = primitive.guard(inputs)
    plan = primitive.plan(inputs, target)
    if dry_run:
        return Outcome(
            primitive=primitive.name,
            target=primitive.sandbox_of(inputs, target, {}) or "",
            dry_run=True,
            plan=plan,
        )
    started = time.monotonic()
    outputs = _apply_recording_failure(primitive, inputs, target, plan, started)
    verdict = _verify_read_back(primitive, inputs, target, outputs)
    seconds = round(time.monotonic() - started, 4)
    sandbox_id = primitive.sandbox_of(inputs, target, outputs)
    record: dict[str, Any] = {}
    if sandbox_id is not None:
        record = _record_evidence(primitive, sandbox_id, inputs, outputs, verdict, seconds)
    return Outcome(
        primitive=primitive.name,
        target=sandbox_id or "",
        dry_run=False,
        plan=plan,
        outputs=outputs,
        verify=verdict,
        record=record.get("seq"),
        record_hash=record.get("hash"),
        seconds=seconds,
    )


def _apply_recording_failure(
    primitive: Primitive[Any, Any], inputs: Any, target: Any, plan: Plan, started: float
) -> dict[str, Any]:
    """apply; when it fails with a dotbox error (a database error becomes CouldNotVerify),
    the failure goes into the sandbox's ledger, if the sandbox is known, and is raised."""
    try:
        return _apply_naming_database_errors(primitive, inputs, target, plan)
    except DotboxError as exc:
        if (sandbox_id := primitive.sandbox_of(inputs, target, {})) is not None:
            evidence.append(
                sandbox_id,
                primitive.name,
                inputs=jsonable(inputs),
                outputs={"error": exc.one_line(), "exit_code": exc.exit_code},
                verify={"ok": False, "checks": {"applied": False}},
                seconds=round(time.monotonic() - started, 4),
            )
        raise


def _apply_naming_database_errors(
    primitive: Primitive[Any, Any], inputs: Any, target: Any, plan: Plan
) -> dict[str, Any]:
    try:
        return primitive.apply(inputs, target, plan)
    except Exception as exc:
        if not is_database_error(exc):
            raise
        raise CouldNotVerify(
            f"{primitive.name} on {target_of(primitive, inputs, target)}:"
            f" {str(exc).strip().splitlines()[0]}"
        ) from None


def _verify_read_back(
    primitive: Primitive[Any, Any], inputs: Any, target: Any, outputs: dict[str, Any]
) -> Verdict:
    try:
        return primitive.verify(inputs, target, outputs)
    except Exception as exc:
        if not is_database_error(exc):
            raise
        # the postconditions could not be read back: that is a failure
        return Verdict(ok=False, checks={"could_not_read_back": str(exc).strip()})


def _record_evidence(
    primitive: Primitive[Any, Any],
    sandbox_id: str,
    inputs: Any,
    outputs: dict[str, Any],
    verdict: Verdict,
    seconds: float,
) -> dict[str, Any]:
    """The artifacts stored and the record appended to the sandbox's ledger (returned)."""
    stored = {
        name: evidence.store_artifact(sandbox_id, data)
        for name, data in primitive.artifacts(inputs, outputs).items()
    }
    return evidence.append(
        sandbox_id,
        primitive.name,
        inputs=jsonable(inputs),
        outputs=outputs,
        verify=jsonable(verdict),
        artifacts=stored,
        seconds=seconds,
    )
