"""The plugin's background remover: one thread while tests run; at the session's end what is
left is removed by several threads at once (no test shares the cores then)."""

from __future__ import annotations

import threading

from dotbox.pytest_plugin import _Remover


def test_what_is_left_at_the_end_is_removed_by_several_threads() -> None:
    errors: list[str] = []
    remover = _Remover(errors)
    all_ran = threading.Event()
    ran_on: list[int] = []
    busy_on: list[int] = []
    lock = threading.Lock()

    def busy() -> None:  # holds the first thread until the others have run everything
        busy_on.append(threading.get_ident())
        all_ran.wait(timeout=10)

    def drop() -> None:
        with lock:
            ran_on.append(threading.get_ident())
            if len(ran_on) == 8:
                all_ran.set()

    remover.submit("busy", busy)
    for n in range(8):
        remover.submit(f"sb-{n}", drop)
    remover.wait()
    assert all_ran.is_set() and errors == [] and len(ran_on) == 8
    # all ran while the first thread was held: without the threads wait() adds, that thread
    # runs them all, after busy's timeout
    assert busy_on and busy_on[0] not in ran_on
