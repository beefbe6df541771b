"""dotbox image list | rm | prune. Images are shared by everyone on the engine, so every test
here bakes snapshots of its own (a table named for the session: an image of its own) and
removes only those; prune runs in homes made for the test, and a home prunes only what it
baked (the boundary gc keeps), which the test proves with a second home's bake beside it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dotbox.engine import client
from tests.conftest import unique

made: list[str] = []  # image ids this module baked: removed at the end, whatever happened


@pytest.fixture(scope="module", autouse=True)
def _remove_what_we_baked() -> Iterator[None]:
    yield
    for image_id in made:
        if client.image(image_id) is not None:
            client.remove_image(image_id)


def dotbox_in(home: Path | None, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ.copy()
    if home is not None:
        env["DOTBOX_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "dotbox", *args], capture_output=True, text=True, env=env,
        timeout=600,
    )  # fmt: skip


def ok(home: Path | None, *args: str) -> Any:
    done = dotbox_in(home, *args)
    assert done.returncode == 0, f"dotbox {' '.join(args)}: {done.stderr}"
    return json.loads(done.stdout) if "--json" in args else done.stdout


def snapshot_of_its_own(home: Path | None, tmp: Path, name: str, table: str) -> str:
    """Import a snapshot with a table nobody else has and bake it: returns the image id."""
    ddl = tmp / f"{name}.sql"
    ddl.write_text(f"CREATE TABLE {table}_{unique('t').replace('-', '_')} (x int);\n")
    ok(home, "snapshot", "import", str(ddl), "--name", name, "--replace")
    image = ok(home, "image", "bake", name, "--json")
    made.append(image["id"])
    return str(image["id"])


def listed(home: Path | None) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in ok(home, "image", "list", "--json")}


def test_list_shows_a_bake_and_what_uses_it_and_rm_waits_until_nothing_does(
    tmp_path: Path,
) -> None:
    name = unique("img-a")
    image = snapshot_of_its_own(None, tmp_path, name, "img_a")
    row = listed(None)[image]
    assert (row["kind"], row["snapshot"], row["pg_major"]) == ("baked", name, 17)
    assert row["snapshot_here"] is True and row["baked_here"] is True
    assert (
        row["size_bytes"] > 0
        and row["sandboxes"] == []
        and row["tag"].startswith("dotbox/sandbox:pg17-")
    )
    assert "dotbox/base:pg17" in ok(None, "image", "list")  # bases are listed too
    created = ok(None, "create", "--snapshot", name, "--json")
    try:
        assert listed(None)[image]["sandboxes"] == [created["id"]]
        refused = dotbox_in(None, "image", "rm", row["tag"])
        assert refused.returncode == 8 and "in use" in refused.stderr
        assert refused.stderr.count("\n") <= 2
        assert client.image(image) is not None
    finally:
        ok(None, "drop", created["id"])
    removed = ok(None, "image", "rm", row["tag"], "--json")
    assert [r["id"] for r in removed] == [image]
    assert client.image(image) is None and image not in listed(None)


def test_rm_of_an_unknown_or_foreign_image_is_refused(tmp_path: Path) -> None:
    missing = dotbox_in(None, "image", "rm", "dotbox/sandbox:pg17-" + "0" * 20)
    assert missing.returncode == 3
    foreign = unique("not-dotbox") + ":x"
    empty = tmp_path / "empty.tar"
    subprocess.run(["tar", "cf", str(empty), "--files-from", "/dev/null"], check=True)
    subprocess.run(["docker", "import", str(empty), foreign], check=True, capture_output=True)
    try:
        refused = dotbox_in(None, "image", "rm", foreign)
        assert refused.returncode == 4 and "not a dotbox" in refused.stderr
        assert client.image(foreign) is not None
    finally:
        subprocess.run(["docker", "rmi", foreign], check=True, capture_output=True)


def _age_record(home: Path, image_id: str, days: int) -> None:
    """This home's record of a bake, moved into the past (as if baked ``days`` ago)."""
    path = home / "baked" / f"{image_id.removeprefix('sha256:')}.json"
    record = json.loads(path.read_text())
    record["baked_at"] = (datetime.now(UTC) - timedelta(days=days)).isoformat()
    path.write_text(json.dumps(record))


def test_prune_keeps_to_its_home_its_snapshots_and_what_is_used(tmp_path: Path) -> None:
    home_a, home_b = tmp_path / "home-a", tmp_path / "home-b"
    gone_a = snapshot_of_its_own(home_a, tmp_path, "gone", "prune_gone")
    kept_a = snapshot_of_its_own(home_a, tmp_path, "kept", "prune_kept")
    gone_b = snapshot_of_its_own(home_b, tmp_path, "other", "prune_other")
    ok(home_a, "snapshot", "rm", "gone")
    ok(home_b, "snapshot", "rm", "other")
    planned = ok(home_a, "image", "prune", "--dry-run", "--json")
    assert [r["id"] for r in planned["removed"]] == [gone_a] and planned["dry_run"]
    assert "is gone from this home" in planned["removed"][0]["reason"]
    assert client.image(gone_a) is not None  # a dry run removes nothing
    pruned = ok(home_a, "image", "prune", "--json")
    assert [r["id"] for r in pruned["removed"]] == [gone_a]
    assert client.image(gone_a) is None
    assert client.image(kept_a) is not None  # its snapshot is still home A's
    assert client.image(gone_b) is not None  # home B's bake: not home A's to prune
    assert [r["id"] for r in ok(home_b, "image", "prune", "--json")["removed"]] == [gone_b]
    assert client.image(gone_b) is None


def test_prune_older_than_counts_the_last_sandbox_made_from_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    idle = snapshot_of_its_own(home, tmp_path, "idle", "prune_idle")
    used = snapshot_of_its_own(home, tmp_path, "used", "prune_used")
    for image in (idle, used):
        _age_record(home, image, days=3)
    sandbox = ok(home, "create", "--snapshot", "used", "--json")["id"]
    ok(home, "drop", sandbox)
    assert ok(home, "image", "prune", "--json")["removed"] == []  # both snapshots are here
    pruned = ok(home, "image", "prune", "--older-than", "1d", "--json")
    assert [r["id"] for r in pruned["removed"]] == [idle]
    assert "unused since" in pruned["removed"][0]["reason"]
    assert client.image(used) is not None  # a sandbox was made from it just now
    bad = dotbox_in(home, "image", "prune", "--older-than", "soon")
    assert bad.returncode == 2 and "--older-than" in bad.stderr


def test_prune_never_removes_an_image_a_sandbox_uses(tmp_path: Path) -> None:
    """Its snapshot replaced by another DDL under the same name while a sandbox of the old one
    runs: prunable, but kept while in use, removed once dropped."""
    home = tmp_path / "home"
    old = snapshot_of_its_own(home, tmp_path, "moving", "prune_moving")
    sandbox = ok(home, "create", "--snapshot", "moving", "--json")["id"]
    try:
        snapshot_of_its_own(home, tmp_path, "moving", "prune_moved")
        report = ok(home, "image", "prune", "--json")
        assert report["removed"] == [] and len(report["kept_in_use"]) == 1
        assert client.image(old) is not None
    finally:
        ok(home, "drop", sandbox)
    assert [r["id"] for r in ok(home, "image", "prune", "--json")["removed"]] == [old]
