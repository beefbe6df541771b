"""A migration inside ``dotbox run`` (no network, the tools image) against the same migration
run on the host, same run: the Django and Alembic projects of docs/recipes, each migrating a
fresh sandbox of the bundled default snapshot.

    make bench-migrations        # python3 bench/migrations.py [--runs 5]

Inside: ``dotbox run SB --image tools -- python3 manage.py migrate`` (``alembic upgrade head``),
wall time of the command, runner container included. Host: the same command with the host's
Django/Alembic (this virtual environment's, not Debian's: versions are printed) and the
sandbox's ``dotbox env``. Runs in a DOTBOX_HOME of its own; writes
bench/results/migrations.json. Timings only: no thresholds.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shlex
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
os.environ["DOTBOX_HOME"] = tempfile.mkdtemp(prefix="dotbox-bench-migrations-")
atexit.register(shutil.rmtree, os.environ["DOTBOX_HOME"], True)

from tests.recipe_blocks import RECIPES, blocks  # noqa: E402

DOTBOX = [sys.executable, "-m", "dotbox"]
MIGRATE = {
    "django": ["python3", "manage.py", "migrate"],
    "alembic": ["alembic", "upgrade", "head"],
}


def project(recipe: str, where: Path) -> Path:
    """The recipe's files, written as the recipe shows them (Django's migration made once, as
    the recipe makes it)."""
    where.mkdir()
    for block in blocks(RECIPES / f"{recipe}.md"):
        if block.file:
            (where / block.file).parent.mkdir(parents=True, exist_ok=True)
            (where / block.file).write_text(block.text)
    if recipe == "django":  # by the tools image's Django, which both sides can read
        made = subprocess.run([*DOTBOX, "create", "--json"], capture_output=True, check=True)
        sandbox_id = json.loads(made.stdout)["id"]
        try:
            subprocess.run(
                [*DOTBOX, "run", sandbox_id, "--image", "tools", "--rw", "--",
                 "python3", "manage.py", "makemigrations", "shop"],
                cwd=where, check=True, capture_output=True,
            )  # fmt: skip
        finally:
            subprocess.run([*DOTBOX, "drop", sandbox_id], capture_output=True, check=True)
    return where


def sandbox_env(sandbox_id: str) -> dict[str, str]:
    out = subprocess.run([*DOTBOX, "env", sandbox_id], capture_output=True, text=True, check=True)
    env = dict(os.environ)
    for line in out.stdout.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        env[name] = shlex.split(value)[0] if value else ""
    # SQLAlchemy's plain postgresql:// means psycopg2; this environment has psycopg 3
    env["DATABASE_URL"] = env["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://")
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    return env


def once(recipe: str, where: Path, *, inside: bool) -> float:
    made = subprocess.run([*DOTBOX, "create", "--json"], capture_output=True, text=True, check=True)
    sandbox_id = json.loads(made.stdout)["id"]
    try:
        if inside:
            command = [*DOTBOX, "run", sandbox_id, "--image", "tools", "--", *MIGRATE[recipe]]
            env = dict(os.environ)
        else:
            command, env = MIGRATE[recipe], sandbox_env(sandbox_id)
            command = [sys.executable if command[0] == "python3" else command[0], *command[1:]]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=where, env=env, capture_output=True, text=True)
        took = time.perf_counter() - started
        if done.returncode:
            raise SystemExit(f"{shlex.join(command)} failed:\n{done.stdout}{done.stderr}")
        return took
    finally:
        subprocess.run([*DOTBOX, "drop", sandbox_id], capture_output=True, check=True)


def versions() -> dict[str, str]:
    import alembic
    import django

    inside = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "--entrypoint", "python3", TOOLS, "-c",
         "import django, alembic; print(django.__version__, alembic.__version__)"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    return {
        "host": f"Django {django.__version__}, Alembic {alembic.__version__}",
        "inside": f"Django {inside[0]}, Alembic {inside[1]}",
    }


TOOLS = "dotbox/tools:pg17"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    subprocess.run([*DOTBOX, "image", "build", "--tools", "--pg", "17"], check=True)
    tmp = Path(tempfile.mkdtemp(prefix="dotbox-bench-projects-"))
    atexit.register(shutil.rmtree, tmp, True)
    results: dict[str, object] = {"versions": versions()}
    for recipe in MIGRATE:
        where = project(recipe, tmp / recipe)
        times: dict[str, list[float]] = {"inside": [], "host": []}
        for _ in range(args.runs):  # alternating, so load hits both alike
            times["inside"].append(once(recipe, where, inside=True))
            times["host"].append(once(recipe, where, inside=False))
        inside, host = (statistics.median(times[k]) for k in ("inside", "host"))
        results[recipe] = {
            "inside_median_s": round(inside, 2),
            "host_median_s": round(host, 2),
            "ratio": round(inside / host, 2),
            "runs": args.runs,
        }
        print(recipe, json.dumps(results[recipe]), flush=True)
    size = subprocess.run(
        ["docker", "image", "inspect", "-f", "{{.Size}}", TOOLS],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    results["tools_image_mb"] = round(int(size) / 1e6)
    results["when"] = datetime.now(UTC).isoformat()
    out = REPO / "bench" / "results" / "migrations.json"
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
