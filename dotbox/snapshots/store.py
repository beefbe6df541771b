"""Snapshots: DDL stored content-addressed by sha256, with a manifest, named by the user."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from dotbox.core import files, paths, validate
from dotbox.core.errors import Conflict, InvalidInput, NotFound
from dotbox.core.labels import Label
from dotbox.core.models import SnapshotManifest
from dotbox.engine import client
from dotbox.sql import normal

if TYPE_CHECKING:
    from dotbox.sql import ddl

DEFAULT_SNAPSHOT = "default"
DEFAULT_PG_MAJOR = 17
MAX_BYTES = 64 * 1024 * 1024


def _manifest_path(name: str) -> Path:
    return paths.snapshots_dir() / f"{name}.json"


def read_text(source: Path) -> str:
    """The file's text, or a one-line InvalidInput saying why it is not a DDL file."""
    try:
        raw = source.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"snapshot file {source} does not exist") from None
    except IsADirectoryError:
        raise InvalidInput(f"snapshot file {source} is a directory") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read snapshot file {source}: {exc.strerror}") from None
    if not raw.strip():
        raise InvalidInput(f"snapshot file {source} is empty")
    if len(raw) > MAX_BYTES:
        raise InvalidInput(f"snapshot file {source} is over {MAX_BYTES // 2**20} MiB")
    if raw.startswith(b"PGDMP"):
        raise InvalidInput(
            f"{source} is a pg_dump custom-format archive; dump with --format=plain --schema-only"
        )
    if b"\0" in raw:
        raise InvalidInput(f"{source} is not SQL text (it holds NUL bytes)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{source} is not UTF-8 text (byte {exc.start})") from None


def import_file(
    source: Path,
    name: str,
    *,
    pg_major: int | None = None,
    replace: bool = False,
    allow_data: bool = False,
) -> SnapshotManifest:
    """Import a plain-SQL DDL file as snapshot ``name``. Idempotent for the same content."""
    validate.snapshot_name(name)
    if pg_major is not None and not 10 <= pg_major <= 99:
        raise InvalidInput(f"invalid PostgreSQL major {pg_major}")
    text = normal.normalise(read_text(source))
    return store_text(
        text,
        name,
        source_kind="import",
        source=str(source.resolve()),
        pg_major=pg_major,
        replace=replace,
        allow_data=allow_data,
    )


def store_text(
    text: str,
    name: str,
    *,
    source_kind: str,
    source: str,
    pg_major: int | None,
    replace: bool,
    allow_data: bool,
    server: dict[str, str | int | None] | None = None,
    data_patterns: list[str] | None = None,
    chosen: frozenset[str] = frozenset(),
) -> SnapshotManifest:
    """Sanitise, check and store ``text`` (already normalised) as snapshot ``name``.

    ``server`` carries what a capture read from the server: version, major, system_identifier,
    database; its major is the snapshot's. ``chosen``: tables whose COPY rows are kept (capture
    --data ``data_patterns``)."""
    from dotbox.sql import ddl  # the parser: only a snapshot being stored needs it

    origin = Path(source).name if source_kind != "capture" else name
    text, redacted = ddl.sanitise(text, origin)
    digest = hashlib.sha256(text.encode()).hexdigest()
    same = _stored_unless_different(name, digest, pg_major, replace)
    if same is not None:
        return same
    analysis = _analyse_ddl_only(text, origin, allow_data, chosen)
    header = ddl.dumped_from_major(text)
    major, major_from = _choose_major(pg_major, server, header, analysis, origin)
    note = oldest_base_note(header) if major_from == "header" else None
    version = str(server["version"]) if server else (header[1] if header else None)
    manifest = SnapshotManifest(
        name=name,
        digest=digest,
        source_kind=source_kind,  # type: ignore[arg-type]
        source=source,
        pg_major=major,
        pg_major_from=major_from,  # type: ignore[arg-type]
        pg_major_note=note,
        min_major=analysis.min_major or None,
        min_major_reason=analysis.min_major_reason or None,
        source_version=version,
        system_identifier=str(server["system_identifier"])
        if server and server.get("system_identifier")
        else None,
        database=str(server["database"]) if server and server.get("database") else None,
        redacted=redacted,
        statements=analysis.statements,
        counts=dict(sorted(analysis.counts.items())),
        roles=analysis.referenced_roles,
        superuser_roles=sorted(analysis.superuser_owners & set(analysis.referenced_roles)),
        extensions=sorted(analysis.extensions),
        allow_data=allow_data,
        ledger_rows=dict(sorted(analysis.ledger_rows.items())),
        data_patterns=data_patterns or [],
        data_rows=dict(sorted(analysis.chosen_rows.items())),
        size_bytes=len(text.encode()),
        created=datetime.now(UTC),
    )
    _write_ddl_and_manifest(manifest, text)
    return manifest


def _stored_unless_different(
    name: str, digest: str, pg_major: int | None, replace: bool
) -> SnapshotManifest | None:
    """Snapshot ``name`` as stored if it has this digest (and the major asked for, if any);
    None if there is none or it may be replaced; Conflict if it differs and may not be."""
    existing = _load(name)
    if (
        existing is not None
        and existing.digest == digest
        and (pg_major is None or pg_major == existing.pg_major)
    ):
        return existing
    if existing is not None and not replace:
        raise Conflict(
            f"snapshot {name!r} exists with other content or major",
            hint="use --replace, or another --name",
        )
    return None


def _analyse_ddl_only(
    text: str, origin: str, allow_data: bool, chosen: frozenset[str]
) -> ddl.Analysis:
    """``text``'s analysis; InvalidInput if it carries data rows and data is not allowed."""
    from dotbox.sql import ddl

    analysis = ddl.analyse(text, origin, chosen)
    if analysis.data_lines and not allow_data:
        raise InvalidInput(
            f"{origin}:{analysis.data_lines[0]}: the snapshot carries data rows"
            f" ({len(analysis.data_lines)} data statement(s))",
            hint="a snapshot is DDL and migration ledgers' rows only; pass --allow-data to"
            " accept them",
        )
    return analysis


def _choose_major(
    pg_major: int | None,
    server: dict[str, str | int | None] | None,
    header: tuple[int, str] | None,
    analysis: ddl.Analysis,
    origin: str,
) -> tuple[int, str]:
    """The snapshot's PostgreSQL major and where it comes from: the flag, the server captured
    from, the dump's header or the default, raised to what the DDL's features need (refused
    if the flag or the server set one that is too old)."""
    major_from: str
    if pg_major is not None:
        major, major_from = pg_major, "flag"
    elif server is not None:
        major, major_from = int(server["major"] or 0), "server"
    elif header is not None:
        major, major_from = base_major_for(header[0]), "header"
    else:
        major, major_from = DEFAULT_PG_MAJOR, "default"
    if analysis.min_major > major:
        if major_from in ("flag", "server"):
            raise InvalidInput(
                f"{origin}: needs PostgreSQL {analysis.min_major} or newer"
                f" ({analysis.min_major_reason}), not {major}",
                hint=f"import it with --pg {analysis.min_major}",
            )
        major, major_from = analysis.min_major, "features"
    return major, major_from


def base_major_for(dumped: int) -> int:
    """The major a dump from ``dumped`` bakes on: its own, or, when it is older than every base,
    the oldest base above it (a newer one is kept, and refused when no base can be built)."""
    from dotbox import images  # a drop, which reads snapshots, needs no image

    if dumped < min(images.OFFLINE_MAJORS):
        return min(images.OFFLINE_MAJORS)
    return dumped


def oldest_base_note(header: tuple[int, str] | None) -> str | None:
    """In words, why a dump's major was raised to the oldest base; None if it was not."""
    if header is None or base_major_for(header[0]) == header[0]:
        return None
    from dotbox import images

    bases = ", ".join(map(str, images.OFFLINE_MAJORS))
    return (
        f"the dump is from PostgreSQL {header[1]}, older than every base ({bases}):"
        f" it bakes on {base_major_for(header[0])}, the oldest base above it"
    )


def _write_ddl_and_manifest(manifest: SnapshotManifest, text: str) -> None:
    """Store the DDL (content-addressed: kept if already there), then the manifest naming it;
    a DDL file written here is removed again if the manifest cannot be written."""
    blob = paths.snapshot_ddl(manifest.digest)
    wrote_blob = False
    with paths.writing(blob.parent):
        blob.parent.mkdir(parents=True, exist_ok=True)
    if not blob.exists():
        with paths.writing(blob):
            files.write_atomic(blob, text.encode())
        wrote_blob = True
    try:
        with paths.writing(_manifest_path(manifest.name)):
            files.write_atomic(
                _manifest_path(manifest.name), manifest.model_dump_json(indent=2).encode()
            )
    except BaseException:
        if wrote_blob:  # no manifest names it: leave no DDL nobody can see
            blob.unlink(missing_ok=True)
        raise


def _load(name: str) -> SnapshotManifest | None:
    try:
        raw = _manifest_path(name).read_text()
    except FileNotFoundError:
        return None
    return SnapshotManifest.model_validate(json.loads(raw))


def bundled_default_text() -> str:
    return normal.normalise(resources.files("dotbox").joinpath("data/default.sql").read_text())


def get(name: str) -> SnapshotManifest:
    """The snapshot called ``name``; the bundled default is imported on first use."""
    validate.snapshot_name(name)
    if name == DEFAULT_SNAPSHOT:
        text = bundled_default_text()
        existing = _load(name)
        digest = hashlib.sha256(text.encode()).hexdigest()
        if existing is not None and existing.digest == digest:
            return existing
        return store_text(
            text,
            name,
            source_kind="bundled",
            source="dotbox/data/default.sql",
            pg_major=None,
            replace=True,
            allow_data=False,
        )
    manifest = _load(name)
    if manifest is None:
        raise NotFound(
            f"unknown snapshot {name!r}", hint="see 'dotbox snapshot list' or import one"
        )
    return manifest


def list_all() -> list[SnapshotManifest]:
    directory = paths.snapshots_dir()
    if not directory.is_dir():
        return []
    return [m for p in sorted(directory.glob("*.json")) if (m := _load(p.stem)) is not None]


def users(manifest: SnapshotManifest) -> list[str]:
    """Names of this DOTBOX_HOME's sandbox containers made from ``manifest``'s DDL."""
    labels = {
        Label.MANAGED_BY: "dotbox",
        Label.ROLE: "sandbox",
        Label.HOME: str(paths.data_home()),
        Label.SNAPSHOT_DIGEST: manifest.digest,
    }
    return sorted(c.name for c in client.containers(labels))


def remove(name: str) -> SnapshotManifest:
    """Forget snapshot ``name`` (its DDL too, unless another snapshot has the same digest).

    Refused while a sandbox made from it exists. Baked images are keyed by content and
    shared, so they stay."""
    manifest = get(name) if name != DEFAULT_SNAPSHOT else _load(name)
    if manifest is None:
        raise NotFound(f"unknown snapshot {name!r}", hint="see 'dotbox snapshot list'")
    in_use = users(manifest)
    if in_use:
        raise Conflict(
            f"snapshot {name!r} is in use by {len(in_use)} sandbox(es): {', '.join(in_use[:5])}",
            hint="drop them first",
        )
    _manifest_path(name).unlink(missing_ok=True)
    if not any(m.digest == manifest.digest for m in list_all()):
        paths.snapshot_ddl(manifest.digest).unlink(missing_ok=True)
    return manifest
