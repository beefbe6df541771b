"""dotbox review up | list | show | logs | down."""

from __future__ import annotations

from pathlib import Path

import typer

from dotbox.cli.shared import JsonOpt, command_module, emit, group

commands = command_module()

review = group(
    commands,
    "review",
    "Review environments: an application's compose project and a sandbox, none with a network.",
)


def _print(info: object) -> None:
    from dotbox.core.models import ReviewInfo

    assert isinstance(info, ReviewInfo)
    typer.echo(f"review   {info.id}  (compose project {info.project}, expires {info.expires})")
    for key, url in info.urls.items():
        typer.echo(f"url      {key:<16} {url}")
    typer.echo(f"sandbox  {info.sandbox}  {info.dsn or '(credentials not on this host)'}")
    typer.echo(f"files    {info.dir}/compose.yml")
    for p in info.parts:
        typer.echo(f"  {p.name:<40} {p.part:<10} {p.status:<8} network={p.network_mode}")
    typer.echo(f"down     dotbox review down {info.id}")


@review.command()
def up(
    app: Path = typer.Option(..., "--app", help="The application's ordinary compose file."),
    snapshot: str = typer.Option("default", "--snapshot", "-s", help="Snapshot of the sandbox."),
    name: str = typer.Option(None, "--name", "-n", help="Review id (default: rv-XXXXXXXX)."),
    ttl: str = typer.Option("8h", "--ttl", help="Time to live: 90s, 15m, 8h, 1d."),
    env: list[str] = typer.Option(
        [], "--env", "-e", help="KEY=VALUE for the file's ${KEY} (besides the project's .env)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the generated compose file."),
    as_json: bool = JsonOpt,
) -> None:
    """Run an application against a sandbox, every container with network mode none.

    The file is resolved as compose would (anchors, merge keys, ${VAR} from the project's .env
    and --env only, never the host's environment) and every key is allowlisted: anything that
    reaches outside (host network or namespaces, privileges, devices, log drivers, binds outside
    the project, images not on the engine, builds with a network) is refused with its path.
    Each container is created stopped and read back from the engine before it starts. Each
    exposed port is published on 127.0.0.1 by one forwarder; the app reaches the sandbox on
    localhost:5432 (PGPASSFILE holds the password). Rollback: 'dotbox review down ID'.
    """
    from dotbox.core import validate
    from dotbox.review import environments as rv

    duration = validate.ttl(ttl)
    variables = validate.assignments(env)
    if dry_run:
        review_id, home, text = rv.plan(app, name=name, ttl=duration, env=variables)
        if as_json:
            emit({"id": review_id, "dir": str(home), "compose": text, "dry_run": True})
        else:
            typer.echo(f"# would write {home}/compose.yml (nothing was done)\n{text}")
        return
    info = rv.up(app, snapshot=snapshot, name=name, ttl=duration, env=variables)
    if as_json:
        emit(info)
    else:
        _print(info)


@review.command("list")
def list_(as_json: bool = JsonOpt) -> None:
    """List review environments (read from the engine's labels and dotbox's directory)."""
    from dotbox.review import environments as rv

    found = rv.list_reviews()
    if as_json:
        emit(found)
        return
    if not found:
        typer.echo("no review environments")
    for info in found:
        urls = " ".join(info.urls.values()) or "-"
        typer.echo(f"{info.id:<24} {len(info.parts):>2} containers  {urls}  expires {info.expires}")


@review.command()
def show(review_id: str = typer.Argument(..., help="Review id."), as_json: bool = JsonOpt) -> None:
    """Show a review environment: URLs, sandbox DSN, containers and their network modes."""
    from dotbox.review import environments as rv

    info = rv.show(review_id)
    if as_json:
        emit(info)
    else:
        _print(info)


@review.command()
def logs(
    review_id: str = typer.Argument(..., help="Review id."),
    tail: int = typer.Option(50, "--tail", help="Lines per container."),
    as_json: bool = JsonOpt,
) -> None:
    """The last log lines of every container of a review environment."""
    from dotbox.review import environments as rv

    found = rv.logs(review_id, tail=tail)
    if as_json:
        emit(found)
        return
    for name, text in found.items():
        typer.echo(f"==> {name} <==\n{text.rstrip()}")


@review.command()
def down(review_id: str = typer.Argument(..., help="Review id."), as_json: bool = JsonOpt) -> None:
    """Remove every container, volume, network and socket directory of a review environment,
    its sandbox included, and confirm by reading the engine back. Cannot be undone."""
    from dotbox.review import environments as rv

    report = rv.down(review_id)
    if as_json:
        emit(report)
    else:
        typer.echo(f"down {report.id} in {report.seconds:.3f}s (confirmed gone)")
