"""The engine's create request for a ContainerSpec (dotbox.engine.spec.create_body), which the
Unix-socket route sends as it is, equals what the docker SDK builds for the same spec: both
routes make the same container. The SDK's client here is given its API version, so it never
connects."""

from __future__ import annotations

from typing import Any

import docker
import pytest

from dotbox.engine.spec import ContainerSpec, Mount, Publish, create_body

FULL = ContainerSpec(
    image="sha256:" + "a" * 64,
    name="dotbox-x",
    labels={"dotbox.id": "x"},
    command=["-c", "hba_file=/etc/dotbox/pg_hba_forwarded.conf"],
    user="postgres",
    mounts=(Mount("/tmp/x/sock", "/sock"), Mount("dotbox-sock-x", "/s", read_only=True)),
    environment={"PGHOST": "/sock", "A": "b c"},
    memory_bytes=512 << 20,
    pids_limit=256,
    nano_cpus=10**9,
    shm_bytes=64 << 20,
    entrypoint=["postgres"],
    working_dir="/work",
    tmpfs={"/var/lib/postgresql/dotbox": "size=1g"},
    publish=(Publish(5432), Publish(6000, host_port=16000)),
    cap_drop=("ALL",),
    no_new_privileges=True,
    tty=True,
    stdin_open=True,
)
BARE = ContainerSpec(image="sha256:" + "b" * 64, name="dotbox-y", labels={})


def sdk_body(spec: ContainerSpec) -> dict[str, Any]:
    """What the SDK sends for ``spec``, as dotbox called it before the socket route existed."""
    api = docker.APIClient(base_url="unix:///nowhere.sock", version="1.41")
    host_config = api.create_host_config(
        network_mode=spec.network_mode,
        binds={
            m.source: {"bind": m.target, "mode": "ro" if m.read_only else "rw"} for m in spec.mounts
        },
        mem_limit=spec.memory_bytes,
        memswap_limit=spec.memory_bytes,
        pids_limit=spec.pids_limit,
        nano_cpus=spec.nano_cpus,
        shm_size=spec.shm_bytes,
        tmpfs=spec.tmpfs or None,
        cap_drop=list(spec.cap_drop) or None,
        security_opt=["no-new-privileges"] if spec.no_new_privileges else None,
        port_bindings={f"{p.port}/tcp": (p.host_ip, p.host_port or None) for p in spec.publish}
        or None,
        cgroupns="private",
    )
    config = api.create_container_config(
        spec.image,
        spec.command,
        user=spec.user or "",
        labels=spec.labels,
        environment=spec.environment or None,
        host_config=host_config,
        network_disabled=False,
        entrypoint=spec.entrypoint,
        working_dir=spec.working_dir,
        ports=[p.port for p in spec.publish] or None,
        tty=spec.tty,
        stdin_open=spec.stdin_open,
    )
    return {k: v for k, v in config.items() if v is not None}  # as the SDK posts it


@pytest.mark.parametrize("spec", [FULL, BARE], ids=["every-field", "bare"])
def test_the_socket_routes_body_is_the_sdks(spec: ContainerSpec) -> None:
    assert create_body(spec) == sdk_body(spec)


def test_a_changed_field_changes_the_body() -> None:
    """Control: the comparison sees a difference in a field that matters."""
    assert create_body(BARE) != sdk_body(ContainerSpec(**{**BARE.__dict__, "network_mode": "host"}))
