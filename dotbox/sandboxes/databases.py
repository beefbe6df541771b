"""Per-test databases of one sandbox: handed out from spares cloned ahead of time by a
background thread (like the warm pool, one level down), each with its own role and password,
dropped after use. The SQL is in ``dotbox.pg.databases``; this module holds the connections,
the spares and the thread."""

from __future__ import annotations

import dataclasses
import re
import secrets
import threading
from collections import deque
from typing import Any

from dotbox.core.errors import DotboxError, InvalidInput, NotFound, NotReady
from dotbox.core.records import SandboxCredentials
from dotbox.pg import databases as sql_db
from dotbox.pg import db, scram
from dotbox.sandboxes import lifecycle
from dotbox.sandboxes.inventory import SandboxInfo

DEFAULT_SPARES = 2


def admin_credentials(info: SandboxInfo) -> SandboxCredentials:
    admin = lifecycle.dbadmin_credentials(info)
    if admin is None:
        raise NotFound(
            f"sandbox {info.id} has no per-test database role on this host (made before"
            " per-test databases, or elsewhere)",
            hint="create a new sandbox",
        )
    return admin


class _Link:
    """One admin connection, used by one thread at a time, reopened if it broke."""

    def __init__(self, admin: SandboxCredentials) -> None:
        self._admin = admin
        self._conn: Any = None
        self.lock = threading.RLock()

    def get(self) -> Any:
        if self._conn is None or self._conn.closed:
            try:
                self._conn = sql_db.admin_connect(self._admin)
            except db.Error as exc:
                raise NotReady(f"sandbox {self._admin.id} refused dotbox's role: {exc}") from None
        return self._conn

    def close(self) -> None:
        with self.lock:  # after whatever statement runs on it now
            if self._conn is not None:
                self._conn.close()
                self._conn = None


class Databases:
    """The per-test databases of one sandbox in this process. ``take()`` hands one out (a
    spare if one is ready, else cloned now) and wakes the filler, which keeps ``spares``
    clones ready; ``drop(name)`` removes one; ``close()`` stops the filler and drops the
    spares."""

    def __init__(self, info: SandboxInfo, spares: int = DEFAULT_SPARES) -> None:
        self.info = info
        self.want = spares
        self._admin = admin_credentials(info)
        # one connection each, so that a drop (a checkpoint: tens of ms) in a background
        # remover never holds up a take() in the test's thread, nor a clone
        self._handing = _Link(self._admin)
        self._dropping = _Link(self._admin)
        self._filling = _Link(self._admin)
        self._ready: deque[str] = deque()
        self._wake = threading.Condition()
        self._closed = False
        self._strategy: sql_db.Strategy | None = None
        self._filler: threading.Thread | None = None
        self.error: str | None = None  # the filler's last failure, if it stopped on one

    # ---- handing out ---------------------------------------------------------------------
    def take(self) -> SandboxCredentials:
        name = sql_db.new_name()
        password = secrets.token_urlsafe(24)
        verifier = scram.verifier(password)
        with self._handing.lock:
            conn = self._handing.get()
            while True:
                spare = self._pop() or self._clone(conn)
                try:
                    sql_db.hand_out(conn, spare, name, verifier, self.info.user)
                    break
                except NotFound:  # another process took it: the next one
                    continue
        self._start_filler()
        creds = lifecycle.credentials(self.info)
        assert creds is not None  # admin_credentials read the same directory
        return dataclasses.replace(creds, user=name, password=password, database=name)

    def drop(self, name: str) -> bool:
        with self._dropping.lock:
            return sql_db.drop(self._dropping.get(), name)

    def _pop(self) -> str | None:
        with self._wake:
            return self._ready.popleft() if self._ready else None

    def _clone(self, conn: Any) -> str:
        if self._strategy is None:
            sql_db.ensure_template(conn, self.info.database)
            self._strategy = sql_db.strategy_for(sql_db.template_size(conn) or 0)
        return sql_db.clone(conn, self._strategy)

    # ---- the filler ----------------------------------------------------------------------
    def _start_filler(self) -> None:
        with self._wake:
            if self._filler is None and self.want > 0 and not self._closed:
                self._filler = threading.Thread(
                    target=self._fill, name=f"dotbox-spares-{self.info.id}", daemon=True
                )
                self._filler.start()
            self._wake.notify_all()

    def _fill(self) -> None:
        try:
            while True:
                with self._wake:
                    while not self._closed and len(self._ready) >= self.want:
                        self._wake.wait()
                    if self._closed:
                        return
                with self._filling.lock:
                    spare = self._clone(self._filling.get())
                with self._wake:
                    self._ready.append(spare)
                    self._wake.notify_all()
        except (DotboxError, db.Error) as exc:  # take() clones in its own thread meanwhile
            self.error = str(exc)

    def close(self, *, drop_spares: bool = True) -> None:
        """Stop the filler, drop the spares it made (unless the sandbox itself is going) and
        close the connections."""
        with self._wake:
            self._closed = True
            self._wake.notify_all()
        if self._filler is not None:
            self._filler.join()
        with self._handing.lock:
            try:
                while drop_spares and (spare := self._pop()):
                    sql_db.drop(self._handing.get(), spare)
            finally:
                for link in (self._handing, self._dropping, self._filling):
                    link.close()


_by_sandbox: dict[str, Databases] = {}
_lock = threading.Lock()


def of(info: SandboxInfo, spares: int = DEFAULT_SPARES) -> Databases:
    """This process's ``Databases`` of the sandbox (made at first use)."""
    with _lock:
        found = _by_sandbox.get(info.id)
        if found is None:
            found = _by_sandbox[info.id] = Databases(info, spares)
        return found


def forget(sandbox_id: str) -> None:
    """Stop the sandbox's filler: the sandbox is being dropped, and its spares with it."""
    with _lock:
        found = _by_sandbox.pop(sandbox_id, None)
    if found is not None:
        found.close(drop_spares=False)


def create_one(info: SandboxInfo) -> SandboxCredentials:
    """One database, cloned now (no spares, no thread): for one-shot callers like the CLI."""
    databases = Databases(info, spares=0)
    try:
        return databases.take()
    finally:
        databases.close()


_NAME = re.compile(re.escape(sql_db.PREFIX) + "[0-9a-f]{16}")


def handed_out(info: SandboxInfo) -> list[str]:
    link = _Link(admin_credentials(info))
    try:
        return sorted(set(sql_db.handed_out(link.get())))
    finally:
        link.close()


def check_name(name: str) -> str:
    """``name`` if it is a handed-out database's (never the sandbox's own, a spare or the
    template), else InvalidInput."""
    if not _NAME.fullmatch(name):
        raise InvalidInput(
            f"{name!r} is not a per-test database's name ({sql_db.PREFIX} and 16 hex digits)",
            hint="'dotbox db create' prints it",
        )
    return name


def drop_one(info: SandboxInfo, name: str) -> bool:
    """Drop the handed-out database ``name`` and its role; False if neither existed."""
    check_name(name)
    link = _Link(admin_credentials(info))
    try:
        return sql_db.drop(link.get(), name)
    finally:
        link.close()
