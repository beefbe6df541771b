"""verify: the sandbox's live schema against the fingerprint baked into its image (equal, or
the exact drift), plus the user's checks (SQL queries with expected results), all read back in
a read-only transaction; and the governed primitive that runs it."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from dotbox import images
from dotbox.core import yamlfile
from dotbox.core.errors import CouldNotVerify, Drift
from dotbox.core.labels import Label
from dotbox.core.models import Frozen
from dotbox.engine import client
from dotbox.pg import db, drift_words, fingerprint
from dotbox.primitives.facets import Plan, Primitive, Verdict
from dotbox.primitives.inputs import Inputs, SandboxId
from dotbox.sandboxes import guard
from dotbox.sandboxes.guard import LiveSandbox


class Check(Frozen):
    name: str
    sql: str
    expect: Any  # a scalar (one row, one column) or a list of rows


class ChecksFile(Frozen):
    checks: list[Check]


class CheckResult(Frozen):
    name: str
    ok: bool
    expected: Any
    actual: Any = None
    error: str | None = None


class VerifyReport(Frozen):
    sandbox: str
    snapshot: str
    snapshot_digest: str
    baked: str  # digest of the fingerprint recorded at bake
    live: str  # digest of the fingerprint read now
    objects: int
    drift: list[fingerprint.Change]
    checks: list[CheckResult]
    seconds: float

    @property
    def equal(self) -> bool:
        return not self.drift

    @property
    def ok(self) -> bool:
        return self.equal and all(c.ok for c in self.checks)

    def summary(self) -> str:
        if self.equal:
            text = f"equal to snapshot {self.snapshot} ({self.snapshot_digest[:12]})"
        else:
            text = f"{len(self.drift)} objects drifted from snapshot {self.snapshot}"
        failed = [c.name for c in self.checks if not c.ok]
        if self.checks:
            text += f"; checks {len(self.checks) - len(failed)}/{len(self.checks)} passed"
        return text


def load_checks(path: Path) -> list[Check]:
    doc = yamlfile.load(path)
    checks = yamlfile.parse(doc, ChecksFile).checks
    seen: dict[str, int] = {}
    for i, check in enumerate(checks):
        if check.name in seen:
            raise doc.error(("checks", i), f"duplicate check name {check.name!r}")
        seen[check.name] = i
    return checks


def baked(target: LiveSandbox) -> list[fingerprint.Row]:
    image = client.image(target.info.image)
    if image is None or image.labels.get(Label.RECIPE) != images.recipe_digest():
        raise CouldNotVerify(
            f"sandbox {target.info.id} was baked by another version of dotbox: its fingerprint"
            " was taken with other rules",
            hint="create a new sandbox from the same snapshot (its image is baked anew)",
        )
    raw = client.read_file(target.info.container, images.FINGERPRINT_FILE)
    if raw is None:
        raise CouldNotVerify(
            f"sandbox {target.info.id} has no baked fingerprint",
            hint="its image predates verify; `dotbox image rm` it and create a new sandbox",
        )
    return fingerprint.from_json(raw)


def readable(target: LiveSandbox, drift: list[fingerprint.Change]) -> list[fingerprint.Change]:
    """The drift with deparsed definitions for the constraints and indexes that exist now."""
    wanted = [c.identity for c in drift if c.kind in fingerprint.READABLE_DEF and c.after][:500]
    if not wanted:
        return drift
    with db.connect(target.credentials) as conn:
        conn.read_only = True
        found = conn.execute(fingerprint.READABLE_SQL, {"identities": wanted}).fetchall()
        pretty: dict[tuple[str, str], str] = {}
        for kind, identity, oid in found:
            row = conn.execute(fingerprint.READABLE_DEF[kind], (oid,)).fetchone()
            pretty[(kind, identity)] = str(row[0]) if row else ""
    return [
        c.model_copy(update={"after": pretty[(c.kind, c.identity)]})
        if (c.kind, c.identity) in pretty and c.after
        else c
        for c in drift
    ]


def live(target: LiveSandbox) -> list[fingerprint.Row]:
    with db.connect(target.credentials) as conn:
        conn.read_only = True
        return fingerprint.rows(conn.execute(fingerprint.SQL).fetchall())


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def run_checks(target: LiveSandbox, checks: list[Check]) -> list[CheckResult]:
    results = []
    with db.connect(target.credentials, autocommit=True) as conn:
        for check in checks:
            expected = _plain(check.expect)
            try:
                with conn.transaction(force_rollback=True):
                    conn.execute("SET TRANSACTION READ ONLY")
                    rows = _plain([list(r) for r in conn.execute(check.sql).fetchall()])
            except db.Error as exc:
                results.append(
                    CheckResult(name=check.name, ok=False, expected=expected, error=str(exc))
                )
                continue
            scalar = not isinstance(expected, list) and len(rows) == 1 and len(rows[0]) == 1
            actual = rows[0][0] if scalar else rows
            ok = actual == expected
            results.append(CheckResult(name=check.name, ok=ok, expected=expected, actual=actual))
    return results


def verify(target: LiveSandbox, checks: list[Check] | None = None) -> VerifyReport:
    started = time.monotonic()
    try:
        expected, actual = baked(target), live(target)
        drift = readable(target, fingerprint.drift(expected, actual))
        results = run_checks(target, checks or [])
    except db.Error as exc:
        raise CouldNotVerify(f"could not read sandbox {target.info.id}: {exc}") from None
    return VerifyReport(
        sandbox=target.info.id,
        snapshot=target.info.snapshot,
        snapshot_digest=target.info.snapshot_digest,
        baked=fingerprint.digest(expected),
        live=fingerprint.digest(actual),
        objects=len(actual),
        drift=drift,
        checks=results,
        seconds=round(time.monotonic() - started, 4),
    )


class VerifyInputs(Inputs):
    sandbox: SandboxId
    checks: Path | None = Field(None, description="checks file (YAML): SQL with expected results")

    @field_validator("checks")
    @classmethod
    def _checks(cls, v: Path | None) -> Path | None:
        if v is not None:
            load_checks(v)
        return v

    def check_list(self) -> list[Check]:
        return load_checks(self.checks) if self.checks else []


class SchemaVerify(Primitive[VerifyInputs, LiveSandbox]):
    name = "verify"
    inputs = VerifyInputs
    failure = Drift

    report: VerifyReport | None = None

    def guard(self, inputs: VerifyInputs) -> LiveSandbox:
        return guard.require_live(inputs.sandbox)

    def plan(self, inputs: VerifyInputs, target: LiveSandbox) -> Plan:
        steps = [
            f"read the fingerprint baked at {images.FINGERPRINT_FILE} in"
            f" {target.info.container[:12]}",
            "read the live fingerprint: SELECT kind, identity, definition FROM pg_catalog …"
            " (read-only)",
        ]
        steps += [f"check {c.name} (read-only, rolled back): {c.sql}" for c in inputs.check_list()]
        return Plan(
            summary=f"verify {target.info.id} against snapshot {target.info.snapshot}", steps=steps
        )

    def apply(self, inputs: VerifyInputs, target: LiveSandbox, plan: Plan) -> dict[str, Any]:
        self.report = verify(target, inputs.check_list())
        return {"objects": self.report.objects, "seconds": self.report.seconds}

    def verify(self, inputs: VerifyInputs, target: LiveSandbox, outputs: dict[str, Any]) -> Verdict:
        r = self.report
        assert r is not None
        return Verdict(
            ok=r.ok,
            checks={
                "equal": r.equal,
                "summary": r.summary(),
                "baked": r.baked,
                "live": r.live,
                "drift": [c.describe() for c in r.drift],
                "drift_in_words": [drift_words.change(c) for c in r.drift],
                "checks": [c.model_dump(mode="json") for c in r.checks],
            },
        )

    def sandbox_of(self, inputs: VerifyInputs, target: LiveSandbox, outputs: dict[str, Any]) -> str:
        return target.info.id

    def recheck(self, record: dict[str, Any]) -> str:
        target = guard.require_live(record["sandbox"])
        now = verify(target).live
        if now != record["verify"]["checks"]["live"]:
            return "no longer holds: the schema changed since (run verify again)"
        return "holds"
