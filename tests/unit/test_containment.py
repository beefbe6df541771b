"""containment.violations over hand-written inspect JSON: a container exactly as dotbox chose
passes; every property it did not choose is named."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from dotbox.engine.containment import Expected, engine_socket_reachable, violations

IMAGE = "sha256:" + "a" * 64
ANON = "b" * 64


def inspected(tmp_path: Path) -> dict[str, Any]:
    """A runner as the engine reports it (Docker 20.10, trimmed to what matters)."""
    return {
        "Image": IMAGE,
        "Config": {"Volumes": None},
        "HostConfig": {
            "Binds": [f"{tmp_path}:/work:ro"],
            "LogConfig": {"Type": "json-file", "Config": {}},
            "NetworkMode": "none",
            "PortBindings": {},
            "VolumesFrom": None,
            "CapAdd": None,
            "CapDrop": ["ALL"],
            "CgroupnsMode": "private",
            "Dns": [],
            "DnsOptions": [],
            "DnsSearch": [],
            "ExtraHosts": None,
            "IpcMode": "private",
            "Links": None,
            "PidMode": "",
            "Privileged": False,
            "PublishAllPorts": False,
            "SecurityOpt": ["no-new-privileges"],
            "Tmpfs": {"/t": "size=1m"},
            "UTSMode": "",
            "UsernsMode": "",
            "Devices": [],
            "DeviceCgroupRules": None,
            "DeviceRequests": None,
        },
        "Mounts": [
            {
                "Type": "bind",
                "Source": str(tmp_path),
                "Destination": "/work",
                "Mode": "ro",
                "RW": False,
                "Propagation": "rprivate",
            },
            {
                "Type": "volume",
                "Name": "dotbox-sock-sb-1",
                "Source": "/var/lib/docker/volumes/dotbox-sock-sb-1/_data",
                "Destination": "/sock",
                "Driver": "local",
                "Mode": "ro",
                "RW": False,
            },
        ],
    }


def expected(tmp_path: Path, **changes: Any) -> Expected:
    fields: dict[str, Any] = {
        "image_id": IMAGE,
        "network_mode": "none",
        "binds": {"/work": (str(tmp_path), True)},
        "volumes": {"/sock": ("dotbox-sock-sb-1", True)},
        "tmpfs": frozenset({"/t"}),
    }
    return Expected(**(fields | changes))


def check(container: dict[str, Any], tmp_path: Path, **changes: Any) -> list[str]:
    return violations(container, expected(tmp_path, **changes), default_log_driver="json-file")


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "work").mkdir()
    return (tmp_path / "work").resolve()


def test_what_dotbox_chose_passes(work: Path) -> None:
    assert check(inspected(work), work) == []


def test_fields_the_engine_leaves_out_are_not_violations(work: Path) -> None:
    container = inspected(work)
    for key in ("CapAdd", "Devices", "SecurityOpt", "Tmpfs", "CgroupnsMode", "IpcMode"):
        del container["HostConfig"][key]
    assert check(container, work, tmpfs=frozenset()) == []


HOST_CHANGES: list[tuple[str, Any, str]] = [
    ("NetworkMode", "bridge", "network mode 'bridge'"),
    ("NetworkMode", "host", "network mode 'host'"),
    ("Privileged", True, "privileged"),
    ("CapAdd", ["NET_ADMIN", "SYS_ADMIN"], "capabilities added: NET_ADMIN, SYS_ADMIN"),
    ("Devices", [{"PathOnHost": "/dev/sda"}], "devices: /dev/sda"),
    ("DeviceCgroupRules", ["c 1:3 mr"], "device cgroup rules"),
    ("DeviceRequests", [{"Count": -1}], "device requests"),
    ("PidMode", "host", "PidMode 'host'"),
    ("PidMode", "container:abc", "PidMode 'container:abc'"),
    ("IpcMode", "host", "IpcMode 'host'"),
    ("UTSMode", "host", "UTSMode 'host'"),
    ("UsernsMode", "host", "UsernsMode 'host'"),
    ("CgroupnsMode", "host", "CgroupnsMode 'host'"),
    ("SecurityOpt", ["no-new-privileges", "seccomp=unconfined"], "seccomp=unconfined"),
    ("SecurityOpt", ["apparmor=unconfined"], "apparmor=unconfined"),
    ("LogConfig", {"Type": "syslog", "Config": {}}, "log driver 'syslog'"),
    ("LogConfig", {"Type": "json-file", "Config": {"max-size": "1m"}}, "log options: max-size"),
    ("PortBindings", {"5432/tcp": [{"HostIp": "", "HostPort": "5432"}]}, "every address"),
    ("PortBindings", {"5432/tcp": [{"HostIp": "0.0.0.0", "HostPort": ""}]}, "on 0.0.0.0"),
    ("PublishAllPorts", True, "PublishAllPorts"),
    ("ExtraHosts", ["official:10.0.0.5"], "extra hosts: official:10.0.0.5"),
    ("Dns", ["10.0.0.53"], "DNS servers: 10.0.0.53"),
    ("DnsSearch", ["corp"], "DNS search domains"),
    ("DnsOptions", ["ndots:1"], "DNS options"),
    ("VolumesFrom", ["official"], "volumes from: official"),
    ("Links", ["/official:/x/db"], "links: /official:/x/db"),
    ("Sysctls", {"net.ipv4.ip_forward": "1"}, "sysctls"),
    ("Tmpfs", {"/t": "", "/dev/shm2": ""}, "tmpfs ['/dev/shm2', '/t']"),
]


@pytest.mark.parametrize(("key", "value", "reason"), HOST_CHANGES)
def test_each_host_option_dotbox_did_not_choose_is_named(
    work: Path, key: str, value: Any, reason: str
) -> None:
    container = inspected(work)
    container["HostConfig"][key] = value
    found = check(container, work)
    assert len(found) == 1 and reason in found[0], found


def test_ipc_modes_that_stay_private_pass(work: Path) -> None:
    for mode in ("", "private", "shareable"):
        container = inspected(work)
        container["HostConfig"]["IpcMode"] = mode
        assert check(container, work) == []


def test_loopback_ports_pass_and_others_only_when_allowed(work: Path) -> None:
    container = inspected(work)
    container["HostConfig"]["PortBindings"] = {"5432/tcp": [{"HostIp": "127.0.0.1"}]}
    assert check(container, work) == []
    container["HostConfig"]["PortBindings"] = {"5432/tcp": [{"HostIp": "0.0.0.0"}]}
    assert check(container, work, publish_loopback_only=False) == []


def test_a_writable_root_where_a_read_only_one_was_asked_is_named(work: Path) -> None:
    container = inspected(work)
    assert check(container, work, read_only_root=True) == [
        "root file system is writable, not read-only"
    ]
    container["HostConfig"]["ReadonlyRootfs"] = True
    assert check(container, work, read_only_root=True) == []
    assert check(container, work) == []  # a read-only root nobody asked for takes nothing away


def test_another_image_is_named(work: Path) -> None:
    container = inspected(work)
    container["Image"] = "sha256:" + "c" * 64
    assert check(container, work) == [f"image 'sha256:{'c' * 64}' is not {IMAGE!r}"]


def test_a_writable_bind_that_should_be_read_only_is_named(work: Path) -> None:
    container = inspected(work)
    container["Mounts"][0]["RW"] = True
    assert check(container, work) == ["mount /work is writable"]
    assert check(container, work, binds={"/work": (str(work), False)}) == []


def test_a_read_only_volume_that_should_be_writable_is_named(work: Path) -> None:
    found = check(inspected(work), work, volumes={"/sock": ("dotbox-sock-sb-1", False)})
    assert found == ["mount /sock is read-only"]


def test_another_bind_source_is_named(work: Path, tmp_path: Path) -> None:
    container = inspected(work)
    container["Mounts"][0]["Source"] = str(tmp_path)
    assert check(container, work) == [f"mount /work binds {str(tmp_path)!r}, not {str(work)!r}"]


def test_another_volume_and_a_bind_in_its_place_are_named(work: Path) -> None:
    container = inspected(work)
    container["Mounts"][1]["Name"] = "official-data"
    assert check(container, work) == [
        "mount /sock is volume 'official-data', not 'dotbox-sock-sb-1'"
    ]
    container["Mounts"][1] = {**container["Mounts"][0], "Destination": "/sock"}
    found = check(container, work)
    assert "mount /sock is a bind, not a volume" in found


def test_a_missing_and_an_extra_mount_are_named(work: Path) -> None:
    container = inspected(work)
    extra = {**container["Mounts"][0], "Destination": "/host", "Source": "/etc"}
    container["Mounts"] = [extra]
    found = check(container, work)
    assert found == [
        "unexpected bind mount of '/etc' at /host",
        "mount /sock is missing",
        "mount /work is missing",
    ]


def test_a_mount_listed_twice_is_named(work: Path) -> None:
    container = inspected(work)
    container["Mounts"].append(container["Mounts"][0])
    assert check(container, work) == ["mount /work appears twice"]


def test_a_tmpfs_mount_counts_as_tmpfs(work: Path) -> None:
    container = inspected(work)
    container["HostConfig"]["Tmpfs"] = {}
    container["Mounts"].append({"Type": "tmpfs", "Destination": "/t", "RW": True})
    assert check(container, work) == []


def test_anonymous_volumes_only_where_the_image_declares_them(work: Path) -> None:
    container = inspected(work)
    anonymous = {"Type": "volume", "Name": ANON, "Destination": "/data", "RW": True}
    container["Mounts"].append(anonymous)
    assert check(container, work) == [f"unexpected volume mount of {ANON!r} at /data"]
    container["Config"]["Volumes"] = {"/data": {}}
    assert check(container, work) == []
    named = copy.deepcopy(container)
    named["Mounts"][-1]["Name"] = "official-data"
    assert check(named, work) == ["unexpected volume mount of 'official-data' at /data"]


def test_a_symlinked_bind_source_is_named(work: Path, tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(work)
    container = inspected(work)
    container["Mounts"][0]["Source"] = str(link)
    found = check(container, work, binds={"/work": (str(link), True)})
    assert found == [f"mount /work binds {str(link)!r}, which resolves elsewhere (a symlink)"]


@pytest.mark.parametrize("source", ["/", "/run", "/var/run", "/var", "/run/docker.sock"])
def test_a_bind_that_holds_the_engine_socket_is_named(work: Path, source: str) -> None:
    container = inspected(work)
    container["Mounts"][0]["Source"] = source
    found = check(container, work, binds={"/work": (source, True)})
    assert any("holds the engine's socket" in reason for reason in found), found


def test_a_directory_holding_a_socket_by_name_is_named(tmp_path: Path) -> None:
    (tmp_path / "podman.sock").touch()
    assert engine_socket_reachable(str(tmp_path))
    assert engine_socket_reachable(str(tmp_path / "podman.sock"))
    assert not engine_socket_reachable(str(tmp_path / "elsewhere"))


def test_every_violation_is_named_at_once(work: Path) -> None:
    container = inspected(work)
    container["HostConfig"] |= {"Privileged": True, "NetworkMode": "bridge", "CapAdd": ["ALL"]}
    container["Mounts"][0]["RW"] = True
    assert len(check(container, work)) == 4


# ---- what a runner chose that a user's image could otherwise choose (dotbox run --image) ----

RUNNER_CHOSE: dict[str, Any] = {
    "user": "1000:1000",
    "entrypoint": ("sh", "-c", "wrapper", "dotbox-run"),
    "cap_drop_all": True,
    "no_new_privileges": True,
}


def runner_inspected(work: Path) -> dict[str, Any]:
    container = inspected(work)
    container["Config"].update(User="1000:1000", Entrypoint=["sh", "-c", "wrapper", "dotbox-run"])
    return container


@pytest.mark.parametrize(
    ("where", "key", "value", "reason"),
    [
        ("Config", "User", "0", "user '0' is not '1000:1000'"),
        ("Config", "User", "", "user '' is not '1000:1000'"),
        ("Config", "Entrypoint", ["/docker-entrypoint.sh"], "entrypoint is not the one"),
        ("Config", "Entrypoint", None, "entrypoint is not the one"),
        ("HostConfig", "CapDrop", None, "capabilities are not all dropped"),
        ("HostConfig", "CapDrop", ["NET_RAW"], "capabilities are not all dropped"),
        ("HostConfig", "SecurityOpt", None, "no-new-privileges is not set"),
    ],
)
def test_what_a_runner_chose_must_hold_whatever_the_image(
    work: Path, where: str, key: str, value: Any, reason: str
) -> None:
    container = runner_inspected(work)
    assert check(container, work, **RUNNER_CHOSE) == []  # the control
    container[where][key] = value
    found = check(container, work, **RUNNER_CHOSE)
    assert len(found) == 1 and reason in found[0], found
    assert check(container, work) == []  # not asked for: not checked


def test_an_image_volume_is_refused_where_none_may_be(work: Path) -> None:
    container = inspected(work)
    container["Config"]["Volumes"] = {"/data": {}}
    container["Mounts"].append(
        {"Type": "volume", "Name": ANON, "Destination": "/data", "Driver": "local", "RW": True}
    )
    assert check(container, work) == []  # a sandbox's base image may declare one
    assert check(container, work, image_volumes=False) == [
        f"unexpected volume mount of {ANON!r} at /data"
    ]
