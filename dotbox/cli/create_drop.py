"""What ``dotbox create`` and ``dotbox drop`` do once their words are read, without typer: the
typer commands (``dotbox.cli.sandbox_cmds``) and the console script's fast path
(``dotbox.cli.toplevel``) both run these functions. A DotboxError raised here is for the caller's
error handler (``dotbox.cli.one_line_errors.exit_code``, the same for both)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dotbox.cli.output import echo, emit
from dotbox.core.errors import DotboxError

if TYPE_CHECKING:
    from dotbox.api import Sandbox


def create(*, as_json: bool, **options: Any) -> None:
    """Create a sandbox with ``options`` (``dotbox.api.sandbox``'s; None: from the
    configuration) and print its DSN, or its record as JSON."""
    from dotbox import api
    from dotbox.cli.progress import display

    with display() as progress:
        sb = api.sandbox(**options, progress=progress)
    if as_json:
        emit(created_json(sb))
    else:
        echo(sb.tcp_dsn or sb.dsn)


def created_json(sb: Sandbox) -> dict[str, Any]:
    """What ``create --json`` prints of a new sandbox."""
    c = sb.credentials
    return {
        "id": sb.id,
        "dsn": c.dsn,
        "tcp_dsn": c.tcp_dsn,
        "socket_dir": None if sb.info.tcp else str(c.socket_dir),  # --tcp: none on the host
        "user": c.user,
        "password": c.password,
        "database": c.database,
        "snapshot": sb.info.snapshot,
        "snapshot_digest": sb.info.snapshot_digest,
        "pg_major": sb.info.pg_major,
        "superuser": sb.info.superuser,
        "max_connections": sb.info.max_connections,
        "max_prepared_transactions": sb.info.max_prepared_transactions,
        "expires": sb.info.expires.isoformat(),
    }


def drop(refs: list[str], *, as_json: bool) -> int:
    """Drop every one, going on past a failure; the exit code: 0, or the first failure's."""
    from dotbox.primitives.drop import drop_sandbox  # not dotbox.api: that imports pydantic

    errors: list[tuple[str, DotboxError]] = []
    reports = []
    for ref in refs:
        try:
            reports.append(drop_sandbox(ref))
        except DotboxError as exc:
            errors.append((ref, exc))
    if as_json:
        failed = [{"id": r, "error": e.one_line(), "exit_code": e.exit_code} for r, e in errors]
        emit({"dropped": reports, "errors": failed})
    else:
        for r in reports:
            echo(f"dropped {r.id} in {r.seconds:.3f}s (confirmed gone)")
    for _ref, error in errors:
        echo(f"dotbox: error: {error.one_line()}", err=True)
    return errors[0][1].exit_code if errors else 0
