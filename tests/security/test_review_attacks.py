"""Attacks through a review environment's compose file (`dotbox review up`).

Each test hands dotbox a hostile compose file whose text looks harmless or whose meaning comes
from what compose would make of it, and checks that dotbox refuses it (one line, nothing made)
or that what runs cannot reach the stand-in official server. Each has a control showing the
route exists without dotbox: plain compose resolves the file into the dangerous thing, or the
engine opens the connection when asked directly.
"""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from dotbox.review import compose
from tests.security.attack import PROBE, Official, cli, labelled

TOOLS = compose.TOOLS_IMAGE


def review_id() -> str:
    return f"rv-at-{secrets.token_hex(3)}"


def refused(app: Path, reason: str, *extra: str) -> None:
    """``review up`` of ``app`` is refused with ``reason`` in one line and makes nothing."""
    rid = review_id()
    proc = cli("review", "up", "--app", str(app), "--name", rid, *extra)
    assert proc.returncode in (2, 4), proc.stdout + proc.stderr
    assert reason in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert labelled(f"dotbox.review={rid}") == []


def plain_compose_config(app: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """The control: what compose itself makes of the file (nothing is started)."""
    out = subprocess.run(
        ["docker-compose", "-f", str(app), "config"],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
        cwd=app.parent,
    ).stdout
    data: dict[str, Any] = yaml.safe_load(out)
    return data


def write(project: Path, text: str) -> Path:
    project.mkdir(exist_ok=True)
    app = project / "compose.yml"
    app.write_text(text)
    return app


@pytest.mark.parametrize(
    "source", ["${X:-/}", "${X:-/var/run/docker.sock}"], ids=["host-root", "docker-socket"]
)
def test_1_interpolation_cannot_smuggle_a_host_path(
    official: Official, tmp_path: Path, source: str
) -> None:
    official.control()
    app = write(
        tmp_path / "p",
        f'services:\n  app:\n    image: {TOOLS}\n    volumes: ["{source}:/host:ro"]\n',
    )
    mounted = plain_compose_config(app)["services"]["app"]["volumes"][0]
    source = mounted["source"] if isinstance(mounted, dict) else mounted.split(":")[0]
    assert source in ("/", "/var/run/docker.sock")  # compose would mount it
    refused(app, "outside the project")


def test_1_the_hosts_environment_never_reaches_the_app(
    official: Official, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    official.control()
    secret = official.server.dsn
    app = write(
        tmp_path / "p",
        f"services:\n  app:\n    image: {TOOLS}\n    command: [sleep, '60']\n"
        "    environment:\n      COPIED: ${HOSTSECRET}\n      HOSTSECRET:\n",
    )
    control = plain_compose_config(app, {"HOSTSECRET": secret})["services"]["app"]
    assert control["environment"]["COPIED"] == secret  # compose would copy it in
    monkeypatch.setenv("HOSTSECRET", secret)
    rid = review_id()
    proc = cli("review", "up", "--app", str(app), "--name", rid, "--json")
    try:
        assert proc.returncode == 0, proc.stderr
        web = next(p for p in json.loads(proc.stdout)["parts"] if p["part"] == "app")
        env = _inspect(web["name"])["Config"]["Env"]
        assert not [e for e in env if official.server.password in e]
        assert "COPIED=" in env and not any(e.startswith("HOSTSECRET") for e in env)
        assert not any(e.startswith("PGPASSWORD=") for e in env)  # the sandbox's: a file
    finally:
        cli("review", "down", rid)
    assert labelled(f"dotbox.review={rid}") == []


def _inspect(container: str) -> dict[str, Any]:
    out = subprocess.run(
        ["docker", "inspect", container], capture_output=True, text=True, check=True
    ).stdout
    data: dict[str, Any] = json.loads(out)[0]
    return data


def test_2_a_build_has_no_network(official: Official, tmp_path: Path) -> None:
    """A RUN step probes every address of the stand-in: with dotbox's build (network none)
    every probe fails; the same Dockerfile built on the stand-in's network reaches it."""
    project = tmp_path / "p"
    project.mkdir()
    (project / "probe.py").write_text(PROBE)
    targets = " ".join(official.targets)
    (project / "Dockerfile").write_text(
        f"FROM {TOOLS}\nCOPY probe.py /probe.py\nRUN python3 /probe.py {targets} > /probed\n"
        'CMD ["sh", "-c", "cat /probed; sleep 60"]\n'
    )
    tag = f"dotbox-test-control-{secrets.token_hex(3)}"
    control = subprocess.run(
        ["docker", "build", "-q", "--network", official.server.network, "-t", tag, str(project)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    try:
        assert control.returncode == 0, control.stderr
        shown = subprocess.run(
            ["docker", "run", "--rm", "--network", "none", tag, "cat", "/probed"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert f"{official.server.address}:5432 OPEN" in shown  # the route exists
    finally:
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)
    official.connections_before = official.connections()
    refused(
        write(tmp_path / "q", "services:\n  app:\n    build: {context: ../p, network: host}\n"),
        "outside the project",
    )
    refused(
        write(project, "services:\n  app:\n    build: {context: ., network: host}\n"),
        "build.network",
    )
    app = write(project, "services:\n  app:\n    build: .\n")
    rid = review_id()
    proc = cli("review", "up", "--app", str(app), "--name", rid)
    try:
        assert proc.returncode == 0, proc.stderr
        logs = _logs_until(rid, "5432")
        assert logs.count(" FAIL ") == len(official.targets) and " OPEN" not in logs, logs
    finally:
        cli("review", "down", rid)
    assert labelled(f"dotbox.review={rid}") == []


def _logs_until(rid: str, text: str, deadline: float = 30) -> str:
    end = time.monotonic() + deadline
    while True:
        proc = cli("review", "logs", rid, "--json")
        logs = "\n".join(json.loads(proc.stdout).values()) if proc.returncode == 0 else ""
        if text in logs or time.monotonic() > end:
            return logs
        time.sleep(0.5)


def test_3_a_build_cannot_retag_dotbox_images(official: Official, tmp_path: Path) -> None:
    official.control()
    before = _inspect_image("dotbox/base:pg17")
    project = tmp_path / "p"
    project.mkdir()
    (project / "Dockerfile").write_text(f'FROM {TOOLS}\nCMD ["sleep", "60"]\n')
    app = write(project, "services:\n  app:\n    image: dotbox/base:pg17\n    build: .\n")
    assert plain_compose_config(app)["services"]["app"]["image"] == "dotbox/base:pg17"
    rid = review_id()
    proc = cli("review", "up", "--app", str(app), "--name", rid)
    try:
        assert proc.returncode == 0, proc.stderr
        assert _inspect_image("dotbox/base:pg17") == before
        assert _inspect_image(compose.built_tag(rid, "app"))
    finally:
        cli("review", "down", rid)
    assert labelled(f"dotbox.review={rid}") == []  # the built image is gone too
    assert _inspect_image("dotbox/base:pg17") == before


def _inspect_image(ref: str) -> str:
    return subprocess.run(
        ["docker", "image", "inspect", "-f", "{{.Id}}", ref], capture_output=True, text=True
    ).stdout.strip()


def test_4_a_writable_path_cannot_be_mounted_again(official: Official, tmp_path: Path) -> None:
    official.control()
    project = tmp_path / "p"
    (project / "data").mkdir(parents=True)
    app = write(
        project,
        f"services:\n  writer:\n    image: {TOOLS}\n    volumes: ['./:/project:rw']\n"
        f"  reader:\n    image: {TOOLS}\n    volumes: ['./data:/data:ro']\n",
    )
    refused(app, "overlap and one is writable")


def test_4_a_link_swapped_in_after_the_check_is_caught_by_the_read_back(
    official: Official, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race itself: ./data passes the check, then becomes a link to / before the
    containers are made. The engine would follow it; the read-back refuses."""
    official.control()
    from dotbox.core.errors import Refused
    from dotbox.review import environments

    project = tmp_path / "p"
    (project / "data").mkdir(parents=True)
    app = write(
        project,
        f"services:\n  app:\n    image: {TOOLS}\n    command: [sleep, '60']\n"
        "    volumes: ['./data:/data:ro']\n",
    )
    real_build = environments._build

    def swap_then_build(*args: Any) -> None:
        (project / "data").rmdir()
        (project / "data").symlink_to("/")
        real_build(*args)

    monkeypatch.setattr(environments, "_build", swap_then_build)
    rid = review_id()
    with pytest.raises(Refused, match="resolves elsewhere"):
        environments.up(app, name=rid)
    assert labelled(f"dotbox.review={rid}") == []
    assert not (environments.reviews_dir() / rid).exists()


def test_5_a_volume_cannot_name_an_existing_one(official: Official, tmp_path: Path) -> None:
    official.control()
    victim = f"dotbox-test-victim-{secrets.token_hex(3)}"
    subprocess.run(["docker", "volume", "create", victim], capture_output=True, check=True)
    try:
        app = write(
            tmp_path / "p",
            f"services:\n  app:\n    image: {TOOLS}\n    volumes: ['v:/v']\n"
            f"volumes:\n  v:\n    name: {victim}\n",
        )
        assert plain_compose_config(app)["volumes"]["v"]["name"] == victim
        refused(app, "volumes.v.name: names an existing volume")
    finally:
        subprocess.run(["docker", "volume", "rm", victim], capture_output=True)


@pytest.fixture
def listener() -> Iterator[tuple[int, list[str]]]:
    """A TCP port of the test's own on 127.0.0.1, recording every connection it gets."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    seen: list[str] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, peer = server.accept()
            except OSError:
                continue
            seen.append(str(peer))
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], seen
    stop.set()
    thread.join()
    server.close()


def test_6_the_engine_opens_no_connection_of_the_files_choosing(
    official: Official, tmp_path: Path, listener: tuple[int, list[str]]
) -> None:
    official.control()
    port, seen = listener
    # Control: asked directly, the engine does connect to the address a log option names.
    subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "--log-driver", "syslog"]
        + ["--log-opt", f"syslog-address=tcp://127.0.0.1:{port}", TOOLS, "true"],
        capture_output=True,
        timeout=60,
    )
    deadline = time.monotonic() + 5
    while not seen and time.monotonic() < deadline:
        time.sleep(0.1)
    assert seen, "control: the engine did not connect to the syslog address"
    seen.clear()
    logging = write(
        tmp_path / "a",
        f"services:\n  app:\n    image: {TOOLS}\n    logging:\n      driver: syslog\n"
        f"      options: {{syslog-address: 'tcp://127.0.0.1:{port}'}}\n",
    )
    refused(logging, "logging: log drivers")
    pulled = write(tmp_path / "b", f"services:\n  app:\n    image: 127.0.0.1:{port}/x\n")
    refused(pulled, "dotbox never pulls")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "Dockerfile").write_text(f"FROM 127.0.0.1:{port}/x\n")
    refused(write(tmp_path / "c", "services:\n  app:\n    build: .\n"), "dotbox never pulls")
    time.sleep(1)
    assert seen == []


def test_7_env_files_stay_inside_the_project(official: Official, tmp_path: Path) -> None:
    official.control()
    outside = tmp_path / "host-secrets.env"
    outside.write_text(f"OFFICIAL_DSN={official.server.dsn}\n")
    project = tmp_path / "p"
    for ref in (str(outside), "../host-secrets.env"):
        app = write(project, f"services:\n  app:\n    image: {TOOLS}\n    env_file: {ref}\n")
        env = plain_compose_config(app)["services"]["app"]["environment"]
        assert env["OFFICIAL_DSN"] == official.server.dsn  # compose would read it in
        refused(app, "outside the project")


def test_labels_cannot_tie_an_app_to_another_sandbox(official: Official, tmp_path: Path) -> None:
    official.control()
    app = write(
        tmp_path / "p",
        f"services:\n  app:\n    image: {TOOLS}\n    labels: {{dotbox.id: someone-else}}\n",
    )
    refused(app, "labels under dotbox.")


def test_app_containers_have_limits_and_dry_run_makes_nothing(tmp_path: Path) -> None:
    app = write(tmp_path / "p", f"services:\n  app:\n    image: {TOOLS}\n")
    rid = review_id()
    proc = cli("review", "up", "--app", str(app), "--name", rid, "--dry-run")
    assert proc.returncode == 0, proc.stderr
    from dotbox.review import environments

    assert not (environments.reviews_dir(create=False) / rid).exists()
    generated = yaml.safe_load(proc.stdout.split("\n", 1)[1])
    assert generated["services"]["app"]["mem_limit"] and generated["services"]["app"]["pids_limit"]
