"""Unreachable by construction: hostile code in a sandbox's server or in a runner tries to reach
a stand-in official server (a container of this test's own, on a bridge network of its own, port
published on 127.0.0.1) and fails. Every test ends by checking the canary is unchanged and the
stand-in logged no connection during the attempts.

Traffic goes only to loopback and to the stand-in this module made: inside a network-less
container 127.0.0.1 is that container's own loopback, and every other address has no route.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

import dotbox
from dotbox.engine import client
from tests.integration.conftest import interfaces
from tests.security.attack import PROBE, PROBE_B64, cli
from tests.standin import StandIn, standin

ATTEMPTS: list[tuple[str, str, bool]] = []  # (where, what, reached): all must be unreached


def targets(official: StandIn) -> list[str]:
    """Every way the official server could be named: its address, its network's gateway (an
    address of the host) with the inner and the published port, the published port on
    loopback, and its container name."""
    return [
        f"{official.address}:5432",
        f"{official.gateway}:{official.port}",
        f"{official.gateway}:5432",
        f"127.0.0.1:{official.port}",
        f"{official.container}:5432",
    ]


def dsns(official: StandIn) -> list[str]:
    user, pw, db = official.user, official.password, official.database
    return [
        f"postgresql://{user}:{pw}@{t.rsplit(':', 1)[0]}:{t.rsplit(':', 1)[1]}/{db}"
        "?connect_timeout=3"
        for t in targets(official)
    ]


def record(where: str, lines: list[str]) -> None:
    for line in lines:
        target, verdict = line.split()[:2]
        ATTEMPTS.append((where, target, verdict == "OPEN"))


def connections(official: StandIn) -> int:
    return official.log().count("connection received")


@pytest.fixture(scope="module")
def official() -> Iterator[StandIn]:
    with standin(17) as server:
        yield server
    reached = [a for a in ATTEMPTS if a[2]]
    sys.stderr.write(f"\nisolation: {len(ATTEMPTS)} escape attempts, {len(reached)} reached\n")


@pytest.fixture
def untouched(official: StandIn) -> Iterator[StandIn]:
    """The canary is unchanged and the stand-in saw no connection while the test ran."""
    canary = official.canary()
    before = connections(official)
    yield official
    assert connections(official) == before, "the stand-in saw a connection during the test"
    assert official.canary() == canary
    assert not [a for a in ATTEMPTS if a[2]], "an escape attempt reached its target"


def test_server_side_code_cannot_reach_the_official_server(untouched: StandIn) -> None:
    official = untouched
    with dotbox.sandbox(superuser=True) as sb:
        container = client.containers({"dotbox.id": sb.id, "dotbox.role": "sandbox"})[0]
        assert interfaces(container.id) == ["lo"]
        with sb.connect(autocommit=True) as conn:
            conn.execute("CREATE TEMP TABLE probe (line text)")
            program = f"echo {PROBE_B64} | base64 -d | python3 - {' '.join(targets(official))}"
            conn.execute(f"COPY probe FROM PROGRAM '{program}'")
            shell = " ".join(
                f"( exec 3<>/dev/tcp/{t.replace(':', '/')} ) 2>/dev/null"
                f" && echo {t} OPEN || echo {t} FAIL;"
                for t in targets(official)
            )
            conn.execute(f"COPY probe FROM PROGRAM 'timeout 10 bash -c \"{shell}\"'")
            lines = [r[0] for r in conn.execute("SELECT line FROM probe").fetchall()]
            assert len(lines) == 2 * len(targets(official))
            record("server COPY FROM PROGRAM", lines)
            assert all(" FAIL" in line for line in lines), lines

            conn.execute("CREATE EXTENSION dblink")
            conn.execute("CREATE EXTENSION postgres_fdw")
            for i, dsn in enumerate(dsns(official)):
                target = targets(official)[i]
                with pytest.raises(psycopg.Error, match="could not|connect|translate host"):
                    conn.execute("SELECT dblink_connect(%s)", (dsn,))
                ATTEMPTS.append(("server dblink", target, False))
                host, port = target.rsplit(":", 1)
                conn.execute(
                    f"CREATE SERVER off{i} FOREIGN DATA WRAPPER postgres_fdw OPTIONS"
                    f" (host '{host}', port '{port}', dbname '{official.database}',"
                    " connect_timeout '3')"
                )
                conn.execute(
                    f"CREATE USER MAPPING FOR CURRENT_USER SERVER off{i}"
                    f" OPTIONS (user '{official.user}', password '{official.password}')"
                )
                conn.execute(
                    f"CREATE FOREIGN TABLE canary{i} (id int, note text) SERVER off{i}"
                    " OPTIONS (table_name 'canary')"
                )
                with pytest.raises(psycopg.Error, match="could not|connect|translate host"):
                    conn.execute(f"UPDATE canary{i} SET note = 'escaped'")
                ATTEMPTS.append(("server postgres_fdw", target, False))


@pytest.mark.parametrize("tcp", [False, True], ids=["socket", "tcp-shim"])
def test_a_runner_script_cannot_reach_the_official_server(
    untouched: StandIn, tmp_path: Path, tcp: bool
) -> None:
    official = untouched
    (tmp_path / "probe.py").write_text(PROBE)
    # A hostile script with the official DSNs hard-coded: it writes to the canary if it can.
    attack = "".join(
        f'psql "{dsn}" -XAtc "UPDATE canary SET note = \'escaped\'" >/dev/null 2>&1'
        f' && echo "{t} OPEN" || echo "{t} FAIL";\n'
        for dsn, t in zip(dsns(official), targets(official), strict=True)
    )
    (tmp_path / "attack.sh").write_text(attack)
    with dotbox.sandbox() as sb:
        flags = ["--tcp"] if tcp else []
        proc = cli(
            "run",
            sb.id,
            *flags,
            "--",
            "sh",
            "-c",
            "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ';"
            f" python3 probe.py {' '.join(targets(official))}; sh attack.sh;"
            ' psql -XAtc "SELECT 1"',
            cwd=tmp_path,
        )
        assert proc.returncode == 0, proc.stderr
        out = proc.stdout.split()
        lines = proc.stdout.strip().splitlines()
        assert lines[0] == "lo" and lines[-1] == "1"  # only loopback; the sandbox answers
        probes = lines[1:-1]
        assert len(probes) == 2 * len(targets(official))
        record("runner" + (" --tcp" if tcp else ""), probes)
        assert all(" FAIL" in line for line in probes), probes
        assert "OPEN" not in out


def test_the_probe_does_reach_the_official_server_from_its_own_network(official: StandIn) -> None:
    """Control: the same probe, run in a container on the stand-in's bridge network, connects,
    so a FAIL above means no route, not a broken probe."""
    before = connections(official)
    out = subprocess.run(
        ["docker", "run", "--rm", "--network", official.network, "--entrypoint", "sh"]
        + ["dotbox/base:pg17", "-c", f"echo {PROBE_B64} | base64 -d | python3 - $*", "probe"]
        + [f"{official.address}:5432", f"{official.container}:5432"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert out == [f"{official.address}:5432 OPEN", f"{official.container}:5432 OPEN"]
    assert connections(official) > before  # and the stand-in's log does show such a visit


def test_a_sandbox_cannot_be_attached_to_the_official_network(untouched: StandIn) -> None:
    """Re-networking a sandbox after create is refused by the engine itself (network mode
    'none' is exclusive), so the guard's network-mode check cannot be bypassed that way."""
    with dotbox.sandbox() as sb:
        container = client.containers({"dotbox.id": sb.id, "dotbox.role": "sandbox"})[0]
        proc = subprocess.run(
            ["docker", "network", "connect", untouched.network, container.id],
            capture_output=True,
            text=True,
        )
        assert proc.returncode != 0 and "private (none) mode" in proc.stderr
        assert interfaces(container.id) == ["lo"]
