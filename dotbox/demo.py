"""The main job, end to end on one sandbox: create → vocab-build → apply → verify → harness →
evidence export → drop. What ``dotbox demo`` runs (on the bundled default snapshot)."""

from __future__ import annotations

import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from dotbox import api
from dotbox.core import paths
from dotbox.images import Progress
from dotbox.snapshots import store


def bundled(name: str) -> Path:
    return Path(str(resources.files("dotbox").joinpath(f"data/{name}")))


def run(
    *,
    snapshot: str = store.DEFAULT_SNAPSHOT,
    vocab: Path | None = None,
    migration: Path | None = None,
    out: Path | None = None,
    echo: Callable[[str], None] = print,
    progress: Progress | None = None,
) -> Path:
    """Run every step, printing one line each; returns the exported bundle's directory."""
    vocab = vocab or bundled("default-vocab.yaml")
    migration = migration or bundled("sample-migration.sql")
    t = time.monotonic()
    sb = api.sandbox(snapshot, ttl="30m", progress=progress)
    echo(
        f"create    {sb.id} in {time.monotonic() - t:.2f}s: snapshot {sb.info.snapshot} on"
        f" PostgreSQL {sb.info.pg_major}, no network, socket {sb.info.socket_dir}"
    )
    with sb:
        o = sb.vocab_build(vocab)
        c = o.verify.checks if o.verify else {}
        first: tuple[str, dict[str, int]] = next(iter(c.get("coverage", {}).items()), ("-", {}))
        echo(
            f"vocab     {o.plan.summary}; {c.get('labels')} labels on {c.get('objects')}"
            f" objects; {first[0]} coverage {first[1]}; unknown code rejected with"
            f" {c.get('unknown_code_rejected_with')}"
        )
        o = sb.apply(migration)
        c = o.verify.checks if o.verify else {}
        echo(
            f"apply     {migration.name}: {o.outputs['statements']} statements in one"
            f" transaction; schema changed: {c.get('schema_changed')}"
        )
        o = sb.verify()
        c = o.verify.checks if o.verify else {}
        echo(f"verify    {c.get('summary')}")
        for line in c.get("drift", [])[:8]:
            echo(f"            drift: {line}")
        o = sb.harness(auto=True)
        c = o.verify.checks if o.verify else {}
        echo(
            f"harness   {o.outputs['passed']}/{o.outputs['cases']} bad inputs rejected with the"
            f" expected SQLSTATE, {o.outputs['skipped']} skipped, {o.outputs['failed']} failed;"
            f" nothing written or lost: {c.get('nothing_written_or_lost')}"
        )
        bundle = out or paths.data_home() / "bundles" / sb.id
        o = sb.evidence(bundle)
        echo(
            f"evidence  chain of {o.outputs['chain']['records']} records intact:"
            f" {o.outputs['chain']['ok']}; bundle {bundle}"
        )
        t = time.monotonic()
    echo(f"drop      {sb.id} in {time.monotonic() - t:.3f}s (confirmed gone; its ledger stays)")
    return bundle
