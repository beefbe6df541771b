"""dotbox evidence show | verify | export."""

from __future__ import annotations

from pathlib import Path

import typer

from dotbox.cli import JsonOpt, emit, fail, group
from dotbox.errors import DotboxError

evidence_app = group("evidence", "Read back a sandbox's evidence ledger, check it, export it.")


@evidence_app.command("show")
def evidence_show(
    sandbox: str = typer.Argument(..., help="Sandbox id."), as_json: bool = JsonOpt
) -> None:
    """Print the ledger's records (the ledger outlives its sandbox)."""
    from dotbox import evidence, names

    try:
        names.sandbox_name(sandbox)
        records = evidence.read(evidence.ledger_path(sandbox))
    except DotboxError as exc:
        fail(exc)
    if as_json:
        emit(records)
        return
    for r in records:
        typer.echo(
            f"{r['seq']:>4} {r['time'][:19]} {r['primitive']:<16} "
            f"{r.get('seconds') or 0:>7.3f}s  {r['hash'][:16]}"
        )


@evidence_app.command("verify")
def evidence_verify(
    target: str = typer.Argument(..., help="Sandbox id, or an exported bundle directory."),
    as_json: bool = JsonOpt,
) -> None:
    """Check the hash chain (exit 12 naming the first bad record), or a bundle's manifest too."""
    from dotbox import evidence, names
    from dotbox.errors import EvidenceBroken

    try:
        if Path(target).is_dir():
            report = evidence.verify_bundle(Path(target))
        else:
            names.sandbox_name(target)
            report = evidence.verify_file(evidence.ledger_path(target))
    except DotboxError as exc:
        fail(exc)
    if as_json:
        emit(report)
    elif report.ok:
        typer.echo(f"chain intact: {report.records} records, head {report.head}")
    if not report.ok:
        if not as_json:
            typer.echo(f"dotbox: error: {report.path}: {report.problem}", err=True)
        raise typer.Exit(EvidenceBroken.exit_code)


@evidence_app.command("export")
def evidence_export(
    sandbox: str = typer.Argument(..., help="Sandbox id."),
    out: Path = typer.Option(..., "--out", help="Empty or new directory for the bundle."),
    as_json: bool = JsonOpt,
) -> None:
    """Write the ledger and a manifest of sha256 and sizes into a bundle directory."""
    from dotbox import evidence, names

    try:
        names.sandbox_name(sandbox)
        bundle = evidence.export(sandbox, out)
    except DotboxError as exc:
        fail(exc)
    if as_json:
        emit({"bundle": str(bundle)})
    else:
        typer.echo(str(bundle))
