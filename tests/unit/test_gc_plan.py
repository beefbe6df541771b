"""gc's plan, without an engine: from what was read (containers, each sandbox's facts, the
leftovers), the clock and the grace, which objects are removed and why, and in which order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dotbox.core.errors import EngineUnavailable
from dotbox.core.records import ContainerInfo
from dotbox.maintenance import janitor
from dotbox.maintenance.janitor import Leftovers, Removal, SandboxFacts, Seen

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
EPOCH = NOW.timestamp()
LATER = NOW + timedelta(hours=1)
EARLIER = NOW - timedelta(hours=1)


def container(
    name: str,
    role: str,
    *,
    sid: str = "",
    status: str = "running",
    age: float = 10.0,
    **labels: str,
) -> ContainerInfo:
    extra = {f"dotbox.{k.replace('_', '-')}": v for k, v in labels.items()}
    ids = {"dotbox.id": sid} if sid else {}
    return ContainerInfo(
        id=f"id-{name}",
        name=name,
        image="img",
        status=status,
        network_mode="none",
        labels={"dotbox.managed-by": "dotbox", "dotbox.role": role, **ids, **extra},
        created_at=EPOCH - age,
    )


def facts(
    *,
    expires: datetime = LATER,
    state: str = "ready",
    was_ready: bool = True,
    in_no_pool: bool = False,
) -> SandboxFacts:
    return SandboxFacts(expires=expires, state=state, was_ready=was_ready, in_no_pool=in_no_pool)


def sandbox(
    sid: str, f: SandboxFacts | None = None, **kw: object
) -> tuple[ContainerInfo, SandboxFacts]:
    return container(sid, "sandbox", sid=sid, **kw), f or facts()  # type: ignore[arg-type]


def seen(*items: ContainerInfo | tuple[ContainerInfo, SandboxFacts]) -> Seen:
    containers = [i[0] if isinstance(i, tuple) else i for i in items]
    sandboxes = {i[0].id: i[1] for i in items if isinstance(i, tuple)}
    return Seen(containers=containers, sandboxes=sandboxes)


def planned(s: Seen, *, grace: float = 120.0) -> list[tuple[str, str, str]]:
    p = janitor.plan(s, now=NOW, epoch=EPOCH, grace=grace, bake_max_age=3600.0)
    return [(r.kind, r.target, r.reason) for r in p.removals]


def test_a_live_sandbox_stays_and_is_live() -> None:
    p = janitor.plan(seen(sandbox("sb-live")), now=NOW, epoch=EPOCH)
    assert p.removals == [] and p.live == {"sb-live"}


def test_an_expired_sandbox_is_dropped_and_not_live() -> None:
    s = seen(sandbox("sb-old", facts(expires=EARLIER)), sandbox("sb-new"))
    p = janitor.plan(s, now=NOW, epoch=EPOCH)
    assert [(r.kind, r.target, r.reason) for r in p.removals] == [("sandbox", "sb-old", "expired")]
    assert p.live == {"sb-new"}


def test_a_broken_stopped_sandbox_is_kept_within_the_grace_and_dropped_after() -> None:
    broken = facts(state="broken", was_ready=True)
    young = seen(sandbox("sb-b", broken, status="exited", age=60.0))
    old = seen(sandbox("sb-b", broken, status="exited", age=180.0))
    assert planned(young, grace=120.0) == []
    assert planned(old, grace=120.0) == [
        ("sandbox", "sb-b", "broken (exited, never ready or stopped)")
    ]
    assert planned(young, grace=30.0) != []  # the grace is what decides


def test_a_broken_running_sandbox_is_dropped_at_once() -> None:
    s = seen(sandbox("sb-r", facts(state="broken"), status="running", age=1.0))
    assert planned(s) == [("sandbox", "sb-r", "broken (running, never ready or stopped)")]


def test_a_never_ready_sandbox_is_dropped_once_its_ready_by_has_passed() -> None:
    def one(ready_by: datetime, was_ready: bool) -> Seen:
        f = facts(state="broken", was_ready=was_ready)
        return seen(sandbox("sb-n", f, status="exited", age=1.0, ready_by=ready_by.isoformat()))

    assert planned(one(EARLIER, was_ready=False)) == [
        ("sandbox", "sb-n", "broken (exited, never ready or stopped)")
    ]
    assert planned(one(LATER, was_ready=False)) == []  # its create may still be making it
    assert planned(one(EARLIER, was_ready=True)) == []  # it was ready once: the grace applies


def test_a_sandbox_that_is_not_broken_is_kept_however_old() -> None:
    s = seen(sandbox("sb-ok", facts(state="ready"), status="exited", age=10_000.0))
    assert planned(s) == []


def test_a_pooled_sandbox_in_no_pool_is_dropped() -> None:
    s = seen(sandbox("sb-p", facts(in_no_pool=True)), sandbox("sb-q", facts(in_no_pool=False)))
    p = janitor.plan(s, now=NOW, epoch=EPOCH)
    assert [(r.target, r.reason) for r in p.removals] == [("sb-p", "pooled but in no pool")]
    assert p.live == {"sb-q"}


def test_an_expired_review_environment_is_taken_down_once() -> None:
    def review(name: str, rid: str, expires: datetime) -> ContainerInfo:
        return container(name, "review", review=rid, expires=expires.isoformat())

    s = seen(
        review("rv-b-db", "rv-b", EARLIER),
        review("rv-b-app", "rv-b", EARLIER),
        review("rv-a-app", "rv-a", EARLIER),
        review("rv-c-app", "rv-c", LATER),
        container("no-review-label", "review", expires=EARLIER.isoformat()),
    )
    assert planned(s) == [
        ("review", "rv-a", "expired review environment"),
        ("review", "rv-b", "expired review environment"),
    ]


def test_expired_review_environments_come_in_order_of_id() -> None:
    ids = [f"rv-{c}" for c in "hgfedcba"]
    s = seen(*(container(f"{r}-app", "review", review=r, expires=EARLIER.isoformat()) for r in ids))
    assert [target for _, target, _ in planned(s)] == sorted(ids)


def test_runners_and_forwarders_of_sandboxes_that_do_not_stay_are_removed() -> None:
    s = seen(
        sandbox("sb-live"),
        sandbox("sb-old", facts(expires=EARLIER)),
        container("run-live", "runner", sid="sb-live"),
        container("fwd-live", "forwarder", sid="sb-live"),
        container("run-old", "runner", sid="sb-old"),
        container("fwd-gone", "forwarder", sid="sb-gone"),
    )
    p = janitor.plan(s, now=NOW, epoch=EPOCH)
    assert p.removals == [
        Removal("sandbox", "sb-old", "expired"),
        Removal("container", "run-old", "runner of a sandbox that is gone", "id-run-old"),
        Removal("container", "fwd-gone", "forwarder of a sandbox that is gone", "id-fwd-gone"),
    ]


def test_a_bake_container_is_removed_only_when_older_than_a_bake_can_take() -> None:
    s = seen(
        container("bake-young", "bake", age=600.0),
        container("bake-old", "bake", age=7200.0),
        container("capture-old", "capture", age=7200.0),  # not gc's to judge
    )
    assert planned(s) == [("container", "bake-old", "bake container left by a killed bake")]


def test_sandboxes_come_first_then_reviews_then_containers() -> None:
    s = seen(
        container("bake-old", "bake", age=7200.0),
        container("rv-app", "review", review="rv-x", expires=EARLIER.isoformat()),
        sandbox("sb-old", facts(expires=EARLIER)),
    )
    assert [kind for kind, _, _ in planned(s)] == ["sandbox", "review", "container"]


def leftovers(**kw: object) -> Leftovers:
    base: dict[str, object] = {
        "volumes": {},
        "dangling_pool_entries": [],
        "directories": [],
        "labelled_ids": set(),
    }
    return Leftovers(**{**base, **kw})  # type: ignore[arg-type]


def test_a_volume_of_a_sandbox_that_does_not_stay_is_removed() -> None:
    left = leftovers(
        volumes={
            "vol-b": {"dotbox.id": "sb-gone"},
            "vol-a": {"dotbox.id": "sb-live"},
            "vol-c": {"dotbox.id": "sb-other"},
        }
    )
    assert janitor.plan_leftovers(left, {"sb-live"}) == [
        Removal("volume", "vol-b", "its sandbox is gone"),
        Removal("volume", "vol-c", "its sandbox is gone"),
    ]


def test_a_dangling_pool_entry_is_removed(tmp_path: Path) -> None:
    entry = tmp_path / ".pool" / "pagila" / "ready" / "sb-gone"
    left = leftovers(dangling_pool_entries=[entry])
    assert janitor.plan_leftovers(left, set()) == [
        Removal("pool entry", str(entry), "its sandbox is gone")
    ]


def test_a_run_directory_goes_only_when_no_sandbox_stays_and_no_container_carries_it(
    tmp_path: Path,
) -> None:
    dirs = [tmp_path / n for n in ("sb-gone", "sb-live", "sb-labelled")]
    left = leftovers(directories=dirs, labelled_ids={"sb-labelled"})
    assert janitor.plan_leftovers(left, {"sb-live"}) == [
        Removal("directory", str(tmp_path / "sb-gone"), "no sandbox container")
    ]


def test_leftovers_come_in_order_volumes_pool_entries_directories(tmp_path: Path) -> None:
    left = leftovers(
        volumes={"vol": {"dotbox.id": "sb-x"}},
        dangling_pool_entries=[tmp_path / "entry"],
        directories=[tmp_path / "sb-x"],
    )
    kinds = [r.kind for r in janitor.plan_leftovers(left, set())]
    assert kinds == ["volume", "pool entry", "directory"]


def test_a_dry_run_removes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    called: list[str] = []
    monkeypatch.setitem(janitor.REMOVERS, "volume", lambda r: called.append(r.target))
    actions = janitor.carry_out([Removal("volume", "v", "why")], dry_run=True)
    assert called == [] and [(a.target, a.done, a.error) for a in actions] == [("v", False, None)]


def test_a_failed_removal_is_reported_and_the_rest_still_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fail(r: Removal) -> None:
        raise EngineUnavailable(f"cannot remove {r.target}")

    called: list[str] = []
    monkeypatch.setitem(janitor.REMOVERS, "volume", fail)
    monkeypatch.setitem(janitor.REMOVERS, "directory", lambda r: called.append(r.target))
    actions = janitor.carry_out(
        [Removal("volume", "v", "why"), Removal("directory", "/d", "why")], dry_run=False
    )
    assert [(a.kind, a.done) for a in actions] == [("volume", False), ("directory", True)]
    assert actions[0].error is not None and "cannot remove v" in actions[0].error
    assert called == ["/d"]


def test_every_kind_planned_has_a_remover() -> None:
    assert set(janitor.REMOVERS) == {
        "sandbox",
        "review",
        "container",
        "volume",
        "pool entry",
        "directory",
    }


def test_another_homes_sandboxes_reviews_and_what_is_theirs_stay() -> None:
    """A DOTBOX_HOME is a boundary: gc in home A never drops B's expired sandbox or review
    environment, nor the forwarder or volume of B's sandbox; A's own go as before."""
    ours, theirs = {"home": "/a"}, {"home": "/b"}
    s = seen(
        sandbox("sb-ours", facts(expires=EARLIER), **ours),
        sandbox("sb-theirs", facts(expires=EARLIER), **theirs),
        container("fw-theirs", "forwarder", sid="sb-theirs", **theirs),
        container("rv-ours", "review", review="rv-a", expires=EARLIER.isoformat(), **ours),
        container("rv-theirs", "review", review="rv-b", expires=EARLIER.isoformat(), **theirs),
    )
    p = janitor.plan(s, now=NOW, epoch=EPOCH, home="/a")
    assert [(r.kind, r.target) for r in p.removals] == [("sandbox", "sb-ours"), ("review", "rv-a")]
    assert p.live == {"sb-theirs"}
    left = Leftovers(
        volumes={
            "dotbox-sock-sb-ours": {"dotbox.id": "sb-ours", "dotbox.home": "/a"},
            "dotbox-sock-sb-gone": {"dotbox.id": "sb-gone", "dotbox.home": "/b"},
        },
        dangling_pool_entries=[],
        directories=[],
        labelled_ids=set(),
        home="/a",
    )
    assert [r.target for r in janitor.plan_leftovers(left, p.live)] == ["dotbox-sock-sb-ours"]
    # the control: in home B, B's are gc's and A's stay
    p = janitor.plan(s, now=NOW, epoch=EPOCH, home="/b")
    assert [(r.kind, r.target) for r in p.removals] == [
        ("sandbox", "sb-theirs"),
        ("review", "rv-b"),
        ("container", "fw-theirs"),
    ]


def test_another_homes_orphan_runners_and_old_bakes_stay() -> None:
    """A runner whose sandbox is gone and a bake container older than an hour are garbage, but
    only their own home's gc collects them (a test session's gc never touches a user's)."""
    theirs = {"home": "/b"}
    s = seen(
        container("run-theirs", "runner", sid="sb-gone", **theirs),
        container("bake-theirs", "bake", age=7200.0, **theirs),
        container("run-nobody", "runner", sid="sb-gone"),
    )
    in_a = janitor.plan(s, now=NOW, epoch=EPOCH, home="/a")
    assert [r.target for r in in_a.removals] == ["run-nobody"]
    in_b = janitor.plan(s, now=NOW, epoch=EPOCH, home="/b")
    assert [r.target for r in in_b.removals] == ["run-theirs", "bake-theirs", "run-nobody"]
