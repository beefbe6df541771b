"""The engine read-back (``dotbox.engine.containment``) on real containers: a container made with
properties dotbox did not choose has each one named from its real inspect; dotbox's own
create refuses such a container and leaves nothing; bind sources and images are pinned (a
symlink is resolved, a tag becomes an id) before the engine sees them."""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from dotbox import images
from dotbox.core import paths
from dotbox.core.errors import Refused
from dotbox.engine import client, transport
from dotbox.engine.containment import Expected, violations

BASE = "dotbox/base:pg17"


@pytest.fixture
def name() -> Iterator[str]:
    """A container name for this test; whatever holds it is removed afterwards."""
    made = f"dotbox-readback-{secrets.token_hex(4)}"
    yield made
    subprocess.run(["docker", "rm", "-f", "-v", made], capture_output=True)


def labels() -> dict[str, str]:
    return {
        transport.MANAGED_BY: "dotbox",
        "dotbox.role": "test",
        "dotbox.home": str(paths.data_home()),
    }


def exists(container: str) -> bool:
    found = subprocess.run(["docker", "inspect", container], capture_output=True)
    return found.returncode == 0


def test_each_property_dotbox_did_not_choose_is_named(name: str) -> None:
    base = images.base_image(17, build=False)
    subprocess.run(
        ["docker", "create", "--name", name, "--label", "dotbox.role=test"]
        + ["--privileged", "--cap-add", "NET_ADMIN", "-v", "/:/host:ro"]
        + ["--log-driver", "syslog", "--log-opt", "tag=dotbox-readback"]
        + ["--network", "bridge", "--pid", "host", "--add-host", "official:10.9.9.9"]
        + ["-p", "0.0.0.0::5432", base.id, "true"],
        capture_output=True,
        check=True,
    )
    inspected = client._inspect("containers", name)
    assert inspected is not None
    found = violations(
        inspected,
        Expected(image_id=base.id, network_mode="none", binds={}),
        default_log_driver=client.default_log_driver(),
    )
    text = "\n".join(found)
    for reason in (
        "network mode 'bridge' is not 'none'",
        "unexpected bind mount of '/' at /host",
        "privileged",
        "NET_ADMIN",  # "CAP_NET_ADMIN" as Docker 20.10 records it
        "PidMode 'host'",
        "log driver 'syslog' is not the engine's 'json-file'",
        "log options: tag",
        "port 5432/tcp published on 0.0.0.0",
        "extra hosts: official:10.9.9.9",
    ):
        assert reason in text, text
    # and what the engine adds on its own: "label=disable" with --privileged, the host's
    # cgroup namespace on a cgroup v1 host where dotbox did not ask for a private one
    engine_added = {"security options: label=disable", "CgroupnsMode 'host'"}
    assert len(set(found) - engine_added) == 9, found


@pytest.mark.parametrize("source", ["/", "/run", "/var/run"])
def test_dotbox_refuses_a_container_that_binds_the_engine_socket(name: str, source: str) -> None:
    spec = client.ContainerSpec(
        image=BASE,
        name=name,
        labels=labels(),
        command=["true"],
        mounts=(client.Mount(source, "/work", read_only=True),),
    )
    with pytest.raises(Refused) as err:
        client.create_container(spec)
    line = err.value.one_line()
    assert line.startswith(f"container {name}: mount /work binds ")
    assert "holds the engine's socket" in line and line.endswith("nothing was started")
    assert "\n" not in line
    assert not exists(name)


def test_bind_sources_and_images_are_pinned_before_create(name: str, tmp_path: Path) -> None:
    (tmp_path / "project").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "project")
    spec = client.ContainerSpec(
        image=BASE,
        name=name,
        labels=labels(),
        command=["true"],
        mounts=(client.Mount(str(tmp_path / "link"), "/work", read_only=True),),
    )
    container = client.create_container(spec)
    try:
        inspected = client._inspect("containers", container)
        assert inspected is not None
        assert inspected["Image"] == images.base_image(17, build=False).id
        assert inspected["Config"]["Image"].startswith("sha256:")
        [mount] = inspected["Mounts"]
        assert mount["Source"] == str((tmp_path / "project").resolve())
        assert mount["RW"] is False
        assert inspected["HostConfig"]["CgroupnsMode"] == "private"
    finally:
        client.remove_container(container)
