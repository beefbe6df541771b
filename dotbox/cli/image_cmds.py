"""dotbox image …"""

from __future__ import annotations

from datetime import timedelta

import typer

from dotbox.cli.shared import JsonOpt, command_module, emit, group, progress_display

commands = command_module()

image_app = group(commands, "image", "Base images (PostgreSQL per major) and baked sandbox images.")


@image_app.command("build")
def image_build(
    pg: int = typer.Option(..., "--pg", help="PostgreSQL major: 15, 17 or 18."),
    tools: bool = typer.Option(
        False,
        "--tools",
        help="Build the tools image (dotbox/tools:pgNN, for 'dotbox run --image tools')"
        " instead of the base image: psql, pg_dump, Python 3 with psycopg, SQLAlchemy,"
        " Alembic and Django, from Debian's packages.",
    ),
) -> None:
    """Build the base image for a PostgreSQL major (official image, else Debian packages), or
    with --tools the tools image (Debian packages, offline; does nothing if it is current)."""
    from dotbox import images

    if tools:
        from dotbox.sandboxes import run_image

        with progress_display() as progress:
            found = run_image.tools_image(pg, progress=progress)
        typer.echo(f"{run_image.tools_tag(pg)} {found.id[:19]}")
        return
    with progress_display() as progress:
        images.build_base(pg, progress=progress)
    typer.echo(images.base_tag(pg))


@image_app.command("bake")
def image_bake(snapshot: str = typer.Argument("default"), as_json: bool = JsonOpt) -> None:
    """Bake a snapshot into its sandbox image (does nothing if that image exists)."""
    from dotbox import images
    from dotbox.snapshots import store

    with progress_display() as progress:
        img = images.sandbox_image(store.get(snapshot), progress=progress)
    if as_json:
        emit(img)
    else:
        typer.echo(img.tags[0] if img.tags else img.id)


@image_app.command("list")
def image_list(as_json: bool = JsonOpt) -> None:
    """List dotbox's base, tools and baked images: snapshot, major, size, created, users."""
    from dotbox.maintenance import image_inventory

    found = image_inventory.rows()
    if as_json:
        emit(found)
        return
    for line in image_inventory.text_lines(found):
        typer.echo(line)


@image_app.command("rm")
def image_rm(
    images: list[str] = typer.Argument(..., help="Image tags or ids (see 'dotbox image list')."),
    as_json: bool = JsonOpt,
) -> None:
    """Remove base, tools or baked images. Refused (exit 8) while a container uses one, or
    while baked images are built on a base; an image that is not dotbox's is refused (exit 4)."""
    from dotbox.maintenance import image_inventory

    removed = [image_inventory.remove(ref) for ref in images]
    if as_json:
        emit(removed)
        return
    for r in removed:
        typer.echo(f"removed {r.tag or r.id} ({image_inventory.size_text(r.size_bytes)})")


@image_app.command("prune")
def image_prune(
    older_than: str = typer.Option(
        None, "--older-than", help="Also remove images unused for this long: 12h, 7d (≤ 30d)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would go; remove nothing."),
    as_json: bool = JsonOpt,
) -> None:
    """Remove the baked images this DOTBOX_HOME baked whose snapshot is gone from it, and with
    --older-than those no sandbox of it used (nor it baked) for that long. Never a base image,
    another home's bake, or an image a container uses."""
    from dotbox.maintenance import image_inventory

    age = _duration(older_than) if older_than is not None else None
    report = image_inventory.prune(older_than=age, dry_run=dry_run)
    if as_json:
        emit(report)
        return
    verb = "would remove" if dry_run else "removed"
    for r in report.removed:
        typer.echo(
            f"{verb} {r.tag or r.id} ({image_inventory.size_text(r.size_bytes)}): {r.reason}"
        )
    for tag in report.kept_in_use:
        typer.echo(f"kept {tag}: in use")
    typer.echo(
        f"{verb} {len(report.removed)} image(s), {image_inventory.size_text(report.freed_bytes)}"
    )


def _duration(text: str) -> timedelta:
    from dotbox.core import validate
    from dotbox.core.errors import InvalidInput

    try:
        return validate.ttl(text)
    except InvalidInput:
        raise InvalidInput(
            f"invalid --older-than {text!r}: a duration from 1s to 30d such as 12h or 7d"
        ) from None
