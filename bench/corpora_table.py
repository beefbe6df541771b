"""Every corpus in tests/corpora, measured in one run: tables, bake time, create time, the
harness's cases (passed, skipped, failed) and whether the sandbox's catalog equals a plain
``psql -f`` restore of the same file in a fresh server of the same base image.

    make bench-corpora        # python3 bench/corpora_table.py [--only FILE ...]

Bakes each on a throwaway tag (so it really bakes; removed afterwards), then creates a sandbox
from its regular image (baked first if missing, not timed) and times that create. Runs in a
DOTBOX_HOME of its own. Writes bench/results/corpora.json and prints a Markdown table.
Timings only: no thresholds.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ["DOTBOX_HOME"] = tempfile.mkdtemp(prefix="dotbox-bench-corpora-")
atexit.register(shutil.rmtree, os.environ["DOTBOX_HOME"], True)

import dotbox  # noqa: E402
from bench.snapshot_numbers import bake_once  # noqa: E402
from dotbox import images  # noqa: E402
from dotbox.pg import db  # noqa: E402
from tests.corpus_cases import CORPORA, GITLAB, import_args, plain_restore_counts  # noqa: E402

CORPUS_DIR = REPO / "tests" / "corpora"


def measure(file: str, args: list[str]) -> dict[str, object]:
    manifest = dotbox.import_snapshot(CORPUS_DIR / file, **import_args(args))  # type: ignore[arg-type]
    bake_s = bake_once(manifest)
    images.sandbox_image(manifest)
    started = time.perf_counter()
    sb = dotbox.sandbox(manifest.name, ttl="30m")
    create_s = time.perf_counter() - started
    try:
        with sb.connect() as conn:
            live = db.catalog_counts(conn)
        harness = sb.harness(auto=True).outputs
    finally:
        sb.drop()
    plain = plain_restore_counts(manifest, CORPUS_DIR / file)
    return {
        "file": file,
        "pg": manifest.pg_major,
        "tables": manifest.counts.get("tables", 0),
        "bake_s": round(bake_s, 1),
        "create_s": round(create_s, 2),
        "harness": {k: harness.get(k) for k in ("passed", "skipped", "failed")},
        "equal_to_plain_restore": live == plain,
    }


def table(rows: list[dict[str, object]]) -> str:
    lines = [
        "| corpus | PG | tables | bake | create | harness passed / skipped / failed"
        " | equal to plain restore |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        h = r["harness"]
        assert isinstance(h, dict)
        lines.append(
            f"| {r['file']} | {r['pg']} | {r['tables']:,} | {r['bake_s']} s | {r['create_s']} s"
            f" | {h['passed']} / {h['skipped']} / {h['failed']}"
            f" | {'yes' if r['equal_to_plain_restore'] else 'NO'} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", help="corpus files to measure (default: all)")
    args = parser.parse_args()
    cases = [c for c in [*CORPORA, GITLAB] if not args.only or c[0] in args.only]
    rows = []
    for file, cli_args, _ in cases:
        rows.append(measure(file, cli_args))
        print(json.dumps(rows[-1]), flush=True)
    out = REPO / "bench" / "results" / "corpora.json"
    out.parent.mkdir(exist_ok=True)
    when = datetime.now(UTC).isoformat()
    out.write_text(json.dumps({"when": when, "cpus": os.cpu_count(), "rows": rows}, indent=2))
    print(table(rows))
    print(f"written {out}")


if __name__ == "__main__":
    main()
