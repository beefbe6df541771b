"""The evidence ledger: append-only JSON lines per sandbox on the host, hash-chained.

Each record carries ``prev`` (the previous record's hash; zeros for the first) and ``hash`` (the
sha256 of its own canonical JSON without ``hash``). Appends take an exclusive lock and are
flushed and fsynced; nothing written is ever rewritten. A ledger outlives its sandbox; a
sandbox id that is used again continues the same chain (its create record says so).
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dotbox.core import files, paths
from dotbox.core.errors import EvidenceBroken, InvalidInput, NotFound

GENESIS = "0" * 64
_SECRET_KEYS = re.compile(r"password|secret|token", re.IGNORECASE)
_DSN_PASSWORD = re.compile(r"(postgres(?:ql)?://[^:/@\s]+:)[^@\s]+@")


@dataclass(frozen=True)
class ChainReport:
    path: str
    ok: bool
    records: int
    problem: str | None = None
    record: int | None = None  # 1-based number of the first bad record
    head: str | None = None  # hash of the last good record


def ledger_path(sandbox_id: str) -> Path:
    return paths.data_home() / "ledgers" / f"{sandbox_id}.jsonl"


def artifacts_dir(sandbox_id: str) -> Path:
    return paths.data_home() / "ledgers" / f"{sandbox_id}.artifacts"


def store_artifact(sandbox_id: str, data: bytes) -> str:
    """Keep a file a record refers to, content-addressed; returns its sha256."""
    digest = hashlib.sha256(data).hexdigest()
    target = artifacts_dir(sandbox_id) / digest
    if not target.exists():
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        files.write_atomic(target, data)
    return digest


def read_artifact(sandbox_id: str, digest: str) -> bytes:
    try:
        data = (artifacts_dir(sandbox_id) / digest).read_bytes()
    except FileNotFoundError:
        raise NotFound(f"artifact {digest[:16]} of sandbox {sandbox_id} is missing") from None
    if hashlib.sha256(data).hexdigest() != digest:
        raise EvidenceBroken(f"artifact {digest[:16]} of sandbox {sandbox_id} was changed")
    return data


def redact(value: Any) -> Any:
    """Secrets out: keys that name one are masked, passwords inside DSNs removed."""
    if isinstance(value, dict):
        return {k: "***" if _SECRET_KEYS.search(str(k)) else redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return _DSN_PASSWORD.sub(r"\1***@", value)
    return value


def _digest(record: dict[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def append(
    sandbox_id: str,
    primitive: str,
    *,
    inputs: dict[str, Any],
    outputs: dict[str, Any],
    verify: dict[str, Any],
    artifacts: dict[str, str] | None = None,
    seconds: float | None = None,
) -> dict[str, Any]:
    """Append one record to the sandbox's ledger; returns it."""
    path = ledger_path(sandbox_id)
    with paths.writing(path):  # a full or read-only disk: one line naming the ledger
        return _append(path, sandbox_id, primitive, inputs, outputs, verify, artifacts, seconds)


def _append(
    path: Path,
    sandbox_id: str,
    primitive: str,
    inputs: dict[str, Any],
    outputs: dict[str, Any],
    verify: dict[str, Any],
    artifacts: dict[str, str] | None,
    seconds: float | None,
) -> dict[str, Any]:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    os.fchmod(fd, 0o600)  # a ledger written before dotbox kept them private
    with os.fdopen(fd, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            fh.seek(0)
            raw = fh.read()
            lines = raw.splitlines()
            prev, seq = GENESIS, 1
            if lines:
                try:
                    last = json.loads(lines[-1])
                    prev, seq = str(last["hash"]), int(last["seq"]) + 1
                except (ValueError, KeyError, TypeError):
                    prev, seq = hashlib.sha256(lines[-1]).hexdigest(), len(lines) + 1
            record: dict[str, Any] = {
                "seq": seq,
                "time": datetime.now(UTC).isoformat(),
                "sandbox": sandbox_id,
                "primitive": primitive,
                "inputs": redact(inputs),
                "outputs": redact(outputs),
                "verify": redact(verify),
                "artifacts": artifacts or {},
                "seconds": seconds,
                "prev": prev,
            }
            record["hash"] = _digest(record)
            fh.seek(0, os.SEEK_END)
            if lines and not raw.endswith(b"\n"):
                fh.write(b"\n")  # end a torn line (never rewrite it) so records stay one a line
            fh.write((json.dumps(record, sort_keys=True) + "\n").encode())
            fh.flush()
            os.fsync(fh.fileno())
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
    return record


def read(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise NotFound(f"no evidence ledger at {path}") from None
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def verify_file(path: Path) -> ChainReport:
    """Check the hash chain; name the first record that is changed, missing, moved or torn."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"no evidence ledger at {path}") from None
    lines = raw.split(b"\n")
    torn = lines[-1] != b""
    if not torn:
        lines = lines[:-1]
    prev, head = GENESIS, None

    def bad(number: int, problem: str) -> ChainReport:
        return ChainReport(
            path=str(path), ok=False, records=len(lines), problem=problem, record=number, head=head
        )

    for number, line in enumerate(lines, start=1):
        if torn and number == len(lines):
            return bad(
                number, f"record {number} is torn (the last line has no end: a crash while writing)"
            )
        try:
            record = json.loads(line)
            claimed, seq, link = record["hash"], record["seq"], record["prev"]
        except (ValueError, KeyError, TypeError):
            return bad(number, f"record {number} is not a valid record (changed)")
        if _digest(record) != claimed:
            return bad(number, f"record {number} was changed (its hash does not match)")
        if seq != number or link != prev:
            what = "deleted before it, or records reordered" if link != prev else "renumbered"
            return bad(number, f"record {number} does not follow record {number - 1} ({what})")
        prev = head = claimed
    return ChainReport(path=str(path), ok=True, records=len(lines), head=head)


def export(sandbox_id: str, out: Path) -> Path:
    """Write ledger + artifacts + manifest (sha256 and size of each file) into ``out``."""
    source = ledger_path(sandbox_id)
    if not source.exists():
        raise NotFound(f"sandbox {sandbox_id} has no evidence ledger")
    if out.exists() and any(out.iterdir()):
        raise InvalidInput(f"{out} exists and is not empty")
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    files.write_atomic(out / "ledger.jsonl", source.read_bytes())
    referenced = {d for r in read(source) for d in (r.get("artifacts") or {}).values()}
    if referenced:
        (out / "artifacts").mkdir(mode=0o700)
        for digest in sorted(referenced):
            files.write_atomic(out / "artifacts" / digest, read_artifact(sandbox_id, digest))
    listed = {
        str(p.relative_to(out)): {
            "sha256": hashlib.sha256(p.read_bytes()).hexdigest(),
            "bytes": p.stat().st_size,
        }
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }
    report = verify_file(out / "ledger.jsonl")
    manifest = {
        "sandbox": sandbox_id,
        "exported": time.time(),
        "files": listed,
        "chain_head": report.head,
        "records": report.records,
    }
    files.write_atomic(out / "manifest.json", (json.dumps(manifest, indent=2) + "\n").encode())
    return out


def verify_bundle(directory: Path) -> ChainReport:
    """Check an exported bundle anywhere: every file against its manifest, then the chain."""
    try:
        manifest = json.loads((directory / "manifest.json").read_text())
    except (OSError, ValueError):
        raise InvalidInput(f"{directory} holds no readable manifest.json") from None
    for name, meta in manifest.get("files", {}).items():
        p = directory / name
        if not p.exists():
            return ChainReport(path=str(p), ok=False, records=0, problem=f"{name} is missing")
        if hashlib.sha256(p.read_bytes()).hexdigest() != meta["sha256"]:
            return ChainReport(
                path=str(p),
                ok=False,
                records=0,
                problem=f"{name} does not match its sha256 in manifest.json",
            )
    report = verify_file(directory / "ledger.jsonl")
    if not report.ok:
        return report
    for record in read(directory / "ledger.jsonl"):
        for name, digest in (record.get("artifacts") or {}).items():
            if f"artifacts/{digest}" not in manifest.get("files", {}):
                return dataclasses.replace(
                    report,
                    ok=False,
                    record=record["seq"],
                    problem=f"artifact {name} of record {record['seq']} is not in the bundle",
                )
    return report
