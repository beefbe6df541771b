"""sandbox-drop: destroy a sandbox and confirm, by reading back, that nothing of it is left."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dotbox.core import paths
from dotbox.core.errors import DropIncomplete, InvalidInput, NotFound
from dotbox.core.labels import Label
from dotbox.core.records import DropReport
from dotbox.primitives.contract import sandbox_id
from dotbox.primitives.facets import Plan, Primitive, Verdict, run
from dotbox.sandboxes import lifecycle


@dataclass(frozen=True)
class DropInputs:
    """A dataclass, not a pydantic model: ``dotbox drop`` from a shell imports no pydantic."""

    sandbox: str

    def __post_init__(self) -> None:
        if not isinstance(self.sandbox, str):
            raise InvalidInput("sandbox-drop: sandbox: Input should be a valid string")
        sandbox_id(self.sandbox)


@dataclass(frozen=True)
class DropTarget:
    id: str
    container: str | None  # None: the container is gone, remnants are cleared
    home: Path


class SandboxDrop(Primitive[DropInputs, DropTarget]):
    name = "sandbox-drop"
    inputs = DropInputs
    failure = DropIncomplete

    def guard(self, inputs: DropInputs) -> DropTarget:
        try:
            container = lifecycle.resolve(inputs.sandbox)  # dotbox's labels, in this home
        except NotFound:
            home = paths.sandbox_dir(inputs.sandbox)
            if lifecycle.find(inputs.sandbox) is not None or not lifecycle.remnants(
                inputs.sandbox, home
            ):
                raise  # another home's sandbox (its remnants are not ours), or nothing at all
            return DropTarget(id=inputs.sandbox, container=None, home=home)
        home = Path(container.labels.get(Label.DIR) or paths.sandbox_dir(inputs.sandbox))
        return DropTarget(id=container.labels[Label.ID], container=container.id, home=home)

    def plan(self, inputs: DropInputs, target: DropTarget) -> Plan:
        steps = (
            [f"remove container {target.container[:12]} and its volumes"]
            if target.container
            else []
        )
        steps += [
            f"remove containers labelled dotbox.id={target.id} (forwarder, runners)",
            f"remove volumes labelled dotbox.id={target.id}",
            f"remove directory {target.home}",
        ]
        return Plan(summary=f"drop {target.id}", steps=steps)

    def apply(self, inputs: DropInputs, target: DropTarget, plan: Plan) -> dict[str, Any]:
        return lifecycle.remove(target.id, target.container, target.home)

    def verify(self, inputs: DropInputs, target: DropTarget, outputs: dict[str, Any]) -> Verdict:
        left = lifecycle.remnants(target.id, target.home)
        return Verdict(ok=not left, checks={"left": left})

    def sandbox_of(self, inputs: DropInputs, target: DropTarget, outputs: dict[str, Any]) -> str:
        return target.id

    def recheck(self, record: dict[str, Any]) -> str:
        sid = record["sandbox"]
        left = lifecycle.remnants(sid, paths.sandbox_dir(sid))
        return "holds" if not left else f"no longer holds: {', '.join(left)} exists again"


def drop_sandbox(sandbox_id: str) -> DropReport:
    """Destroy a sandbox through the primitive, or raise DropIncomplete naming what is left."""
    outcome = run(SandboxDrop(), {"sandbox": sandbox_id})
    if not outcome.ok:
        left = ", ".join(outcome.verify.checks["left"]) if outcome.verify else "?"
        raise DropIncomplete(f"drop of sandbox {sandbox_id} left: {left}")
    return DropReport(**outcome.outputs, confirmed=True, seconds=outcome.seconds)
