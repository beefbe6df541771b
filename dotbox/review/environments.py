"""Review environments: an application's compose project and its sandbox, with no network.

The engine's labels (``dotbox.role=review``, ``dotbox.review=ID``) are the state; the directory
dotbox owns (``$DOTBOX_HOME/reviews/ID``) keeps the generated compose file and what ``up``
decided (review.json), so that ``show`` and ``down`` can say what was made.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dotbox import evidence, images
from dotbox.core import files, paths, validate
from dotbox.core.errors import (
    ComposeFailed,
    Conflict,
    DropIncomplete,
    InvalidInput,
    NotFound,
    Refused,
)
from dotbox.core.labels import Label
from dotbox.core.models import ReviewDown, ReviewInfo, ReviewPart
from dotbox.core.records import SandboxCredentials
from dotbox.engine import cli_tools, client, containment
from dotbox.review import compose
from dotbox.sandboxes import inventory, lifecycle
from dotbox.snapshots import store

DEFAULT_TTL = timedelta(hours=8)
MAX_NAME = 24  # the sandbox is named ID-db and sandbox names stop at 32
DOCKERFILE = Path(__file__).parent / "data" / "review-tools.Dockerfile"


def reviews_dir(*, create: bool = True) -> Path:
    path = paths.data_home() / "reviews"
    if create:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def ensure_tools_image() -> str:
    """The relays' image (socat, python3, psql), built locally from the base image once; its
    id, once its label shows dotbox made it."""
    found = client.image(compose.TOOLS_IMAGE)
    if found is not None:
        return images.dotbox_made(found, compose.TOOLS_IMAGE, Label.ROLE, "review-tools").id
    cli_tools.build(compose.TOOLS_IMAGE, DOCKERFILE.read_text())
    return ensure_tools_image()


def labels_of(review_id: str, created: datetime, ttl: timedelta) -> dict[str, str]:
    return {
        Label.MANAGED_BY: "dotbox",
        Label.ROLE: "review",
        Label.REVIEW: review_id,
        Label.CREATED: created.isoformat(),
        Label.EXPIRES: (created + ttl).isoformat(),
        Label.HOME: str(paths.data_home()),
    }


def _db_env(user: str, database: str) -> dict[str, str]:
    """What an app's libpq needs; the password is in the file ``PGPASSFILE`` names."""
    return {
        "PGHOST": "127.0.0.1",
        "PGPORT": "5432",
        "PGUSER": user,
        "PGDATABASE": database,
        "DOTBOX_DATABASE_URL": f"postgresql://{user}@127.0.0.1:5432/{database}",
    }


def plan(
    app_file: Path,
    *,
    name: str | None = None,
    ttl: timedelta = DEFAULT_TTL,
    env: dict[str, str] | None = None,
) -> tuple[str, Path, str]:
    """What ``up`` would write, made of the checked file: (review id, directory, compose YAML).
    Nothing is created; images are named as written, the socket directory is a placeholder."""
    review_id = _new_id(name)
    app = compose.load(app_file, env)
    created = datetime.now(UTC).replace(microsecond=0)
    home = reviews_dir(create=False) / review_id
    refs = {s: app.images.get(s) or compose.built_tag(review_id, s) for s in app.services}
    at = compose.Placement(
        labels=labels_of(review_id, created, ttl),
        db_socket_dir=Path("<run directory>") / f"{review_id}-db" / "sock",
        db_env=_db_env(inventory.ROLE, inventory.DATABASE),
        pgpass=home / "pgpass",
        images=refs,
    )
    return review_id, home, compose.dump(compose.transform(app, at))


def _new_id(name: str | None) -> str:
    if name is None:
        return f"rv-{secrets.token_hex(4)}"
    try:
        validate.sandbox_name(name)
    except InvalidInput:
        ok = False
    else:
        ok = len(name) <= MAX_NAME
    if not ok:
        raise InvalidInput(
            f"invalid review name {name!r}: use 1-{MAX_NAME} characters a-z, 0-9 and '-',"
            " starting and ending with a letter or digit"
        )
    return name


def up(
    app_file: Path,
    *,
    snapshot: str = store.DEFAULT_SNAPSHOT,
    name: str | None = None,
    ttl: timedelta = DEFAULT_TTL,
    env: dict[str, str] | None = None,
) -> ReviewInfo:
    """Check the application's compose file, start its sandbox and its containers (all with
    network mode none), and return the loopback URLs. Every container is created stopped and
    read back from the engine before it starts. On any failure nothing is left."""
    review_id = _new_id(name)
    app = compose.load(app_file, env)  # refusals happen here, before anything exists
    refs = _local_images(app, review_id)
    store.get(snapshot)
    home = reviews_dir() / review_id
    if client.containers({Label.REVIEW: review_id}) or home.exists():
        raise Conflict(f"a review environment {review_id!r} exists", hint="pick another --name")
    tools = ensure_tools_image()
    cli_tools.compose_command()
    created = datetime.now(UTC).replace(microsecond=0)
    labels = labels_of(review_id, created, ttl)
    home.mkdir(mode=0o700)
    try:
        sandbox = _create_sandbox(review_id, snapshot, ttl)
        info, creds = sandbox.info, sandbox.credentials
        at = compose.Placement(
            labels=labels,
            db_socket_dir=creds.socket_dir,
            db_env=_db_env(creds.user, creds.database),
            pgpass=_write_pgpass(home, creds),
            images=refs,
        )
        project = compose.transform(app, at)
        file = home / "compose.yml"
        file.touch(mode=0o600)
        file.write_text(compose.dump(project))
        _write_meta(home, review_id, app_file, info.id, created, ttl)
        _build(review_id, file, app)
        ids = {s: client.image_id(ref) for s, ref in refs.items()}
        ids[compose.TOOLS_IMAGE] = tools
        _start_apps_then_parts(review_id, file, project, list(app.services), ids)
    except BaseException:
        _remove(review_id)
        raise
    result = show(review_id)
    _record_up(info.id, review_id, app_file, snapshot, ttl, env, result, file)
    return result


def _create_sandbox(review_id: str, snapshot: str, ttl: timedelta) -> lifecycle.Created:
    """The review's sandbox ``ID-db``, labelled as part of the review."""
    from dotbox.primitives.create import SandboxCreate
    from dotbox.primitives.facets import run

    creator = SandboxCreate(extra_labels={Label.REVIEW: review_id})
    run(creator, {"snapshot": snapshot, "name": f"{review_id}-db", "ttl": _ttl_text(ttl)})
    assert creator.created is not None
    return creator.created


def _write_pgpass(home: Path, creds: SandboxCredentials) -> Path:
    """The file ``PGPASSFILE`` names (0600): the sandbox's password, for any host and port."""
    pgpass = home / "pgpass"
    with paths.writing(pgpass):
        pgpass.touch(mode=0o600)
        pgpass.write_text(f"*:*:*:{creds.user}:{creds.password}\n")
    return pgpass


def _write_meta(
    home: Path, review_id: str, app_file: Path, sandbox_id: str, created: datetime, ttl: timedelta
) -> None:
    """review.json: what ``up`` decided, for ``show`` and ``down``."""
    meta = {
        "id": review_id,
        "project": _project(review_id),
        "app": str(app_file.resolve()),
        "sandbox": sandbox_id,
        "created": created.isoformat(),
        "expires": (created + ttl).isoformat(),
    }
    files.write_atomic(home / "review.json", json.dumps(meta, indent=2).encode())


def _start_apps_then_parts(
    review_id: str, file: Path, project: dict[str, Any], apps: list[str], ids: dict[str, str]
) -> None:
    """The application's services first, then the parts dotbox added: a relay joins its app's
    namespace, so the app runs first."""
    parts = [s for s in project["services"] if s not in apps]
    for phase in (apps, parts):
        if phase:
            _start_checked(review_id, file, project, ids, phase)


def _record_up(
    sandbox_id: str,
    review_id: str,
    app_file: Path,
    snapshot: str,
    ttl: timedelta,
    env: dict[str, str] | None,
    result: ReviewInfo,
    file: Path,
) -> None:
    """The evidence of ``up``, in the sandbox's record."""
    evidence.append(
        sandbox_id,
        "review-up",
        inputs={
            "review": review_id,
            "app": str(app_file.resolve()),
            "snapshot": snapshot,
            "ttl_seconds": ttl.total_seconds(),
            "env": sorted(env or {}),
        },
        outputs=result.model_dump(mode="json"),
        verify={
            "parts_running": len(result.model_dump().get("parts", [])),
            "read_back": "each container before start",
        },
        artifacts={"compose.yml": hashlib.sha256(file.read_bytes()).hexdigest()},
    )


def _local_images(app: compose.App, review_id: str) -> dict[str, str]:
    """Each service's image: the one the file names, which must already be on the engine
    (dotbox never pulls), or the tag dotbox builds for it from bases that are on the engine."""
    missing = [
        f"services.{s}: image {ref}"
        for s, refs in [*((s, (r,)) for s, r in app.images.items()), *app.bases.items()]
        for ref in refs
        if client.image(ref) is None
    ]
    if missing:
        raise Refused(
            f"{app.path} refused: not on this engine: {'; '.join(missing)}",
            hint="dotbox never pulls images: build or load them first; nothing was started",
        )
    return {s: app.images.get(s) or compose.built_tag(review_id, s) for s in app.services}


def _start_checked(
    review_id: str,
    file: Path,
    project: dict[str, Any],
    ids: dict[str, str],
    services: list[str],
) -> None:
    """Create ``services`` stopped, read each back from the engine, then start them."""
    name = _project(review_id)
    proc = cli_tools.compose(name, file, "up", "--no-start", "--no-deps", "--no-build", *services)
    _compose_ok(proc, review_id, "create")
    found = {
        c.labels.get("com.docker.compose.service", ""): c
        for c in client.containers({Label.REVIEW: review_id, Label.ROLE: "review"})
    }
    log_driver = client.default_log_driver()
    cgroup_v1 = client.cgroup_version() == "1"
    for service in services:
        container = found.get(service)
        if container is None:
            raise ComposeFailed(f"compose made no container for service {service} of {review_id}")
        inspect = client.container_json(container.id)
        expected = compose.expected(
            project, service, ids, name, found, inspect, host_cgroupns=cgroup_v1
        )
        reasons = containment.violations(inspect, expected, default_log_driver=log_driver)
        if reasons:
            raise Refused(
                f"review {review_id}: container {container.name}: {'; '.join(reasons)}",
                hint="everything was removed; nothing was started",
            )
    for service in _dependency_order(project, services):
        client.start_container(found[service].id)


def _dependency_order(project: dict[str, Any], services: list[str]) -> list[str]:
    """``services`` with each one after those it ``depends_on`` (compose refuses cycles)."""
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order or name not in services:
            return
        for dep in compose.as_dict(project["services"][name].get("depends_on")):
            visit(dep)
        order.append(name)

    for name in services:
        visit(name)
    return order


def _compose_ok(proc: subprocess.CompletedProcess[str], review_id: str, what: str) -> None:
    if proc.returncode != 0:
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
        raise ComposeFailed(f"compose {what} of review {review_id} failed: {tail}")


def _build(review_id: str, file: Path, app: compose.App) -> None:
    """Build the services that have a build (network none); a failed step leaves no
    container behind."""
    if not any("build" in svc for svc in app.services.values()):
        return
    # docker-compose's builder keeps failed steps' containers
    legacy = cli_tools.compose_command() == ("docker-compose",)
    proc = cli_tools.compose(
        _project(review_id), file, "build", *(["--force-rm"] if legacy else [])
    )
    _compose_ok(proc, review_id, "build")


def _project(review_id: str) -> str:
    return f"dotbox-{review_id}"


def _parts(review_id: str) -> list[ReviewPart]:
    found = client.containers({Label.REVIEW: review_id, Label.ROLE: "review"})
    return sorted(
        (
            ReviewPart(
                name=c.name,
                service=c.labels.get("com.docker.compose.service", ""),
                part=c.labels.get(compose.PART_LABEL, ""),
                status=c.status,
                network_mode=c.network_mode,
            )
            for c in found
        ),
        key=lambda p: p.name,
    )


def _urls(review_id: str, home: Path) -> dict[str, str]:
    forwarder = client.containers({Label.REVIEW: review_id, compose.PART_LABEL: "forwarder"})
    if not forwarder:
        return {}
    published = client.published_ports(forwarder[0].id)
    urls = {}
    for svc_port, forward in _forwards(home).items():
        if forward in published:
            ip, port = published[forward]
            urls[svc_port] = f"http://{ip}:{port}"
    return urls


def _forwards(home: Path) -> dict[str, int]:
    """SERVICE:PORT -> the forwarder's port, read from the generated file."""
    import yaml

    project = yaml.safe_load((home / "compose.yml").read_text())
    out = {}
    for svc in project["services"].values():
        if svc.get("labels", {}).get(compose.PART_LABEL) == "ingress":
            service = svc["network_mode"].removeprefix("service:")
            port = int(svc["command"][2].rsplit(":", 1)[1])
            out[f"{service}:{port}"] = 0
    forwarder = project["services"].get(compose.FORWARDER, {})
    for key, spec in zip(out, forwarder.get("ports", []), strict=False):
        out[key] = int(spec.rsplit(":", 1)[1])
    return out


def show(review_id: str) -> ReviewInfo:
    home = reviews_dir() / review_id
    try:
        meta = json.loads((home / "review.json").read_text())
    except (OSError, ValueError):
        if client.containers({Label.REVIEW: review_id}):
            raise NotFound(f"review {review_id} has containers but no directory {home}") from None
        raise NotFound(
            f"unknown review environment {review_id!r}", hint="see 'dotbox review list'"
        ) from None
    dsn = None
    try:
        _sb, creds = lifecycle.show(meta["sandbox"])
        dsn = creds.dsn if creds else None
    except NotFound:
        pass
    return ReviewInfo(
        id=review_id,
        project=meta["project"],
        dir=home,
        app=Path(meta["app"]),
        sandbox=meta["sandbox"],
        dsn=dsn,
        app_dsn="postgresql://sandbox@127.0.0.1:5432/sandbox (PG* variables set in each app)",
        urls=_urls(review_id, home),
        created=datetime.fromisoformat(meta["created"]),
        expires=datetime.fromisoformat(meta["expires"]),
        parts=_parts(review_id),
    )


def list_reviews() -> list[ReviewInfo]:
    ids = {
        c.labels[Label.REVIEW]
        for c in client.containers({Label.ROLE: "review", Label.HOME: str(paths.data_home())})
    }
    ids |= {p.name for p in reviews_dir().iterdir() if (p / "review.json").exists()}
    out = []
    for review_id in sorted(ids):
        try:
            out.append(show(review_id))
        except NotFound:
            continue
    return out


def logs(review_id: str, tail: int = 50) -> dict[str, str]:
    show(review_id)
    return {
        c.name: client.container_logs(c.id, tail=tail)
        for c in client.containers({Label.REVIEW: review_id, Label.ROLE: "review"})
    }


def _remove(review_id: str) -> tuple[int, int, int, bool]:
    """Remove everything labelled with the review (its sandbox included) and its directory."""
    by_label = {Label.REVIEW: review_id}
    containers = [c for c in client.containers(by_label) if c.labels.get(Label.ROLE) == "review"]
    removed = sum(client.remove_container(c.id) for c in containers)
    volumes = sum(client.remove_volume(v) for v in client.volumes(by_label))
    nets = sum(client.remove_network(n) for n in client.networks(by_label))
    for image in client.images(by_label):
        client.remove_image(image.id)
    dropped = False
    for sb in client.containers({**by_label, Label.ROLE: "sandbox"}):
        from dotbox.primitives import drop

        drop.drop_sandbox(sb.labels[Label.ID])
        dropped = True
    shutil.rmtree(reviews_dir() / review_id, ignore_errors=True)
    return removed, volumes, nets, dropped


def _ttl_text(ttl: timedelta) -> str:
    return f"{int(ttl.total_seconds())}s"


def down(review_id: str) -> ReviewDown:
    """Remove every container, volume, network and socket directory of the review environment,
    then read the engine and the file system back."""
    started = time.monotonic()
    home = reviews_dir() / review_id
    if not home.exists() and not client.containers({Label.REVIEW: review_id}):
        raise NotFound(f"unknown review environment {review_id!r}", hint="see 'dotbox review list'")
    removed, volumes, nets, dropped = _remove(review_id)
    left = []
    by_label = {Label.REVIEW: review_id}
    if client.containers(by_label):
        left.append("containers")
    if client.volumes(by_label):
        left.append("volumes")
    if client.networks(by_label):
        left.append("networks")
    if client.images(by_label):
        left.append("images")
    if home.exists():
        left.append(f"directory {home}")
    if paths.sandbox_dir(f"{review_id}-db").exists():
        left.append("sandbox socket directory")
    if left:
        raise DropIncomplete(f"down of review {review_id} left: {', '.join(left)}")
    report = ReviewDown(
        id=review_id,
        containers_removed=removed,
        volumes_removed=volumes,
        networks_removed=nets,
        sandbox_dropped=dropped,
        confirmed=True,
        seconds=round(time.monotonic() - started, 4),
    )
    evidence.append(
        f"{review_id}-db",
        "review-down",
        inputs={"review": review_id},
        outputs=report.model_dump(mode="json"),
        verify={"engine_read_back": "nothing with the review's label left"},
        seconds=report.seconds,
    )
    return report
