"""Other desks' changes without polling the tables: a trigger on every table of records
notifies the schema's channel (NOTIFY is delivered at commit, so only committed changes are
heard), and each store listens on a connection of its own. `poll()` only reads what the
socket already holds: no query, nothing sent, so an idle desk costs the server nothing.
NOTIFY reaches the listeners shortly after the commit, not at once: a desk hears another's
change at its next poll after that, or at once while it waits (`poll(timeout)`)."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

from .connection import APPLICATION, CONNECT_TIMEOUT_S

RETRY_S = 1.0  # while the server is unreachable: the most a wait waits before trying again


def channel_of(schema: str) -> str:
    """The notification channel of a schema (channels are per database, tables per schema)."""
    return f"desk:{schema}"


def presence_channel_of(schema: str) -> str:
    """The channel a change of the schema's presence rows notifies (schema.py, schema 5)."""
    return f"desk-presence:{schema}"


class ChangeListener:
    def __init__(self, url: str, channel: str, presence_channel: str | None = None):
        self._url, self._channel, self._presence_channel = url, channel, presence_channel
        # Told of presence notifications, with the backend pids that sent them (None: some
        # may have been missed). The payload says nothing: readers re-read the board.
        self.presence_heard: list[Callable[[frozenset[int] | None], None]] = []
        self._mutex = threading.Lock()
        self._conn: Any = None
        self._lost = False
        self.changed: set[str] = set()  # the records heard of since the last `take_changed`
        self.losses = 0  # how many times the listening session was lost
        self._listen()

    def _listen(self) -> None:
        import psycopg
        from psycopg import sql

        self._conn = psycopg.connect(self._url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S,
                                     application_name=f"{APPLICATION} listener")
        self._lost = False
        # A server ending the session sends FATAL outside any query: libpq hands it to the
        # notice handler, and the read that consumed it reports no error.
        self._conn.add_notice_handler(self._on_notice)
        self._conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
        if self._presence_channel is not None:
            self._conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._presence_channel)))

    def _on_notice(self, diagnostic: Any) -> None:
        if diagnostic.severity in ("FATAL", "PANIC"):
            self._lost = True

    def poll(self, timeout: float = 0.0) -> bool:
        """True if a change was committed since the last poll (waiting up to `timeout`
        seconds for one, without using any CPU meanwhile). If the connection was lost
        (a restart, a failover), it listens again and says True, as a change may have been
        missed meanwhile; if it cannot, True too, and it tries again at the next poll."""
        import psycopg

        with self._mutex:
            try:
                if self._conn is None or self._conn.closed:
                    self._listen()
                    self._tell_presence()
                    return True  # listening again: what was committed meanwhile was not heard
                notes = list(self._conn.notifies(timeout=timeout, stop_after=1))
                heard = [n.payload for n in notes if n.channel == self._channel]
                if len(heard) < len(notes):
                    self._tell_presence(frozenset(n.pid for n in notes
                                                  if n.channel != self._channel))
                self.changed.update(heard)
                if self._lost:
                    raise psycopg.OperationalError("the server ended the listening session")
            except psycopg.Error:
                was_listening = self._conn is not None
                self._close()
                if was_listening:
                    self.losses += 1
                try:
                    self._listen()
                    self._tell_presence()  # a presence change may have been missed too
                except psycopg.Error:
                    # Still down: said once (the loss), then quiet until it listens again.
                    if not was_listening and timeout > 0:
                        time.sleep(min(timeout, RETRY_S))  # a wait that waits, server or not
                    return was_listening
                return True
            return bool(heard)

    def _tell_presence(self, senders: frozenset[int] | None = None) -> None:
        for tell in self.presence_heard:
            tell(senders)

    def take(self) -> set[str]:
        with self._mutex:
            taken, self.changed = self.changed, set()
            return taken

    def _close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    def close(self) -> None:
        with self._mutex:
            self._close()
