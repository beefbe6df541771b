"""Snapshot numbers, measured in one run: gitlab bake against plain psql replay, capture of a
stand-in server, create time of a gitlab sandbox against one of the bundled default.

    python3 bench/snapshot_numbers.py [--runs 3]

Bake is timed on a throwaway tag (so it really bakes; the image is removed afterwards). Plain is
`psql -v ON_ERROR_STOP=1 -f gitlab.sql` into a fresh database of the same major, in a container
of the same base image with the server already running (psql step only). Writes
bench/results/snapshot_numbers.json. Timings only: no thresholds here.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
if "DOTBOX_HOME" not in os.environ:  # a home of its own, removed at exit
    os.environ["DOTBOX_HOME"] = tempfile.mkdtemp(prefix="dotbox-bench-")
    atexit.register(shutil.rmtree, os.environ["DOTBOX_HOME"], True)

import dotbox  # noqa: E402
from dotbox import images  # noqa: E402
from dotbox.engine import client  # noqa: E402
from dotbox.snapshots import capture, store  # noqa: E402
from tests.standin import standin  # noqa: E402

GITLAB = REPO / "tests" / "corpora" / "gitlab.sql"


def bake_once(manifest: store.SnapshotManifest) -> float:
    base = images.base_image(manifest.pg_major)
    tag = f"{images.SANDBOX_REPO}:bench-{secrets.token_hex(4)}"
    started = time.monotonic()
    images.bake(manifest, base, tag, recipe=images.recipe_digest())
    took = time.monotonic() - started
    client.remove_image(tag)
    return took


def plain_once(major: int) -> float:
    name = f"dotbox-bench-plain-{secrets.token_hex(3)}"
    script = (
        "set -e; initdb -D /tmp/d -U postgres -A trust >/dev/null; "
        "pg_ctl -w -s -D /tmp/d -l /tmp/log "
        "-o '-c listen_addresses= -c unix_socket_directories=/tmp' start; "
        "createdb -h /tmp plain; s=$(date +%s.%N); "
        "psql -X -q -h /tmp -v ON_ERROR_STOP=1 -d plain -f /gitlab.sql >/dev/null; "
        'e=$(date +%s.%N); echo "$s $e"'
    )
    try:
        out = subprocess.run(
            [
                "docker",
                "run",
                "--name",
                name,
                "--network",
                "none",
                "--user",
                "postgres",
                "-v",
                f"{GITLAB}:/gitlab.sql:ro",
                images.base_tag(major),
                "sh",
                "-c",
                script,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    finally:
        subprocess.run(["docker", "rm", "-f", "-v", name], capture_output=True)
    return float(out[-1]) - float(out[-2])


def create_once(snapshot: str) -> float:
    started = time.monotonic()
    sb = dotbox.sandbox(snapshot)
    took = time.monotonic() - started
    sb.drop()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    manifest = dotbox.import_snapshot(GITLAB, "gitlab", replace=True)
    bakes, plains = [], []
    for _ in range(runs):
        bakes.append(bake_once(manifest))
        plains.append(plain_once(manifest.pg_major))
    images.sandbox_image(manifest)
    images.sandbox_image(store.get("default"))
    creates_gitlab, creates_default = [], []
    for _ in range(runs * 3):
        creates_gitlab.append(create_once("gitlab"))
        creates_default.append(create_once("default"))
    captures = []
    seed = (REPO / "tests" / "corpora" / "supabase.sql").read_text()
    with standin(17, seed) as official:
        dsn = f"postgresql://official:{official.password}@{official.address}:5432/official"
        for i in range(runs):
            started = time.monotonic()
            capture.capture(dsn, f"official{i}", network=official.network)
            captures.append(time.monotonic() - started)
    med = statistics.median
    result = {
        "when": datetime.now(UTC).isoformat(),
        "runs": runs,
        "gitlab_bake_s": med(bakes),
        "gitlab_plain_psql_s": med(plains),
        "bake_over_plain": med(bakes) / med(plains),
        "create_gitlab_s": med(creates_gitlab),
        "create_default_s": med(creates_default),
        "capture_standin_s": med(captures),
        "raw": {
            "bake": bakes,
            "plain": plains,
            "capture": captures,
            "create_gitlab": creates_gitlab,
            "create_default": creates_default,
        },
    }
    out = REPO / "bench" / "results" / "snapshot_numbers.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "raw"}, indent=2))


if __name__ == "__main__":
    main()
