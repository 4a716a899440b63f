"""The event log in the `events` table: each row holds one event, the same JSON object as a
line of events.jsonl (metrics-spec §B.3). A change's ticket events are inserted in the
change's own transaction, so the log has them exactly when the change is committed; other
events (the work stream) go in through `TableEventWriter.write`, one transaction each."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from ...eventlog import EventWriter, RunContext
from .connection import jsonb

INSERT = "INSERT INTO events (ticket, type, event) VALUES (%s, %s, %s::jsonb)"


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
