"""What a governed primitive is, and the one lifecycle runner every primitive goes through.

The eight facets: describe (self-describing help), contract (typed inputs, validated before
anything happens), guard (only a live dotbox sandbox), plan (``--dry-run`` prints it and does
nothing), apply, verify (postconditions read back from the sandbox, never the action's own
return), rollback (how it is undone, or why it cannot be), evidence (a hash-chained record).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from dotbox import evidence
from dotbox.core.errors import CouldNotVerify, DotboxError, InvalidInput, Refused
from dotbox.core.models import Frozen
from dotbox.pg.failure import is_database_error
from dotbox.primitives.catalogue import ENTRIES, Describe, Entry

if TYPE_CHECKING:
    from dotbox.images import Progress

FACETS = ("describe", "contract", "guard", "plan", "apply", "verify", "rollback", "evidence")


class Inputs(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


def _sandbox_id(value: str) -> str:
    """A sandbox id, never a connection string (refused with exit 4)."""
    from dotbox.core import validate
    from dotbox.sandboxes import lifecycle

    lifecycle.refuse_dsn(value)
    return validate.sandbox_name(value)


SandboxId = Annotated[str, AfterValidator(_sandbox_id)]


class Plan(Frozen):
    summary: str
    steps: list[str]  # what will be done, in order: statements, containers, files


class Verdict(Frozen):
    ok: bool
    checks: dict[str, Any]  # each postcondition as read back, by name


class Outcome(Frozen):
    primitive: str
    target: str
    dry_run: bool
    plan: Plan
    outputs: dict[str, Any] = {}
    verify: Verdict | None = None
    record: int | None = None  # the ledger record's number
    record_hash: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.dry_run or (self.verify is not None and self.verify.ok)


I = TypeVar("I", bound=Inputs)  # noqa: E741
T = TypeVar("T")


def _no_progress(phase: str, done: int, total: int) -> None:
    pass


class Primitive(ABC, Generic[I, T]):
    """One governed operation. ``T`` is what the guard hands to the later facets."""

    name: ClassVar[str]  # the mission's name, its key in dotbox.primitives.catalogue
    entry: ClassVar[Entry]  # code, command, dot- script name and self-description
    describe: ClassVar[Describe]
    inputs: ClassVar[type[Inputs]]
    failure: ClassVar[type[DotboxError]]  # the CLI's exit code when verify does not hold

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            cls.entry = ENTRIES[cls.name]  # a primitive outside the catalogue cannot exist
            cls.describe = cls.entry.describe

    def __init__(self, progress: Progress | None = None) -> None:
        self.progress: Progress = progress or _no_progress

    def contract(self, raw: dict[str, Any]) -> I:
        try:
            return self.inputs.model_validate(raw)  # type: ignore[return-value]
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            msg = str(first["msg"]).removeprefix("Value error, ")
            raise InvalidInput(f"{self.name}: {where}: {msg}" if where else msg) from None

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
                inputs=inputs.model_dump(mode="json"),
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
        inputs=inputs.model_dump(mode="json"),
        outputs=outputs,
        verify=verdict.model_dump(mode="json"),
        artifacts=stored,
        seconds=seconds,
    )
