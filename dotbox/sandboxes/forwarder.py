"""TCP host access to a sandbox (``create --tcp``): a forwarder container.

The sandbox keeps network mode ``none``. Its socket directory is then a volume (a small tmpfs),
not a host directory, so that this works with Docker Desktop and remote engines too. Beside it,
a forwarder (socat, from the same base image) mounts that volume read-only and relays one TCP
port, published on the host's 127.0.0.1 only, to the socket. As the forwarder's port is open
before the bootstrap, the sandbox is started with pg_hba_forwarded.conf: dotbox_admin only by
peer authentication inside the container, where dotbox runs its bootstrap with docker exec.
It is the only dotbox container with a network; it runs no
user code, only that relay, as ``nobody``, with no capabilities, no new privileges and a
read-only root file system; every connection through it still needs the
sandbox's password. It carries the sandbox's id and is dropped with it.
"""

from __future__ import annotations

from dotbox.core import paths
from dotbox.core.errors import NotReady
from dotbox.core.labels import Label
from dotbox.engine import client

ROLE = "forwarder"
PORT = 5432
SOCKET = "/sock"


def spec(sandbox_id: str, socket_volume: str, pg_major: int) -> client.ContainerSpec:
    from dotbox import images  # only a --tcp create starts a forwarder

    base = images.base_image(pg_major, build=False)
    return client.ContainerSpec(
        image=base.id,
        name=f"dotbox-fwd-{sandbox_id}",
        labels={
            Label.MANAGED_BY: "dotbox",
            Label.ROLE: ROLE,
            Label.ID: sandbox_id,
            Label.HOME: str(paths.data_home()),
        },
        command=[
            "socat",
            f"TCP-LISTEN:{PORT},fork,reuseaddr",
            f"UNIX-CONNECT:{SOCKET}/.s.PGSQL.5432",
        ],
        user="65534:65534",
        network_mode="bridge",
        cap_drop=("ALL",),
        no_new_privileges=True,
        read_only_root=True,
        mounts=(client.Mount(socket_volume, SOCKET, read_only=True),),
        publish=(client.Publish(PORT, "127.0.0.1", 0),),
        memory_bytes=64 << 20,
        pids_limit=128,
        nano_cpus=500_000_000,
    )


def start(sandbox_id: str, socket_volume: str, pg_major: int) -> int:
    """Start the forwarder; return the host port (on 127.0.0.1) it publishes."""
    container = client.run_container(spec(sandbox_id, socket_volume, pg_major))
    port = client.published_port(container, PORT)
    if port is None:
        client.remove_container(container)
        raise NotReady(f"the forwarder of sandbox {sandbox_id} published no port")
    return port


def port(sandbox_id: str) -> int | None:
    """The host port of the sandbox's forwarder, if it has a running one."""
    found = client.containers({Label.MANAGED_BY: "dotbox", Label.ROLE: ROLE, Label.ID: sandbox_id})
    for c in found:
        if c.status == "running":
            return client.published_port(c.id, PORT)
    return None


def remove(sandbox_id: str) -> None:
    for c in client.containers(
        {Label.MANAGED_BY: "dotbox", Label.ROLE: ROLE, Label.ID: sandbox_id}
    ):
        client.remove_container(c.id)
