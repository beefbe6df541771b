"""Review environments on the real engine: the example app runs against a sandbox with no
network, answers on its loopback URL, cannot reach a stand-in official server, and leaves
nothing behind."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from tests.conftest import REPO, unique
from tests.integration.conftest import cli_json, interfaces, run_cli, run_root
from tests.standin import StandIn, standin

EXAMPLE = REPO / "compose" / "example" / "compose.yml"

# Each attempt prints one line: "TARGET ok" or "TARGET refused: ERROR".
PROBE = """
import socket, sys
for target in sys.argv[1:]:
    host, port = target.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=3).close()
        print(target, "ok")
    except OSError as exc:
        print(target, "refused:", exc)
"""

MAIN, SECOND, BROKEN, DRY = (unique(n) for n in ("rv-main", "rv-second", "rv-broken", "rv-dry"))


def http(method: str, url: str) -> tuple[int, Any]:
    req = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status, json.loads(resp.read())


def first_200(url: str, deadline: float = 60.0) -> Any:
    end = time.monotonic() + deadline
    while True:
        try:
            status, body = http("GET", url)
            if status == 200:
                return body
        except (urllib.error.URLError, ConnectionError, json.JSONDecodeError):
            if time.monotonic() > end:
                raise
        time.sleep(0.1)


def up(name: str) -> dict[str, Any]:
    data = cli_json("review", "up", "--app", str(EXAMPLE), "--name", name)
    assert isinstance(data, dict)
    return data


def leftovers(review_id: str) -> list[str]:
    """Everything of a review environment still on the engine or the file system: containers,
    volumes and networks with its label (its sandbox's too), its directories."""
    found = []
    for kind in ("ps -a", "volume ls", "network ls"):
        out = subprocess.run(
            ["docker", *kind.split(), "-q", "--filter", f"label=dotbox.review={review_id}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        found += [f"{kind}: {x}" for x in out]
    for path in (run_root() / f"{review_id}-db",):
        if path.exists():
            found.append(str(path))
    return found


def part(env: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(p for p in env["parts"] if p["part"] == kind)


@pytest.fixture(scope="module")
def official() -> Iterator[StandIn]:
    with standin(17) as server:
        yield server


@pytest.fixture(scope="module")
def env() -> Iterator[dict[str, Any]]:
    data = up(MAIN)
    try:
        yield data
    finally:
        run_cli("review", "down", MAIN)


def test_app_answers_on_loopback_and_writes_into_the_sandbox(env: dict[str, Any]) -> None:
    (url,) = env["urls"].values()
    assert url.startswith("http://127.0.0.1:")
    assert first_200(url) == []
    status, body = http("POST", f"{url}/items?block=C7&slug=from-review&title=Hello")
    assert status == 201
    with psycopg.connect(env["dsn"]) as conn:
        rows = conn.execute("SELECT id, block_code, slug FROM runtime.item").fetchall()
    assert rows == [(body["id"], "C7", "from-review")]


def test_only_the_forwarder_has_a_network(env: dict[str, Any]) -> None:
    app = part(env, "app")
    assert app["network_mode"] == "none"
    assert interfaces(app["name"]) == ["lo"]
    for kind in ("db-relay", "ingress"):
        assert part(env, kind)["network_mode"].startswith("container:")
        assert interfaces(part(env, kind)["name"]) == ["lo"]
    forwarder = part(env, "forwarder")
    assert forwarder["network_mode"] not in ("none", "host")
    generated = yaml.safe_load((Path(env["dir"]) / "compose.yml").read_text())
    assert generated["services"]["dotbox-forwarder"]["ports"] == ["127.0.0.1::10000"]


def test_the_official_server_is_unreachable_from_the_app(
    env: dict[str, Any], official: StandIn
) -> None:
    before = official.log().count("connection received")
    targets = [
        f"{official.address}:5432",
        f"{official.gateway}:{official.port}",
        f"127.0.0.1:{official.port}",
        f"{official.container}:5432",
    ]
    out = subprocess.run(
        ["docker", "exec", part(env, "app")["name"], "python3", "-c", PROBE, *targets],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert len(out) == len(targets)
    assert all("refused:" in line for line in out), out
    assert official.log().count("connection received") == before
    assert len(official.canary()) == 3


def test_a_second_environment_is_independent_and_down_leaves_nothing(
    env: dict[str, Any],
) -> None:
    second = up(SECOND)
    assert leftovers(SECOND)
    try:
        (url,) = second["urls"].values()
        assert url not in env["urls"].values()
        assert second["dsn"] != env["dsn"]
        assert first_200(url) == []  # nothing of the first environment's rows
        http("POST", f"{url}/items?slug=second")
        (first_url,) = env["urls"].values()
        assert [r["slug"] for r in first_200(first_url)] == ["from-review"]
        listed = {r["id"] for r in cli_json("review", "list")}  # type: ignore[union-attr]
        assert {MAIN, SECOND} <= listed
    finally:
        report = cli_json("review", "down", SECOND)
    assert report == {**report, "confirmed": True, "sandbox_dropped": True}  # type: ignore[dict-item]
    assert leftovers(SECOND) == []
    assert not Path(second["dir"]).exists()
    assert not Path(second["dsn"].split("host=")[1]).exists()
    assert run_cli("review", "show", SECOND).returncode == 3
    ledger = cli_json("evidence", "show", f"{SECOND}-db")
    assert isinstance(ledger, list)
    assert [r["primitive"] for r in ledger] == [
        "sandbox-create",
        "review-up",
        "sandbox-drop",
        "review-down",
    ]
    assert run_cli("evidence", "verify", f"{SECOND}-db").returncode == 0


BAD = {
    "host-network": ({"network_mode": "host"}, "network_mode: host"),
    "privileged": ({"privileged": True}, "privileged"),
    "devices": ({"devices": ["/dev/null:/dev/x"]}, "host devices"),
    "docker-socket": ({"volumes": ["/var/run/docker.sock:/s"]}, "outside the project"),
    "outside-bind": ({"volumes": ["/etc:/e:ro"]}, "outside the project"),
    "not-on-the-engine": ({"image": "127.0.0.1:5999/nothing-here"}, "dotbox never pulls"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_refused_compose_files_leave_nothing(tmp_path: Path, case: str) -> None:
    extra, reason = BAD[case]
    app = tmp_path / "compose.yml"
    app.write_text(yaml.safe_dump({"services": {"web": {"image": "dotbox/base:pg17", **extra}}}))
    rid = unique(f"rvb{sorted(BAD).index(case)}")
    proc = run_cli("review", "up", "--app", str(app), "--name", rid)
    assert proc.returncode == 4
    assert reason in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert leftovers(rid) == []
    assert run_cli("review", "show", rid).returncode == 3


def test_a_failing_start_is_rolled_back(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "Dockerfile").write_text("FROM dotbox/review-tools:pg17\nRUN exit 3\n")
    app = tmp_path / "compose.yml"
    app.write_text(yaml.safe_dump({"services": {"web": {"build": "./b", "ports": ["80"]}}}))
    proc = run_cli("review", "up", "--app", str(app), "--name", BROKEN)
    assert proc.returncode == 11, proc.stderr
    assert f"compose build of review {BROKEN} failed" in proc.stderr
    assert leftovers(BROKEN) == []
    builders = subprocess.run(
        [
            "docker",
            "ps",
            "-a",
            "--filter",
            "ancestor=dotbox/review-tools:pg17",
            "--format",
            "{{.Command}}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "exit 3" not in builders  # the failed build step's container is gone too
    assert run_cli("review", "show", BROKEN).returncode == 3


def test_show_and_logs_read_the_environment_back(env: dict[str, Any]) -> None:
    shown = cli_json("review", "show", MAIN)
    assert isinstance(shown, dict)
    assert shown["urls"] == env["urls"] and shown["sandbox"] == f"{MAIN}-db"
    logs = cli_json("review", "logs", MAIN, "--tail", "5")
    assert isinstance(logs, dict)
    assert {p["name"] for p in env["parts"]} <= set(logs)


def test_dry_run_prints_the_generated_file_and_makes_nothing() -> None:
    proc = run_cli("review", "up", "--app", str(EXAMPLE), "--name", DRY, "--dry-run")
    assert proc.returncode == 0, proc.stderr
    generated = yaml.safe_load(proc.stdout)
    assert generated["services"]["web"]["network_mode"] == "none"
    assert generated["services"]["dotbox-web-db"]["network_mode"] == "service:web"
    assert leftovers(DRY) == []
    assert run_cli("review", "show", DRY).returncode == 3
