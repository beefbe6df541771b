"""dotbox image …"""

from __future__ import annotations

import typer

from dotbox.cli.shared import JsonOpt, command_module, emit, group, progress_display

commands = command_module()

image_app = group(commands, "image", "Base images (PostgreSQL per major) and baked sandbox images.")


@image_app.command("build")
def image_build(
    pg: int = typer.Option(..., "--pg", help="PostgreSQL major: 15, 17 or 18."),
) -> None:
    """Build the base image for a PostgreSQL major (official image, else Debian packages)."""
    from dotbox import images

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
