"""pytest plugin: disposable dotbox sandboxes as fixtures.

Registered through the ``pytest11`` entry point, so it is loaded in every pytest session of
anyone who installs dotbox. Importing it costs only this module: dotbox's API (and with it
docker and psycopg) is imported the first time a fixture asks for a sandbox, and a session that
uses no fixture never touches the engine.

Fixtures: ``dotbox_sandbox`` (one per test), ``dotbox_database`` (a database of its own per
test, inside the session sandbox), ``dotbox_session_sandbox`` (one per session, or per xdist
worker), ``dotbox_sandbox_factory`` (call it for as many as a test needs). Options:
``--dotbox-snapshot`` (ini ``dotbox_snapshot``), ``--dotbox-ttl`` (ini ``dotbox_ttl``),
``--dotbox-keep``. When a test ends, its sandbox or database is handed to a background remover
and the next test starts; the session sandbox waits for the removal of its databases and
confirms none is left, and the end of the session waits for every removal, then sweeps what is
still live (pass, failure, error, Ctrl-C, SIGTERM); a sandbox that a SIGKILL left behind
expires after its TTL and ``dotbox gc`` removes it.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import queue
import signal
import threading
from collections.abc import Callable, Generator, Iterator
from types import FrameType
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from dotbox.api import Database, Sandbox

DEFAULT_TTL = "30m"
KEEP_HINT = "rerun with --dotbox-keep to keep it for debugging"

_HELP_SNAPSHOT = "snapshot the dotbox fixtures start sandboxes from (default: dotbox's default)"
_HELP_TTL = (
    f"time to live of the sandboxes the fixtures make (default {DEFAULT_TTL}): if pytest is"
    " killed, 'dotbox gc' removes them once it has passed"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dotbox", "dotbox sandboxes")
    group.addoption("--dotbox-snapshot", metavar="NAME", default=None, help=_HELP_SNAPSHOT)
    group.addoption("--dotbox-ttl", metavar="DURATION", default=None, help=_HELP_TTL)
    group.addoption(
        "--dotbox-keep",
        action="store_true",
        default=False,
        help="do not drop the sandboxes the fixtures made; print their ids at the end",
    )
    parser.addini("dotbox_snapshot", _HELP_SNAPSHOT, default=None)
    parser.addini("dotbox_ttl", _HELP_TTL, default=None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "dotbox(snapshot=None, **options): options for the dotbox_sandbox of this test"
        " (snapshot, superuser, tcp, memory, cpus, pids, disk)",
    )
    config.stash[_KEY] = _Registry(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    registry = config.stash.get(_KEY, None)
    if registry is not None:
        registry.sweep()
        registry.restore_signals()


class _Registry:
    """Every sandbox this process made, until it is dropped (or kept)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.live: dict[str, Sandbox] = {}
        self.kept: list[str] = []
        self.made = 0
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self.item: pytest.Item | None = None  # the test running now
        self.remover = _Remover(self.errors)
        self.databases: dict[str, list[str]] = {}  # sandbox id -> databases handed out
        self._saved_sigterm: Any = None
        self._sigterm_installed = False

    # ---- options -----------------------------------------------------------------------
    def _option(self, flag: str, ini: str) -> str | None:
        value = self.config.getoption(flag, None) or self.config.getini(ini)
        return str(value) if value else None

    @property
    def keep(self) -> bool:
        return bool(self.config.getoption("dotbox_keep", False))

    def create(self, options: dict[str, Any], fixture: str) -> Sandbox:
        """A new sandbox with the session's snapshot and TTL unless ``options`` say otherwise;
        a failure report of the test running now will name it."""
        _import_library()
        from dotbox import api

        kwargs = dict(options)
        snapshot = kwargs.pop("snapshot", None) or self._option(
            "dotbox_snapshot", "dotbox_snapshot"
        )
        if snapshot:
            kwargs["snapshot"] = snapshot
        kwargs.setdefault("ttl", self._option("dotbox_ttl", "dotbox_ttl") or DEFAULT_TTL)
        self._install_sigterm()
        sandbox = api.sandbox(**kwargs)
        with self._lock:
            self.live[sandbox.id] = sandbox
            self.made += 1
        if self.item is not None:
            self.item.stash.setdefault(_MADE, {})[sandbox.id] = fixture
        return sandbox

    def release(self, sandbox: Sandbox, *, background: bool = False) -> None:
        """Drop ``sandbox`` now, or hand it to the background remover (with --dotbox-keep,
        record it as kept)."""
        with self._lock:
            if self.live.pop(sandbox.id, None) is None:
                return
        if self.keep:
            self.kept.append(sandbox.id)
            return
        if background:
            self.remover.submit(sandbox.id, lambda: self._drop(sandbox))
        else:
            self._drop(sandbox)

    def _drop(self, sandbox: Sandbox) -> None:
        try:
            sandbox.drop()
        except BaseException:
            with self._lock:
                self.live[sandbox.id] = sandbox  # the final sweep tries again
            raise

    def database(self, sandbox: Sandbox) -> Database:
        database = sandbox.database()
        with self._lock:
            self.databases.setdefault(sandbox.id, []).append(database.name)
        return database

    def release_database(self, database: Database) -> None:
        """Hand ``database`` to the background remover (with --dotbox-keep, leave it)."""
        if not self.keep:
            self.remover.submit(database.name, database.drop)

    def confirm_databases(self, sandbox: Sandbox) -> None:
        """Wait for the removals, then read back that none of the databases handed out of
        ``sandbox`` is left (each one that is becomes an error of the session)."""
        self.remover.wait()
        with self._lock:
            made = self.databases.pop(sandbox.id, [])
        if not made or self.keep:
            return
        from dotbox.core.errors import DotboxError

        try:
            left = set(sandbox.database_names()) & set(made)
        except DotboxError as exc:
            self.errors.append(f"{sandbox.id}: its databases could not be read back: {exc}")
            return
        self.errors.extend(f"{sandbox.id}: database {name} was left" for name in sorted(left))

    def sweep(self) -> None:
        """Wait for the background removals, then drop whatever is still live, with Ctrl-C and
        SIGTERM held back until it is done."""
        with _signals_deferred():
            self.remover.wait()
        if not self.live:
            return
        with _signals_deferred():
            for sandbox in list(self.live.values()):
                self.live.pop(sandbox.id, None)
                if self.keep:
                    self.kept.append(sandbox.id)
                    continue
                _remove(sandbox.id, sandbox.drop, self.errors)

    # ---- SIGTERM ----------------------------------------------------------------------
    def _install_sigterm(self) -> None:
        """Turn SIGTERM (a cancelled CI job) into KeyboardInterrupt, so that pytest tears down
        and the sandboxes are dropped. Only in the main thread, only over the default action."""
        if self._sigterm_installed or threading.current_thread() is not threading.main_thread():
            return
        self._sigterm_installed = True
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return
        self._saved_sigterm = signal.SIG_DFL

        def on_sigterm(signum: int, frame: FrameType | None) -> None:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM kills
            raise KeyboardInterrupt("SIGTERM")

        signal.signal(signal.SIGTERM, on_sigterm)

    def restore_signals(self) -> None:
        if self._saved_sigterm is not None:
            signal.signal(signal.SIGTERM, self._saved_sigterm)
            self._saved_sigterm = None


class _Remover:
    """Drops handed to it run one after another in a thread of their own, so that a test's
    teardown returns at once; ``wait()`` returns when every one has run, and runs what is
    left in WAITING_THREADS threads at once: no test is running then to share the cores
    with. A failure becomes a line of ``errors`` (the sandbox's own retry is the final sweep)."""

    WAITING_THREADS = 4

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        self._queue: queue.Queue[tuple[str, Callable[[], object]]] = queue.Queue()
        self._threads: list[threading.Thread] = []

    def submit(self, what: str, drop: Callable[[], object]) -> None:
        if not self._threads:
            self._start(1)
        self._queue.put((what, drop))

    def _start(self, count: int) -> None:
        while len(self._threads) < count:
            thread = threading.Thread(target=self._run, name="dotbox-remover", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _run(self) -> None:
        while True:
            what, drop = self._queue.get()
            try:
                _remove(what, drop, self.errors)
            finally:
                self._queue.task_done()

    def wait(self) -> None:
        if self._queue.qsize() > 1:
            self._start(self.WAITING_THREADS)
        self._queue.join()


class _signals_deferred:
    """Hold SIGINT and SIGTERM (in the main thread) while a block runs; raise
    KeyboardInterrupt afterwards if one came."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __enter__(self) -> None:
        self.hit = False
        self.saved: dict[int, Any] = {}
        if threading.current_thread() is not threading.main_thread():
            return

        def hold(signum: int, frame: FrameType | None) -> None:
            self.hit = True

        for sig in self.SIGNALS:
            self.saved[sig] = signal.getsignal(sig)
            signal.signal(sig, hold)

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self.saved.items():
            signal.signal(sig, handler)
        if self.hit and exc[0] is None:
            raise KeyboardInterrupt


_KEY = pytest.StashKey[_Registry]()
_MADE = pytest.StashKey[dict[str, str]]()  # on a test: ids of sandboxes made while it ran


def _registry(config: pytest.Config) -> _Registry:
    return config.stash[_KEY]


# ---- fixtures ---------------------------------------------------------------------------


@pytest.fixture
def dotbox_sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """A fresh sandbox for this test, dropped when it ends.

    ``@pytest.mark.dotbox(snapshot="pagila", superuser=True)`` changes how it is made."""
    marker = request.node.get_closest_marker("dotbox")
    options: dict[str, Any] = {}
    if marker is not None:
        if marker.args:
            options["snapshot"] = marker.args[0]
        options.update(marker.kwargs)
    registry = _registry(request.config)
    sandbox = registry.create(options, "dotbox_sandbox")
    try:
        yield sandbox
    finally:
        registry.release(sandbox, background=True)


@pytest.fixture(scope="session")
def dotbox_session_sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """One sandbox shared by every test of the session (of each xdist worker)."""
    registry = _registry(request.config)
    sandbox = registry.create({}, "dotbox_session_sandbox")
    try:
        yield sandbox
    finally:
        try:
            registry.confirm_databases(sandbox)
        finally:
            registry.release(sandbox)


@pytest.fixture
def dotbox_database(
    request: pytest.FixtureRequest, dotbox_session_sandbox: Sandbox
) -> Iterator[Database]:
    """A database of its own for this test, inside the session sandbox: a fresh clone of the
    snapshot's database (taken from spares cloned in the background), owned by a role of its
    own; it is dropped in the background when the test ends."""
    registry = _registry(request.config)
    database = registry.database(dotbox_session_sandbox)
    try:
        yield database
    finally:
        registry.release_database(database)


class SandboxFactory:
    """Call it for a new sandbox: ``factory(snapshot=..., superuser=..., tcp=...,
    max_connections=..., ...)`` (keyword arguments of ``dotbox.sandbox``). Every sandbox it
    made is dropped at teardown."""

    def __init__(self, registry: _Registry) -> None:
        self._registry = registry
        self.made: list[Sandbox] = []

    def __call__(self, snapshot: str | None = None, **options: Any) -> Sandbox:
        sandbox = self._registry.create({"snapshot": snapshot, **options}, "dotbox_sandbox_factory")
        self.made.append(sandbox)
        return sandbox

    def _release_all(self) -> None:
        first: BaseException | None = None
        for sandbox in self.made:
            try:
                self._registry.release(sandbox)
            except BaseException as exc:  # drop the rest, then report the first failure
                first = first or exc
        if first is not None:
            raise first


@pytest.fixture
def dotbox_sandbox_factory(request: pytest.FixtureRequest) -> Iterator[SandboxFactory]:
    """A callable that makes sandboxes; all of them are dropped when the test ends."""
    factory = SandboxFactory(_registry(request.config))
    try:
        yield factory
    finally:
        factory._release_all()


# ---- reports ----------------------------------------------------------------------------


def _sandboxes_of(item: pytest.Item) -> dict[str, str]:
    """The sandboxes a test was handed (directly, by the factory, or per session): id ->
    the fixture that made it."""
    funcargs: dict[str, Any] = getattr(item, "funcargs", {}) or {}
    made: dict[str, str] | None = item.stash.get(_MADE, None)
    found: dict[str, str] = dict(made or {})
    for name, value in funcargs.items():
        if isinstance(value, SandboxFactory):
            found.update((s.id, name) for s in value.made)
        elif type(value).__name__ == "Sandbox" and type(value).__module__ == "dotbox.api":
            found.setdefault(value.id, name)
        elif type(value).__name__ == "Database" and type(value).__module__ == "dotbox.api":
            found.setdefault(value.sandbox.id, f"{name}, database {value.name}")
    return found


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    registry = item.config.stash.get(_KEY, None)
    if registry is not None:
        registry.item = item
    try:
        yield
    finally:
        if registry is not None:
            registry.item = None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    registry = item.config.stash.get(_KEY, None)
    if not report.failed or registry is None or registry.made == 0:
        return
    found = _sandboxes_of(item)
    if found:
        report.sections.append(("dotbox", failure_text(found, keep=registry.keep)))


def failure_text(found: dict[str, str], *, keep: bool) -> str:
    """What a failed test's report says about its sandboxes."""
    lines = [f"sandbox {sid} (from {fixture})" for sid, fixture in found.items()]
    if keep:
        lines.append(
            "kept (--dotbox-keep): 'dotbox show ID' or 'dotbox env ID' to inspect it,"
            " 'dotbox drop ID' when done"
        )
    else:
        lines.append(f"dropped when its fixture ended; {KEEP_HINT}")
    return "\n".join(lines) + "\n"


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    registry = config.stash.get(_KEY, None)
    if registry is None:
        return
    kept = registry.kept + config.stash.get(_WORKER_KEPT, [])
    if kept:
        terminalreporter.section("dotbox: kept sandboxes")
        for sid in kept:
            terminalreporter.write_line(f"{sid}    remove with: dotbox drop {sid}")
    if registry.errors:
        terminalreporter.section("dotbox: sandboxes and databases that could not be dropped")
        for line in registry.errors:
            terminalreporter.write_line(line)


# ---- pytest-xdist: kept ids travel from the workers to the controller ---------------------

_WORKER_KEPT = pytest.StashKey[list[str]]()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    registry = config.stash.get(_KEY, None)
    if registry is None:
        return
    registry.sweep()
    workeroutput = getattr(config, "workeroutput", None)
    if isinstance(workeroutput, dict):
        workeroutput["dotbox_kept"] = list(registry.kept)
        workeroutput["dotbox_errors"] = list(registry.errors)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    output = getattr(node, "workeroutput", None) or {}
    config: pytest.Config = node.config
    config.stash.setdefault(_WORKER_KEPT, []).extend(output.get("dotbox_kept", []))
    registry = config.stash.get(_KEY, None)
    if registry is not None:
        registry.errors.extend(output.get("dotbox_errors", []))


@functools.cache
def _import_library() -> None:
    """Import the library's modules now, in the main thread, so that no thread of it (the
    remover, the driver import in create, a pool's or a sandbox's fillers) imports later. pytest
    assertion-rewrites this plugin's package, parsing each module as it is imported, and two
    threads parsing at once can make CPython 3.11 fail an import with "AST constructor recursion
    depth mismatch" (python/cpython#106905). About 0.2 s, once, when a fixture first needs it."""
    import dotbox

    for module in pkgutil.walk_packages(dotbox.__path__, "dotbox."):
        if not module.name.startswith(("dotbox.cli", "dotbox.__main__")):
            importlib.import_module(module.name)


def _remove(what: str, drop: Callable[[], object], errors: list[str]) -> None:
    """``drop()``; what is already gone is fine, any other failure is noted in ``errors``
    (never raised: the others must go too)."""
    from dotbox.core.errors import DotboxError, NotFound

    try:
        drop()
    except NotFound:
        pass
    except DotboxError as exc:
        errors.append(f"{what}: {exc.one_line()}")
    except Exception as exc:
        errors.append(f"{what}: {type(exc).__name__}: {exc}")
