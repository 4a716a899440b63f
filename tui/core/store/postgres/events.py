"""The event log in the `events` table: each row holds one event, the same JSON object as a
line of events.jsonl (metrics-spec §B.3). A change's ticket events are inserted in the
change's own transaction, so the log has them exactly when the change is committed; other
events (the work stream) go in through `TableEventWriter.write`, one transaction each."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Generator, Iterable, Iterator

from ...eventlog import EventWriter, RunContext
from .connection import database_errors, jsonb

INSERT = "INSERT INTO events (ticket, type, event) VALUES (%s, %s, %s::jsonb)"
INSERT_NEW = INSERT + " ON CONFLICT ((event->>'id')) DO NOTHING"  # an event logged once by id
FETCH_ROWS = 2000  # rows a server-side cursor brings per round trip


def insert_events(conn: Any, events: Iterable[dict[str, Any]]) -> None:
    rows = [(e.get("ticket"), e["type"], jsonb(e)) for e in events]
    if rows:
        with conn.cursor() as cur:
            cur.executemany(INSERT, rows)


def read_events(conn: Any, *, stream: str | None = None) -> list[dict[str, Any]]:
    """Every event in log order (the order the rows were inserted), or one stream's."""
    if stream is None:
        rows = conn.execute("SELECT event FROM events ORDER BY pos").fetchall()
    else:
        rows = conn.execute("SELECT event FROM events WHERE event->>'stream' = %s ORDER BY pos",
                            (stream,)).fetchall()
    return [row[0] for row in rows]


class LoggedEvents:
    """The event log as of one snapshot, in log order: each iteration streams the rows
    through a server-side cursor of its own (FETCH_ROWS at a time), so a million events are
    never one list, and every iteration (the report reads the log twice) sees the same rows."""

    def __init__(self, conn: Any):
        self._conn = conn
        self._streams: list[Generator[dict[str, Any], None, None]] = []

    def __iter__(self) -> Iterator[dict[str, Any]]:
        stream = self._stream(len(self._streams) + 1)
        self._streams.append(stream)
        return stream

    def _stream(self, number: int) -> Generator[dict[str, Any], None, None]:
        with self._conn.cursor(name=f"desk_events_{number}") as cur:
            cur.itersize = FETCH_ROWS
            cur.execute("SELECT event FROM events ORDER BY pos")
            for (event,) in cur:
                yield event

    def close(self) -> None:
        """Close the cursors of iterations left unfinished, while their transaction lives
        (not later, on a connection the pool has lent to someone else)."""
        for stream in self._streams:
            stream.close()


@contextmanager
def event_log(url: str, pool: Any) -> Iterator[LoggedEvents]:
    """The log as of now, readable (only) until the block ends: one read-only, repeatable
    read transaction on a connection of the pool; database errors come out as StoreError."""
    with database_errors(url, writing=False):
        with pool.connection() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            logged = LoggedEvents(conn)
            try:
                yield logged
            finally:
                logged.close()


class TableEventWriter(EventWriter):
    """An EventWriter whose log is the events table: `make` as always (one seq counter per
    run), `write` inserts and commits the row. There is no file: `path` is None."""

    def __init__(self, run_in_transaction: Callable[[Callable[[Any], None]], None],
                 context: RunContext):
        super().__init__(None, context)  # type: ignore[arg-type]
        self._run = run_in_transaction

    def write(self, event: dict[str, Any], *, fsync: bool = False) -> None:
        self._run(lambda conn: insert_events(conn, [event]))

    def write_many(self, events: list[dict[str, Any]]) -> None:
        self._run(lambda conn: insert_events(conn, events))

    def flush(self) -> None:
        """Every write is committed when it returns."""

    def close(self) -> None:
        """The store's pool is closed with the store."""
