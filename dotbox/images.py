"""Base images (PostgreSQL per major) and sandbox images (a snapshot baked into a base).

A sandbox image is named by a hash of everything that shapes it (snapshot digest, PostgreSQL
major, base image id, the bake recipe), so a stale image is never reused and baking the same
key twice does nothing.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from dotbox import engine, fingerprint, paths, snapshots, sqltext
from dotbox.errors import BakeFailed, DotboxError, InvalidInput, NotFound, Refused
from dotbox.models import ImageInfo, SnapshotManifest

BASE_REPO = "dotbox/base"
SANDBOX_REPO = "dotbox/sandbox"
DATA_DIR = "/var/lib/postgresql/dotbox"
BAKE_DIR = "/tmp/dotbox-bake"
RECIPE_FILES = (
    "bake.sh",
    "runtime.conf",
    "pg_hba.conf",
    "pg_hba_forwarded.conf",
    "pg_ident_forwarded.conf",
    "warm.sql",
)
FORWARDED_AUTH = [  # server options of a sandbox made with --tcp (see pg_hba_forwarded.conf)
    "-c",
    "hba_file=/var/lib/postgresql/dotbox-hba-forwarded.conf",
    "-c",
    "ident_file=/var/lib/postgresql/dotbox-ident-forwarded.conf",
]
FINGERPRINT_FILE = "/var/lib/postgresql/dotbox-fingerprint.json"  # written by bake.sh
WARM_FILE = "/var/lib/postgresql/dotbox-warm"  # written by bake.sh (warm.sql)
_RELATION_FILE = re.compile(r"^(global|base/[0-9]+)/[0-9]+$")
OFFLINE_MAJORS = (15, 17, 18)
PROGRESS_MARKS = 100

Progress = Callable[[str, int, int], None]  # (phase, done, total)

_PSQL_ERROR = re.compile(r"^psql:(?P<file>[^:]+):(?P<line>\d+): (?P<message>(ERROR|FATAL):.*)$")


def _no_progress(phase: str, done: int, total: int) -> None:
    pass


def _recipe(name: str) -> bytes:
    return resources.files("dotbox").joinpath(f"data/{name}").read_bytes()


def recipe_digest() -> str:
    h = hashlib.sha256()
    for name in RECIPE_FILES:
        h.update(_recipe(name))
    h.update(_PREPARE.encode() + _FINISH.encode() + fingerprint.AS_JSON_SQL.encode())
    h.update(json.dumps(server_entrypoint(0, ["base/1/1"])).encode())
    return h.hexdigest()


def base_tag(major: int) -> str:
    return f"{BASE_REPO}:pg{major}"


def base_image(major: int, *, build: bool = True, progress: Progress = _no_progress) -> ImageInfo:
    """The base image for ``major``; built from Debian packages if missing and ``build``."""
    found = engine.image(base_tag(major))
    if found is not None:
        return dotbox_made(found, base_tag(major), "dotbox.base", f"pg{major}")
    if not build:
        raise NotFound(
            f"base image {base_tag(major)} is missing",
            hint=f"build it with 'dotbox image build --pg {major}' or 'make images'",
        )
    build_base(major, progress=progress)
    built = engine.image(base_tag(major))
    if built is None:
        raise NotFound(f"base image {base_tag(major)} is still missing after building it")
    return dotbox_made(built, base_tag(major), "dotbox.base", f"pg{major}")


def dotbox_made(found: ImageInfo, tag: str, label: str, value: str | None = None) -> ImageInfo:
    """``found`` (the image at ``tag``) if it carries dotbox's ``label`` (equal to ``value``,
    if given): an image at a dotbox tag without it was not made by dotbox and is refused."""
    actual = found.labels.get(label)
    if actual is None or (value is not None and actual != value):
        wanted = f"{label}={value}" if value is not None else label
        raise Refused(
            f"image {tag} ({found.id[:19]}) has no {wanted} label: dotbox did not make it;"
            " refusing to run it",
            hint=f"remove that tag ('docker rmi {tag}') and let dotbox build it",
        )
    return found


def build_base(major: int, *, progress: Progress = _no_progress) -> None:
    """Run the offline base recipe (mmdebstrap + docker import, or the official image)."""
    engine.ping()
    script = resources.files("dotbox").joinpath("data/build-base.sh")
    with resources.as_file(script) as path:
        progress(f"base pg{major}", 0, 1)
        proc = subprocess.run(
            ["bash", str(path), str(major)], capture_output=True, text=True, check=False
        )
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise BakeFailed(
            f"building base image {base_tag(major)} failed: {' / '.join(tail)}",
            hint="build it by hand with images/base/build.sh to see the whole log",
        )
    progress(f"base pg{major}", 1, 1)


def check_major(manifest: SnapshotManifest) -> None:
    """Refuse, before any container starts, a snapshot whose DDL needs a newer major."""
    if manifest.min_major and manifest.pg_major < manifest.min_major:
        raise InvalidInput(
            f"snapshot {manifest.name!r} needs PostgreSQL {manifest.min_major}"
            f" ({manifest.min_major_reason}); it cannot bake on {manifest.pg_major}",
            hint=f"re-import it with --pg {manifest.min_major}",
        )


def sandbox_key(manifest: SnapshotManifest, base: ImageInfo, recipe: str | None = None) -> str:
    text = f"{manifest.digest}|pg{manifest.pg_major}|{base.id}|{recipe or recipe_digest()}"
    return hashlib.sha256(text.encode()).hexdigest()


def sandbox_tag(manifest: SnapshotManifest, base: ImageInfo, recipe: str | None = None) -> str:
    return f"{SANDBOX_REPO}:pg{manifest.pg_major}-{sandbox_key(manifest, base, recipe)[:20]}"


def baked_image(tag: str, recipe: str) -> ImageInfo | None:
    """The image at ``tag`` if it was baked by ``recipe`` (its label says so). An image whose
    label disagrees with its tag (its recipe changed while it baked) is not used: it is baked
    anew, which moves the tag. An image there with no recipe label at all is not dotbox's and
    is refused."""
    found = engine.image(tag)
    if found is None:
        return None
    return (
        found
        if dotbox_made(found, tag, "dotbox.recipe").labels["dotbox.recipe"] == recipe
        else None
    )


def sandbox_image(manifest: SnapshotManifest, *, progress: Progress = _no_progress) -> ImageInfo:
    """The baked image for ``manifest``, baking it first if it does not exist yet."""
    check_major(manifest)
    base = base_image(manifest.pg_major, progress=progress)
    recipe = recipe_digest()  # once: the tag and the label of a bake must agree
    tag = sandbox_tag(manifest, base, recipe)
    found = baked_image(tag, recipe)
    if found is not None:
        return found
    with _bake_lock(tag):
        found = baked_image(tag, recipe)  # another process may have baked it while we waited
        if found is not None:
            return found
        bake(manifest, base, tag, recipe=recipe, progress=progress)
    baked = baked_image(tag, recipe)
    if baked is None:
        raise BakeFailed(f"bake of {manifest.name} reported success but {tag} is missing")
    return baked


@contextmanager
def _bake_lock(tag: str) -> Iterator[None]:
    lock_path = paths.locks_dir() / f"bake-{tag.rsplit(':', 1)[1]}.lock"
    with open(lock_path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


_PREPARE = """\
{roles}
CREATE ROLE sandbox LOGIN SUPERUSER;
CREATE DATABASE sandbox OWNER sandbox;
"""

_FINISH = """\
{demote}
-- The sandbox role owns what the DDL created and is a member of every role it references,
-- so OWNER TO and GRANT keep their meaning while the role itself stays unprivileged.
DO $$
DECLARE r text;
BEGIN
  FOR r IN SELECT rolname FROM pg_roles
           WHERE rolname NOT IN ('dotbox_admin', 'sandbox') AND rolname !~ '^pg_'
             AND NOT rolsuper
  LOOP
    EXECUTE format('GRANT %I TO sandbox', r);
  END LOOP;
END $$;
ALTER ROLE sandbox NOSUPERUSER;
CHECKPOINT;
"""


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def with_progress_marks(text: str, statements: list[sqltext.Statement]) -> tuple[str, list[int]]:
    """Insert ``\\echo dotbox:progress i/n`` lines between statements.

    Returns the new text and, sorted, the output line numbers that were inserted, so that a
    line psql reports can be mapped back to the snapshot's own line.
    """
    sql = [st for st in statements if st.kind != "meta"]
    total = len(sql)
    if total == 0:
        return text, []
    step = -(-total // PROGRESS_MARKS)
    after: dict[int, int] = {}  # original line -> statements done when it ends
    for i, st in enumerate(sql, start=1):
        if i % step == 0 or i == total:
            after[st.end_line] = i
    lines = text.split("\n")
    out: list[str] = []
    inserted: list[int] = []
    for number, line in enumerate(lines, start=1):
        out.append(line)
        if number in after:
            out.append(f"\\echo dotbox:progress {after[number]}/{total}")
            inserted.append(len(out))
    return "\n".join(out), inserted


def original_line(reported: int, inserted: list[int]) -> int:
    return reported - sum(1 for n in inserted if n < reported)


def bake(
    manifest: SnapshotManifest,
    base: ImageInfo,
    tag: str,
    *,
    recipe: str,
    progress: Progress = _no_progress,
) -> None:
    """Apply the snapshot to a fresh data directory in a throwaway container; commit it."""
    text = snapshots.ddl_text(manifest)
    statements = sqltext.split(text)
    marked, inserted = with_progress_marks(text, statements)
    # An event trigger's owner must be a superuser when it is given the trigger: such a role is
    # SUPERUSER while the DDL runs, and finish.sql takes that away again (ownership stays).
    roles = "\n".join(
        f"CREATE ROLE {_quote_ident(r)} NOLOGIN"
        f"{' SUPERUSER' if r in manifest.superuser_roles else ''};"
        for r in manifest.roles
    )
    files = {
        "bake.sh": _recipe("bake.sh"),
        **{name: _recipe(name) for name in RECIPE_FILES if name.endswith((".conf", ".sql"))},
        "prepare.sql": _PREPARE.format(roles=roles).encode(),
        "finish.sql": _FINISH.format(
            demote="\n".join(
                f"ALTER ROLE {_quote_ident(r)} NOSUPERUSER;" for r in manifest.superuser_roles
            )
        ).encode(),
        "snapshot.sql": marked.encode(),
        "fingerprint.sql": fingerprint.AS_JSON_SQL.encode(),
    }
    key = tag.rsplit(":", 1)[1]
    spec = engine.ContainerSpec(
        image=base.id,
        name=f"dotbox-bake-{key}-{int(time.time() * 1000) % 10**8}",
        labels={engine.MANAGED_BY: "dotbox", "dotbox.role": "bake", "dotbox.image": tag},
        command=["sleep", "infinity"],
        user="postgres",
    )
    started = time.monotonic()
    container = engine.run_container(spec)
    output: list[str] = []

    def on_line(line: str) -> None:
        if line.startswith("dotbox:progress "):
            done, total = line.split()[1].split("/")
            progress("apply DDL", int(done), int(total))
        elif line.startswith("dotbox:phase "):
            progress(line.split()[1], 0, 0)
        else:
            output.append(line)

    try:
        engine.put_files(container, BAKE_DIR, files)
        code = engine.exec_stream(
            container, ["sh", f"{BAKE_DIR}/bake.sh"], user="postgres", on_line=on_line
        )
        if code != 0:
            raise _bake_error(manifest, statements, inserted, output)
        warm = (engine.read_file(container, WARM_FILE) or b"").decode().split()
        progress("commit", 0, 0)
        engine.commit(
            container,
            SANDBOX_REPO,
            key,
            changes=[
                "USER postgres",
                f"ENV PGDATA={DATA_DIR}",
                "WORKDIR /var/lib/postgresql",
                f"ENTRYPOINT {json.dumps(server_entrypoint(manifest.pg_major, warm))}",
                "CMD []",
            ],
            labels={
                engine.MANAGED_BY: "dotbox",
                "dotbox.role": "sandbox-image",
                "dotbox.snapshot": manifest.name,
                "dotbox.snapshot.digest": manifest.digest,
                "dotbox.pg": str(manifest.pg_major),
                "dotbox.base": base.id,
                "dotbox.recipe": recipe,
                "dotbox.bake-seconds": f"{time.monotonic() - started:.1f}",
            },
        )
        progress("done", 1, 1)
    finally:
        engine.remove_container(container)


def server_entrypoint(pg_major: int, warm: list[str]) -> list[str]:
    """A sandbox image's entrypoint: the server, and beside it, in the background, an open for
    writing of each catalog file in ``warm`` (relative to the data directory; see warm.sql), so
    that overlayfs copies them up while the server starts rather than when it first reads them."""
    server = f"/usr/lib/postgresql/{pg_major}/bin/postgres"
    if not warm:
        return [server, "-D", DATA_DIR]
    bad = [f for f in warm if not _RELATION_FILE.match(f)]
    if bad:
        raise BakeFailed(f"the bake listed unexpected catalog files: {bad!r}")
    script = (
        f"cd {DATA_DIR} && (for f in {' '.join(warm)}; do"
        ' [ -f "$f" ] && true 3<>"$f"; done; exit 0) &'  # exit 0: the server reaps it
        f' exec {server} -D {DATA_DIR} "$@"'
    )
    return ["sh", "-c", script, "dotbox-sandbox"]


def _bake_error(
    manifest: SnapshotManifest,
    statements: list[sqltext.Statement],
    inserted: list[int],
    output: list[str],
) -> DotboxError:
    origin = Path(manifest.source).name if manifest.source_kind == "import" else manifest.name
    for line in output:
        m = _PSQL_ERROR.match(line)
        if not m:
            continue
        message = m.group("message").replace("ERROR:  ", "").replace("FATAL:  ", "")
        if not m.group("file").endswith("snapshot.sql"):
            return BakeFailed(
                f"bake of snapshot {manifest.name!r} failed while preparing: {message}"
            )
        line_no = original_line(int(m.group("line")), inserted)
        st = sqltext.statement_at(statements, line_no)
        shown = " ".join((st.text if st else "").split())
        if len(shown) > 160:
            shown = shown[:157] + "..."
        return BakeFailed(
            f"{origin}:{line_no}: {message}" + (f" in: {shown}" if shown else ""),
            hint=f"snapshot {manifest.name!r} did not bake on PostgreSQL {manifest.pg_major};"
            " no image was made",
        )
    tail = " / ".join(x.strip() for x in output[-3:] if x.strip()) or "no output"
    return BakeFailed(f"bake of snapshot {manifest.name!r} failed: {tail}")


def remove_sandbox_images(manifest: SnapshotManifest | None = None) -> list[str]:
    labels = {engine.MANAGED_BY: "dotbox", "dotbox.role": "sandbox-image"}
    if manifest is not None:
        labels["dotbox.snapshot.digest"] = manifest.digest
    removed = []
    for img in engine.images(labels):
        engine.remove_image(img.id)
        removed.append(img.id)
    return removed
