"""The CLI against the API, same run: `dotbox create --json` and `dotbox drop ID` from a shell
against `dotbox.sandbox()` and `Sandbox.drop()` in a warm process, on the bundled default
snapshot.

    python3 bench/cli_speed.py [--runs 15] [--dotbox PATH] [--json]

A round runs API create, API drop, CLI create, CLI drop, in that order; the CLI is the installed
console script (this Python's own `dotbox`, else the first on PATH, unless --dotbox), run as a
fresh process from a
temporary directory outside the repository, with its bytecode cache as an installed package has
it (PYTHONDONTWRITEBYTECODE is dropped from its environment). Everything runs in its own
DOTBOX_HOME, removed at the end with every sandbox the run made. Prints medians of wall time
(and of the CLI's CPU time, user + system, which says more on a machine that other work shares)
and CLI - API; the issue's targets: CLI create <= API create + 150 ms, CLI drop <= 150 ms.
Timings only: no thresholds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
HOME = Path(tempfile.mkdtemp(prefix="dotbox-bench-cli-"))
os.environ["DOTBOX_HOME"] = str(HOME / "home")  # before dotbox reads it
sys.path.insert(0, str(REPO))

import dotbox  # noqa: E402

MARGIN_MS = 150.0
IMPORT_RUNS = 5  # create/drop pairs under -X importtime, after the timed rounds
# As installed: Python keeps the bytecode it compiles (pip writes it at install; an editable
# install on first use), even where the shell says otherwise.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000


def _cpu_ms() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * 1000


def _cli(dotbox_cmd: str, *args: str) -> tuple[float, float, str]:
    """Run the console script from outside the repository: its wall and CPU time, its stdout."""
    t0, c0 = time.perf_counter(), _cpu_ms()
    done = subprocess.run([dotbox_cmd, *args], cwd=HOME, capture_output=True, text=True, env=ENV)
    took, cpu = _ms(t0), _cpu_ms() - c0
    if done.returncode:
        raise RuntimeError(f"dotbox {' '.join(args)}: exit {done.returncode}: {done.stderr}")
    return took, cpu, done.stdout


class Round:
    """One round's four timings; every sandbox it makes is in ``made`` until dropped."""

    def __init__(self, dotbox_cmd: str, made: set[str]) -> None:
        self.dotbox_cmd = dotbox_cmd
        self.made = made

    def api(self) -> tuple[float, float]:
        t0 = time.perf_counter()
        sb = dotbox.sandbox()
        create = _ms(t0)
        self.made.add(sb.id)
        t0 = time.perf_counter()
        sb.drop()
        drop = _ms(t0)
        self.made.discard(sb.id)
        return create, drop

    def imports(self) -> tuple[float, float]:
        create, out = _imports_ms(self.dotbox_cmd, "create", "--json")
        sid = json.loads(out)["id"]
        self.made.add(sid)
        drop, _ = _imports_ms(self.dotbox_cmd, "drop", sid)
        self.made.discard(sid)
        return create, drop

    def cli(self) -> tuple[float, float, float, float]:
        create, create_cpu, out = _cli(self.dotbox_cmd, "create", "--json")
        sid = json.loads(out)["id"]
        self.made.add(sid)
        drop, drop_cpu, _ = _cli(self.dotbox_cmd, "drop", sid)
        self.made.discard(sid)
        return create, drop, create_cpu, drop_cpu


def _imports_ms(dotbox_cmd: str, *args: str) -> tuple[float, str]:
    """The time the console script spends importing for ``dotbox ARGS`` (the sum of what
    ``python -X importtime`` reports at the top level), and its stdout."""
    argv = [sys.executable, "-X", "importtime", dotbox_cmd, *args]
    done = subprocess.run(argv, cwd=HOME, capture_output=True, text=True, env=ENV)
    if done.returncode:
        raise RuntimeError(f"dotbox {' '.join(args)}: exit {done.returncode}: {done.stderr}")
    top = [
        fields[1]
        for fields in (line.split("|") for line in done.stderr.splitlines())
        if len(fields) == 3 and fields[2].startswith(" ") and not fields[2].startswith("  ")
    ]
    return sum(int(us) for us in top if us.strip().isdigit()) / 1000, done.stdout


def _floor() -> float:
    """A bare interpreter's start, for scale: `python -c pass` with the script's Python."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return _ms(t0)


def measure(runs: int, dotbox_cmd: str) -> dict[str, Any]:
    made: set[str] = set()
    samples: dict[str, list[float]] = {
        k: []
        for k in (
            "api_create", "api_drop", "cli_create", "cli_drop",
            "cli_create_cpu", "cli_drop_cpu", "cli_create_imports", "cli_drop_imports",
            "python_start",
        )
    }  # fmt: skip
    one = Round(dotbox_cmd, made)
    try:
        one.api()  # warm-up: the image's pages, the API's imports, the CLI's bytecode
        one.cli()
        for _ in range(runs):
            for key, value in zip(("api_create", "api_drop"), one.api(), strict=True):
                samples[key].append(value)
            cli_keys = ("cli_create", "cli_drop", "cli_create_cpu", "cli_drop_cpu")
            for key, value in zip(cli_keys, one.cli(), strict=True):
                samples[key].append(value)
            samples["python_start"].append(_floor())
        for _ in range(IMPORT_RUNS):
            imported = one.imports()
            for key, value in zip(
                ("cli_create_imports", "cli_drop_imports"), imported, strict=True
            ):
                samples[key].append(value)
    finally:
        for sid in made:
            with suppress(dotbox.DotboxError):
                dotbox.drop(sid)
    return _summary(samples, runs, dotbox_cmd)


def _summary(samples: dict[str, list[float]], runs: int, dotbox_cmd: str) -> dict[str, Any]:
    med: Callable[[str], float] = lambda k: round(statistics.median(samples[k]), 1)  # noqa: E731
    medians = {k: med(k) for k in samples}
    create_diff = round(medians["cli_create"] - medians["api_create"], 1)
    drop_diff = round(medians["cli_drop"] - medians["api_drop"], 1)
    return {
        "runs": runs,
        "dotbox": dotbox_cmd,
        "medians_ms": medians,
        "cli_minus_api_ms": {"create": create_diff, "drop": drop_diff},
        "targets": {
            "cli_create <= api_create + 150 ms": create_diff <= MARGIN_MS,
            "cli_drop <= 150 ms": medians["cli_drop"] <= MARGIN_MS,
        },
    }


def _print(out: dict[str, Any]) -> None:
    print(f"{out['runs']} rounds, CLI = {out['dotbox']} (run from {HOME})")
    for key, value in out["medians_ms"].items():
        print(f"  {key:<13} {value:8.1f} ms (median)")
    for key, value in out["cli_minus_api_ms"].items():
        print(f"  CLI - API {key:<7} {value:+8.1f} ms")
    for target, met in out["targets"].items():
        print(f"  {target}: {'met' if met else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    beside = Path(sys.executable).with_name("dotbox")  # this environment's own, as make runs it
    default = str(beside) if beside.exists() else shutil.which("dotbox")
    parser.add_argument("--dotbox", default=default, help="the console script")
    parser.add_argument("--json", action="store_true")
    opts = parser.parse_args()
    if not opts.dotbox:
        raise SystemExit("no dotbox console script on PATH (pip install -e . or --dotbox PATH)")
    try:
        out = measure(opts.runs, opts.dotbox)
    finally:
        shutil.rmtree(HOME, ignore_errors=True)
    if opts.json:
        print(json.dumps(out, indent=2))
    else:
        _print(out)


if __name__ == "__main__":
    main()
