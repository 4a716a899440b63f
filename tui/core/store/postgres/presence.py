"""Who else is here, on PostgreSQL: the same board as presence.py's files, as rows of the
`presence` table (schema.py), one per desk, keyed by the backend pid of a connection the
desk keeps for it.

That connection holds an advisory lock (PRESENCE_LOCK, its pid) for as long as it lives, as
a presence file's owner holds its flock: a row whose lock nobody holds belongs to a desk
that has gone (killed, its network gone, the server restarted), so readers skip it and any
desk may remove it. Presence ends when the desk's connection ends, with no timeout to tune.
The row's agent is the store's, which row-level security holds to the role that logged in.

A change of the rows is heard, not polled: a trigger (schema 5) notifies the schema's
presence channel, which the store's listener hears (changes.py) and passes on to
`wake_on_change`'s callbacks (but a desk's own changes); the watch then reads the board
once. A desk that ends with a goodbye deletes its row, which is heard at once. One killed
outright sends nothing, but the desk that watches it in the ring (presence_ring.py) gets
its lock the moment its connection ends and removes its row, which is heard the same way.
No heartbeat: the lock says a desk is there; REREAD_S is only a safety net.
"""

from __future__ import annotations

import threading
from typing import Any

from ...presence import Presence
from .connection import (APPLICATION, CONNECT_TIMEOUT_S, connection_lost, database_errors,
                         server_spoke)
from .presence_ring import PresenceRing
from .schema import PRESENCE_LOCK

UPSERT = ("INSERT INTO presence (backend, agent, ticket, state, since) "
          "VALUES (pg_backend_pid(), %s, %s, %s, now()) ON CONFLICT (backend) DO UPDATE "
          "SET ticket = excluded.ticket, state = excluded.state, since = excluded.since")
OWN_ROW = "SELECT 1 FROM presence WHERE backend = pg_backend_pid()"
OTHERS = ("SELECT agent, backend, ticket, state, extract(epoch FROM since)::float8 FROM presence "
          "WHERE backend <> pg_backend_pid() AND desk_presence_alive(backend) ORDER BY backend")


REREAD_S = 60.0  # the watch's re-read when nothing is heard: only if a notification was lost
# A desk on a network that went away holds its lock until the server's TCP gives up on it
# (two hours by default): on the presence connection, after about 3 + 3 x 1 s.
SERVER_KEEPALIVES = ("SET tcp_keepalives_idle = 3; SET tcp_keepalives_interval = 1; "
              "SET tcp_keepalives_count = 3; SET tcp_user_timeout = 6000")


class PostgresPresence:
    reread_s = REREAD_S

    def __init__(self, url: str, agent: str, role: str | None = None, listener: Any = None):
        self._url, self.agent, self._role = url, agent, role
        self._listener = listener  # the store's ChangeListener, which hears presence too
        self._conn: Any = None
        self._state: tuple[str | None, str] = (None, "viewing")
        self._mutex = threading.Lock()
        self._ring: PresenceRing | None = None

    def _own_pid(self) -> int | None:
        conn = self._conn
        try:
            return None if conn is None or conn.closed else conn.info.backend_pid
        except Exception:  # noqa: BLE001 - closed by another thread meanwhile
            return None

    def _connection(self) -> Any:
        """The presence connection, made and locked the first time (and after a loss)."""
        import psycopg

        if self._conn is not None and not self._conn.closed:
            return self._conn
        conn = psycopg.connect(self._url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S,
                               application_name=f"{APPLICATION} presence")
        try:
            # A row left under this pid by a connection that has ended: not alive (nobody holds
            # its lock yet), so the policy lets any role remove it before the lock is taken.
            # Asked first: a DELETE, even of no row, would wake every desk (the trigger is
            # per statement).
            if conn.execute(OWN_ROW).fetchone() is not None:
                conn.execute("DELETE FROM presence WHERE backend = pg_backend_pid()")
            # Nobody else should hold it (a ring's waiter holds it for one statement); one who
            # does (a careless or hostile role) makes this fail in seconds, not hang the desk.
            conn.execute("SET lock_timeout = '5s'")
            conn.execute("SELECT pg_advisory_lock(%s, pg_backend_pid())", (PRESENCE_LOCK,))
            conn.execute(SERVER_KEEPALIVES)
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        if self._ring is None:
            self._ring = PresenceRing(self._url, self._own_pid)
            self._ring.start()
        return conn

    def announce(self, ticket: str | None, state: str = "viewing") -> None:
        """Say what this desk shows now; cheap to call again with the same values."""
        with self._mutex:
            if (ticket, state) == self._state and self._conn is not None and not self._conn.closed:
                return
            self._state = (ticket, state)
            self._write()

    def _write(self) -> None:
        import psycopg

        ticket, state = self._state
        with database_errors(self._url, writing=True, role=self._role):
            try:
                self._connection().execute(UPSERT, (self.agent, ticket, state))
            except psycopg.Error as exc:
                if not connection_lost(exc):
                    raise
                # The connection ended (a restart, a failover) and our presence with it: say it
                # again on a new one (an upsert, so once is all it can do). None if it was
                # the connecting that failed (the server is still away).
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
                self._connection().execute(UPSERT, (self.agent, ticket, state))

    def wake_on_change(self, tell: Any) -> bool:
        """Call `tell()` when another desk's presence changes (heard by the store's listener
        while the store waits for changes); False if nothing will be heard."""
        if self._listener is None:
            return False

        def heard(senders: frozenset[int] | None) -> None:
            if senders is None or senders - {self._own_pid()}:
                tell()

        self._listener.presence_heard.append(heard)
        return True

    def refresh(self) -> None:
        """After a lost presence connection, say it again on a new one. Nothing is sent
        while the connection is there: its lock is the heartbeat."""
        with self._mutex:
            if self._conn is not None and (self._conn.closed or server_spoke(self._conn)):
                self._write()

    def clear(self) -> None:
        """Leave: remove our row and end the connection (its end alone would do as much)."""
        with self._mutex:
            if self._ring is not None:
                self._ring.stop()
                self._ring = None
            if self._conn is None:
                return
            try:
                if not self._conn.closed:
                    self._conn.execute("DELETE FROM presence WHERE backend = pg_backend_pid()")
            except Exception:  # noqa: BLE001 - a lost connection has ended our presence anyway
                pass
            finally:
                self._conn.close()
                self._conn = None

    def others(self) -> list[Presence]:
        """Every live desk but this one."""
        import psycopg

        with self._mutex:
            with database_errors(self._url, writing=False, role=self._role):
                if self._conn is not None and not self._conn.closed:
                    rows = self._conn.execute(OTHERS).fetchall()
                else:
                    with psycopg.connect(self._url, connect_timeout=CONNECT_TIMEOUT_S) as conn:
                        rows = conn.execute(OTHERS).fetchall()
            ring = self._ring
        if ring is not None:  # outside the mutex: moving the ring's wait may take a moment
            ring.members(pid for _agent, pid, *_rest in rows)
        return [Presence(agent=agent, pid=pid, ticket=ticket, state=state, since=since)
                for agent, pid, ticket, state, since in rows]
