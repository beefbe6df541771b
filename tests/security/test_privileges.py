"""What the containers dotbox adds may do, read back from the engine (``docker inspect``) and
from inside them (``/proc/1/status``), and who may read the passwords dotbox writes.

One plain sandbox, one ``--tcp`` sandbox and one review environment of the example app, all
made with umask 000 (so no mode below comes from the umask); names carry this session's
suffix."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import REPO
from tests.integration.conftest import cli_json, run_cli, run_root

SUFFIX = uuid.uuid4().hex[:6]
EXAMPLE = REPO / "compose" / "example" / "compose.yml"
NO_CAPABILITIES = "0" * 16
NOBODY = "65534"


def inspect(container: str) -> dict[str, Any]:
    out = subprocess.run(
        ["docker", "inspect", container], capture_output=True, text=True, check=True
    ).stdout
    data: dict[str, Any] = json.loads(out)[0]
    return data


def status(container: str, *, user: str | None = None, pid: str = "1") -> dict[str, str]:
    """``/proc/PID/status`` of ``container`` as the kernel reports it, read from inside."""
    as_user = ["--user", user] if user else []
    out = subprocess.run(
        ["docker", "exec", *as_user, container, "cat", f"/proc/{pid}/status"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {k: v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


def write_probe(container: str) -> subprocess.CompletedProcess[str]:
    """Write a file into the container's root file system (/tmp is on it: no tmpfs there)."""
    return subprocess.run(
        ["docker", "exec", container, "sh", "-c", "echo x > /tmp/dotbox-probe"],
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="module")
def made() -> Iterator[dict[str, Any]]:
    """A plain sandbox, a --tcp one and a review environment, made with umask 000."""
    umask = os.umask(0)
    made: dict[str, Any] = {}
    try:
        made["plain"] = cli_json("create", "--name", f"priv-plain-{SUFFIX}")
        made["tcp"] = cli_json("create", "--tcp", "--name", f"priv-tcp-{SUFFIX}")
        made["review"] = cli_json("review", "up", "--app", str(EXAMPLE), "--name", f"pv-{SUFFIX}")
        yield made
    finally:
        os.umask(umask)
        if "review" in made:
            run_cli("review", "down", made["review"]["id"])
        for key in ("plain", "tcp"):
            if key in made:
                run_cli("drop", made[key]["id"])


def forwarder_of(sandbox_id: str) -> str:
    return f"dotbox-fwd-{sandbox_id}"


def assert_hardened(container: str) -> None:
    """No capability, no new privileges, a read-only root: as the engine made the container,
    and as its first process holds them."""
    host = inspect(container)["HostConfig"]
    assert host["CapDrop"] == ["ALL"] and not host["CapAdd"] and host["Privileged"] is False
    assert set(host["SecurityOpt"]) & {"no-new-privileges", "no-new-privileges:true"}
    assert host["ReadonlyRootfs"] is True
    proc = status(container)
    assert [proc[k] for k in ("CapPrm", "CapEff", "CapBnd", "CapAmb")] == [NO_CAPABILITIES] * 4
    assert proc["NoNewPrivs"] == "1"
    written = write_probe(container)
    assert written.returncode != 0 and "Read-only file system" in written.stderr


def test_review_sidecars_and_forwarder_run_with_no_capabilities_no_new_privileges_and_a_read_only_root(  # noqa: E501
    made: dict[str, Any],
) -> None:
    parts = {p["part"]: p["name"] for p in made["review"]["parts"]}
    assert set(parts) == {"app", "db-relay", "ingress", "forwarder"}
    for part in ("db-relay", "ingress", "forwarder"):
        assert_hardened(parts[part])
    # control: the app itself, which keeps the engine's defaults, reads back otherwise
    app = parts["app"]
    assert inspect(app)["HostConfig"]["ReadonlyRootfs"] is False
    assert status(app)["CapEff"] != NO_CAPABILITIES
    assert write_probe(app).returncode == 0


def test_the_tcp_forwarder_runs_with_no_capabilities_no_new_privileges_and_a_read_only_root(
    made: dict[str, Any],
) -> None:
    sid = made["tcp"]["id"]
    assert_hardened(forwarder_of(sid))
    # control: the sandbox's own server, which needs none of this, reads back otherwise
    server = f"dotbox-{sid}"
    assert inspect(server)["HostConfig"]["ReadonlyRootfs"] is False
    assert status(server)["CapBnd"] != NO_CAPABILITIES and status(server)["NoNewPrivs"] == "0"
    assert write_probe(server).returncode == 0


def test_the_tcp_forwarder_runs_as_an_unprivileged_user(made: dict[str, Any]) -> None:
    forwarder = forwarder_of(made["tcp"]["id"])
    assert inspect(forwarder)["Config"]["User"] == f"{NOBODY}:{NOBODY}"
    proc = status(forwarder)
    assert proc["Uid"].split() == [NOBODY] * 4 and proc["Gid"].split() == [NOBODY] * 4
    # control: the same probe, as root inside the same container, reads uid 0
    assert status(forwarder, user="0", pid="self")["Uid"].split() == ["0"] * 4


def test_password_files_are_0600_in_0700_directories(made: dict[str, Any]) -> None:
    """Every file under DOTBOX_HOME and the run directory that holds one of the passwords is
    0600 and ours, and every directory above it up to that root is 0700."""
    review_password = urlsplit(made["review"]["dsn"]).password
    assert review_password
    passwords = [made["plain"]["password"], made["tcp"]["password"], review_password]
    roots = [Path(os.environ["DOTBOX_HOME"]), run_root()]
    found: dict[Path, Path] = {}
    for root in roots:
        for path in root.rglob("*"):
            if path.is_symlink() or not path.is_file():
                continue
            try:
                data = path.read_bytes()
            except PermissionError:  # the server's own files (its socket's lock), not ours
                continue
            if any(p.encode() in data for p in passwords):
                found[path] = root
    run, home = run_root(), Path(os.environ["DOTBOX_HOME"])
    assert set(found) == {  # control: the scan finds each password file dotbox writes
        run / made["plain"]["id"] / "password",
        run / made["tcp"]["id"] / "password",
        run / made["review"]["sandbox"] / "password",
        home / "reviews" / made["review"]["id"] / "pgpass",
    }
    for path, root in found.items():
        st = path.stat()
        assert (stat.S_IMODE(st.st_mode), st.st_uid) == (0o600, os.getuid()), path
        for directory in [p for p in path.parents if p.is_relative_to(root)]:
            assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory
