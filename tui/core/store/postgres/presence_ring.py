"""Noticing a desk that ended without a goodbye (kill -9, a lost network), on PostgreSQL,
without anyone polling: the live desks form a ring by backend pid, and each waits, on a
connection of its own, for the presence lock of the next one. That wait costs nothing while
the next desk lives; the moment its connection ends the lock is granted, and the waiter
removes the rows nobody holds, which notifies every desk (schema 5's trigger). The wait is a
transaction lock of one statement: whether it is granted, cancelled or fails, the waiter
holds nothing afterwards, so a new connection that gets the dead desk's pid can take it.

Every desk is watched by exactly one other (the one before it), so a death is noticed once,
at once. When who is here changes (the board, read after each notification, says so) a
desk whose next one changed cancels its wait and waits on the new one. The wait also ends
by itself after LOCK_TIMEOUT_S, a safety net for a change of the ring that was missed (a
cancel that reached the server between two statements is ignored there).
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Iterable

from .connection import APPLICATION, CONNECT_TIMEOUT_S
from .schema import PRESENCE_LOCK

LOCK_TIMEOUT_S = 15  # the longest a wait on one desk lasts before the ring is looked at again
RETRY_S = 2.0  # while the server is away
ROWS = "SELECT backend, desk_presence_alive(backend) FROM presence"
CLEAR_DEAD = "DELETE FROM presence WHERE NOT desk_presence_alive(backend)"
WAIT = "SELECT pg_advisory_xact_lock(%s, %s)"
# On TCP: a ring whose server vanished finds out in seconds (ignored on a unix socket).
CLIENT_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2,
              "keepalives_count": 3}


def next_in_ring(me: int, members: Iterable[int]) -> int | None:
    """The desk `me` watches: the next pid above it, else the lowest; None when alone."""
    others = sorted(set(members) - {me})
    if not others:
        return None
    return next((pid for pid in others if pid > me), others[0])


class PresenceRing:
    def __init__(self, url: str, own_pid: Callable[[], int | None]):
        self._url, self._own_pid = url, own_pid
        self._conn: Any = None
        self._mutex = threading.Lock()
        self._changed = threading.Event()  # the ring may have changed: pick again
        self._stopped = threading.Event()
        self._watching: int | None = None  # the pid whose lock the wait is for
        self._thread: threading.Thread | None = None
        self.removed = 0  # how many times this desk has removed a gone desk's row

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, daemon=True, name="presence-ring")
            self._thread.start()

    def members(self, pids: Iterable[int]) -> None:
        """Who is here, as the board was last read: if this desk's next one changed, the
        wait moves to the new one."""
        me = self._own_pid()
        if me is None:
            return
        wanted = next_in_ring(me, list(pids) + [me])
        with self._mutex:
            if wanted == self._watching:
                return
            self._changed.set()
            if self._watching is not None and self._conn is not None:
                self._cancel()

    def stop(self) -> None:
        self._stopped.set()
        self._changed.set()
        with self._mutex:
            if self._conn is not None:
                self._cancel()
        if self._thread is not None:
            self._thread.join(timeout=1.0)  # a daemon: a desk quitting never waits on it long

    def _cancel(self) -> None:
        try:
            self._conn.cancel_safe(timeout=CONNECT_TIMEOUT_S)
        except Exception:  # noqa: BLE001 - a wait that cannot be cancelled ends by its timeout
            pass

    def _connect(self) -> Any:
        import psycopg

        conn = psycopg.connect(self._url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S,
                               application_name=f"{APPLICATION} presence ring",
                               **CLIENT_KEEPALIVES)
        try:
            conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT_S}s'")
        except BaseException:
            conn.close()
            raise
        return conn

    def _run(self) -> None:
        import psycopg

        while not self._stopped.is_set():
            try:
                if self._conn is None or self._conn.closed:
                    conn = self._connect()
                    with self._mutex:
                        self._conn = conn
                    if self._stopped.is_set():  # stopped while connecting: nothing to cancel
                        break
                self._watch_once()
            except psycopg.Error:
                if self._stopped.is_set():
                    break
                # Cancelled (the ring changed) or timed out: look again at once. The server
                # away (the connection is gone, or was never made): after a pause.
                if self._conn is None or self._conn.closed:
                    with self._mutex:
                        self._conn = None
                    self._stopped.wait(RETRY_S)
        with self._mutex:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _watch_once(self) -> None:
        self._changed.clear()  # before the read: a change told from here on is not lost
        me = self._own_pid()
        rows = self._conn.execute(ROWS).fetchall()
        if not all(alive for _pid, alive in rows):
            self._clear_dead()  # gone before anyone waited on it (or while the ring moved)
        members = [pid for pid, alive in rows if alive]
        with self._mutex:
            self._watching = None if me is None else next_in_ring(me, members + [me])
            watching = self._watching
        if watching is None:
            self._changed.wait(LOCK_TIMEOUT_S)  # alone: until somebody comes
            return
        if self._changed.is_set() or self._stopped.is_set():
            return
        try:
            self._conn.execute(WAIT, (PRESENCE_LOCK, watching))
        finally:
            with self._mutex:
                self._watching = None
        # Granted, and let go with the statement: that desk's connection has ended. Its row
        # goes at the next look at the ring, which follows at once.

    def _clear_dead(self) -> None:
        """Remove every row nobody holds: one statement, which every desk hears."""
        if self._conn.execute(CLEAR_DEAD).rowcount:
            self.removed += 1
