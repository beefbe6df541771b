"""The governed primitives on the command line: vocab build, verify, harness, apply, rollback,
and ``dotbox primitives`` (the catalogue with its facets, or a tool-registry manifest).

Every primitive command has ``--dry-run`` (print the plan, change nothing) and ``--json``, and
the same help sections, generated from dotbox.primitives.catalogue."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from dotbox.cli.options import DryRunOpt as DryRunOpt  # here for the command modules
from dotbox.cli.options import cli_help as cli_help
from dotbox.cli.options import short_help as short_help
from dotbox.cli.shared import JsonOpt, command_module, emit, group, progress_display
from dotbox.core.records import jsonable

commands = command_module()


def run_primitive(
    name: str,
    raw: dict[str, Any],
    *,
    dry_run: bool,
    as_json: bool,
    render: Callable[[Any, Any], None],
) -> Any:
    """Run one primitive through the lifecycle; print its plan, report or error; exit with its
    failure code when its postconditions do not hold."""
    from dotbox.primitives.facets import run
    from dotbox.primitives.registry import CATALOGUE

    kind = CATALOGUE[name]
    with progress_display() as progress:
        primitive = kind(progress)
        outcome = run(primitive, raw, dry_run=dry_run)
    if dry_run:
        if as_json:
            emit(outcome)
        else:
            typer.echo(f"dry run: {name}: {outcome.plan.summary} (nothing was done)")
            for i, step in enumerate(outcome.plan.steps, 1):
                typer.echo(f"  {i:>3}. {step}")
        return outcome
    if as_json:
        emit({**{k: v for k, v in jsonable(outcome).items() if k != "plan"}, "ok": outcome.ok})
    else:
        render(primitive, outcome)
        typer.echo(f"evidence: record {outcome.record} of {outcome.target}'s ledger")
    if not outcome.ok:
        raise typer.Exit(kind.failure.exit_code)
    return outcome


# ---- vocab build -----------------------------------------------------------------------

vocab_app = group(
    commands, "vocab", "Controlled vocabularies: label every catalog object of a sandbox."
)


def _render_vocab(p: Any, o: Any) -> None:
    c = o.verify.checks
    typer.echo(
        f"vocab-build {o.target}: {o.plan.summary}; {c['objects']} objects,"
        f" {c['labels']} labels; labels match rules: {c['labels_match_rules']},"
        f" unknown code rejected with {c['unknown_code_rejected_with']}"
    )
    for vocab, codes in c["coverage"].items():
        total = sum(codes.values()) or 1
        typer.echo(f"  {vocab}:")
        for code, n in codes.items():
            typer.echo(f"    {code:<20} {n:>6}  {100 * n / total:5.1f}%")
        unclassified = c["unclassified"].get(vocab, [])
        if unclassified:
            shown = ", ".join(unclassified[:10]) + (" …" if len(unclassified) > 10 else "")
            typer.echo(f"    unclassified ({len(unclassified)}): {shown}")


@vocab_app.command("build", help=cli_help("vocab-build"), short_help=short_help("vocab-build"))
def vocab_build(
    sandbox: str = typer.Argument(..., help="Sandbox id."),
    vocab: Path = typer.Option(..., "--vocab", help="Vocabulary file (YAML)."),
    dry_run: bool = DryRunOpt,
    as_json: bool = JsonOpt,
) -> None:
    run_primitive(
        "vocab-build",
        {"sandbox": sandbox, "vocab": vocab},
        dry_run=dry_run,
        as_json=as_json,
        render=_render_vocab,
    )


# ---- verify ------------------------------------------------------------------------------


def _render_verify(p: Any, o: Any) -> None:
    c = o.verify.checks
    typer.echo(f"verify {o.target}: {c['summary']}")
    for line in c.get("drift_in_words", c["drift"]):
        typer.echo(f"  drift: {line}")
    for check in c["checks"]:
        if check["ok"]:
            typer.echo(f"  check {check['name']}: ok")
        else:
            got = check["error"] or f"got {check['actual']!r}"
            typer.echo(f"  check {check['name']}: FAILED, expected {check['expected']!r}, {got}")


@commands.command("verify", help=cli_help("verify"), short_help=short_help("verify"))
def verify_(
    sandbox: str = typer.Argument(..., help="Sandbox id."),
    checks: Path = typer.Option(None, "--checks", help="Checks file (YAML)."),
    dry_run: bool = DryRunOpt,
    as_json: bool = JsonOpt,
) -> None:
    run_primitive(
        "verify",
        {"sandbox": sandbox, "checks": checks},
        dry_run=dry_run,
        as_json=as_json,
        render=_render_verify,
    )


# ---- harness -----------------------------------------------------------------------------


def _render_harness(p: Any, o: Any) -> None:
    marks = {"passed": "pass", "failed": "FAIL", "skipped": "skip"}
    for r in p.results:
        why = f": {r.reason}" if r.reason else ""
        typer.echo(f"  {marks[r.outcome]} {r.actual:<8} (want {r.expected}) {r.name}{why}")
    out, c = o.outputs, o.verify.checks
    typer.echo(
        f"harness {o.target}: {out['passed']} passed, {out['skipped']} skipped,"
        f" {out['failed']} failed of {out['cases']} cases;"
        f" nothing written or lost: {c['nothing_written_or_lost']}"
        f" ({c['tables_and_sequences']} tables and sequences read before and after)"
    )
    for reason, n in out["skip_reasons"].items():
        typer.echo(f"  skipped {n}: {reason}")


@commands.command(
    "harness", help=cli_help("bad-input-harness"), short_help=short_help("bad-input-harness")
)
def harness_(
    sandbox: str = typer.Argument(..., help="Sandbox id."),
    cases: Path = typer.Option(None, "--cases", help="Cases file (YAML)."),
    auto: bool = typer.Option(False, "--auto", help="Derive cases from the catalog."),
    dry_run: bool = DryRunOpt,
    as_json: bool = JsonOpt,
) -> None:
    run_primitive(
        "bad-input-harness",
        {"sandbox": sandbox, "cases": cases, "auto": auto},
        dry_run=dry_run,
        as_json=as_json,
        render=_render_harness,
    )


# ---- apply -------------------------------------------------------------------------------


def _render_apply(p: Any, o: Any) -> None:
    c = o.verify.checks
    typer.echo(
        f"applied {o.outputs['statements']} statements to {o.target} in one transaction;"
        f" schema changed: {c['schema_changed']}"
    )
    for line in c.get("drift_from_snapshot_in_words", c["drift_from_snapshot"]):
        typer.echo(f"  drift: {line}")


@commands.command("apply", help=cli_help("apply"), short_help=short_help("apply"))
def apply_(
    sandbox: str = typer.Argument(..., help="Sandbox id."),
    files: list[Path] = typer.Argument(..., help="SQL files, applied in order."),
    dry_run: bool = DryRunOpt,
    as_json: bool = JsonOpt,
) -> None:
    run_primitive(
        "apply",
        {"sandbox": sandbox, "files": files},
        dry_run=dry_run,
        as_json=as_json,
        render=_render_apply,
    )


# ---- rollback and the catalogue ---------------------------------------------------------


@commands.command("rollback")
def rollback_(
    sandbox: str = typer.Argument(..., help="Sandbox id."),
    record: int = typer.Argument(..., help="Number of the ledger record to undo."),
    dry_run: bool = DryRunOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Undo what one evidence record did, where its primitive can be undone (vocab-build
    restores the labels as they were; sandbox-create drops the sandbox). Others say why not
    (exit 4)."""
    from dotbox.primitives.rollback import rollback

    result = rollback(sandbox, record, dry_run=dry_run)
    if as_json:
        emit(result)
    elif dry_run:
        typer.echo(
            f"dry run: would roll back record {record} ({result['primitive']}):"
            f" {result['rollback']}"
        )
    else:
        typer.echo(
            f"rolled back record {record} ({result['primitive']}): {result['outputs']};"
            f" recorded as record {result['rollback_record']}"
        )
    if not dry_run and not result["ok"]:
        raise typer.Exit(15)


@commands.command("primitives")
def primitives_(
    registry: bool = typer.Option(
        False, "--registry", help="Print a tool-registry manifest (code, entry point, sha256)."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """List the governed primitives with their eight facets."""
    from dotbox.cli.help_text import catalogue_data, registry_manifest

    if registry:
        emit(registry_manifest())
        return
    data = catalogue_data()
    if as_json:
        emit(data)
        return
    for p in data:
        typer.echo(f"{p['code']}  {p['name']:<18} {p['command']:<22} {p['script'] or '-'}")
        for facet, text in p["facets"].items():
            typer.echo(f"      {facet:<9} {text[:96]}{'…' if len(text) > 96 else ''}")
