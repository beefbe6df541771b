"""A review environment of the example app: `review up` → the app's first HTTP 200, and
`review down` → confirmed gone (medians), plus the memory of an idle environment.

    python3 bench/review.py [--runs 5]

Uses the CLI as an operator does (a subprocess each). Writes bench/results/review.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from dotbox.engine import client  # noqa: E402

EXAMPLE = REPO / "compose" / "example" / "compose.yml"


def cli(*args: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-m", "dotbox", *args, "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    data: dict[str, object] = json.loads(out)
    return data


def first_200(url: str) -> None:
    end = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > end:
                raise
        time.sleep(0.02)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("DOTBOX_HOME", tempfile.mkdtemp(prefix="dotbox-bench-"))
    os.environ.setdefault("DOTBOX_RUN_DIR", tempfile.mkdtemp(prefix="dbx-") + "/r")

    up, down, memory = [], [], []
    for i in range(args.runs + 1):  # the first run warms caches and is not counted
        name = f"rv-bench-{i}"
        t = time.perf_counter()
        env = cli("review", "up", "--app", str(EXAMPLE), "--name", name)
        (url,) = env["urls"].values()  # type: ignore[attr-defined]
        first_200(url)
        elapsed = time.perf_counter() - t
        time.sleep(2)  # idle
        ids = [c.id for c in client.containers({"dotbox.review": name})]
        mem = sum(client.container_memory(c) for c in ids)
        t = time.perf_counter()
        report = cli("review", "down", name)
        assert report["confirmed"]
        gone = time.perf_counter() - t
        if i:
            up.append(elapsed)
            down.append(gone)
            memory.append(mem / 2**20)
    result = {
        "when": datetime.now(UTC).isoformat(),
        "runs": args.runs,
        "median_s": {
            "up_to_first_200": statistics.median(up),
            "down_confirmed": statistics.median(down),
        },
        "median_idle_memory_mib": statistics.median(memory),
        "containers": len(ids),
        "raw": {"up": up, "down": down, "memory_mib": memory},
    }
    out = REPO / "bench" / "results" / "review.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
