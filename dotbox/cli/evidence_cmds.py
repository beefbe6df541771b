"""dotbox evidence show | verify | export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from dotbox.cli.primitive_cmds import DryRunOpt, cli_help, run_primitive, short_help
from dotbox.cli.shared import JsonOpt, command_module, emit, group

commands = command_module()

evidence_app = group(
    commands, "evidence", "Read back a sandbox's evidence ledger, check it, export it."
)


@evidence_app.command("show")
def evidence_show(
    sandbox: str = typer.Argument(..., help="Sandbox id."), as_json: bool = JsonOpt
) -> None:
    """Print the ledger's records (the ledger outlives its sandbox)."""
    from dotbox import evidence
    from dotbox.core import validate

    validate.sandbox_name(sandbox)
    records = evidence.read(evidence.ledger_path(sandbox))
    if as_json:
        emit(records)
        return
    for r in records:
        typer.echo(
            f"{r['seq']:>4} {r['time'][:19]} {r['primitive']:<16} "
            f"{r.get('seconds') or 0:>7.3f}s  {r['hash'][:16]}"
        )


def _readback(raw: dict[str, object], dry_run: bool, as_json: bool) -> None:
    def render(p: object, o: Any) -> None:
        chain = o.outputs["chain"]
        if not chain["ok"]:
            typer.echo(f"dotbox: error: {chain['path']}: {chain['problem']}", err=True)
            return
        typer.echo(f"chain intact: {chain['records']} records, head {chain['head']}")
        rechecks = o.outputs.get("rechecks_in_words") or o.outputs.get("rechecks") or {}
        for seq, result in rechecks.items():
            typer.echo(f"  record {seq}: {result}")
        if "bundle" in o.outputs:
            typer.echo(f"bundle: {o.outputs['bundle']} (verified against its manifest)")

    run_primitive("evidence-readback", raw, dry_run=dry_run, as_json=as_json, render=render)


@evidence_app.command(
    "verify", help=cli_help("evidence-readback"), short_help=short_help("evidence-readback")
)
def evidence_verify(
    target: str = typer.Argument(..., help="Sandbox id, or an exported bundle directory."),
    recheck: bool = typer.Option(
        True, "--recheck/--no-recheck", help="Re-check each record against the live sandbox."
    ),
    dry_run: bool = DryRunOpt,
    as_json: bool = JsonOpt,
) -> None:
    _readback({"target": target, "recheck": recheck}, dry_run, as_json)


@evidence_app.command("export")
def evidence_export(
    sandbox: str = typer.Argument(..., help="Sandbox id."),
    out: Path = typer.Option(..., "--out", help="Empty or new directory for the bundle."),
    dry_run: bool = DryRunOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Check the ledger and write it, its artifacts and a manifest of sha256 and sizes into a
    bundle directory (evidence-readback with --out); `dotbox evidence verify DIR` checks it."""
    _readback({"target": sandbox, "out": out}, dry_run, as_json)
