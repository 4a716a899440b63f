"""What the app reads of the events table: a ticket's history (the `h` pane), the events
after a position (the session's figures, read incrementally), and the events that mention
given values anywhere in them (the "why" of a ticket), as the data directory's readers
search the lines of events.jsonl for `"key":"value"`."""

from __future__ import annotations

from typing import Any, Iterable

import orjson

from ...eventlog import global_order
from .sql_values import like_pattern

RECENT_ROWS = 200_000  # how far back from the log's end a starting desk looks for its last run


def mention_pattern(key: str, value: str) -> str:
    """A LIKE pattern for `"key": "value"` in an event's JSON text (jsonb prints `": "`)."""
    return like_pattern(f'"{key}": {orjson.dumps(value).decode()}')


class PostgresLogReads:
    """Mixed into PostgresStore, which supplies `_read(fn)`."""

    def ticket_events(self, ticket_id: str) -> list[dict[str, Any]]:
        """One ticket's history (audit trail) in the log's global order, as eventlog's."""
        rows = self._read(lambda conn: conn.execute(  # type: ignore[attr-defined]
            "SELECT event FROM events WHERE ticket = %s ORDER BY pos", (ticket_id,)).fetchall())
        return sorted((row[0] for row in rows), key=global_order)

    def log_position(self) -> int:
        """The position of the last event in the log (0 if it has none)."""
        return self._read(lambda conn: conn.execute(  # type: ignore[attr-defined]
            "SELECT coalesce(max(pos), 0) FROM events").fetchone()[0])

    def events_after(self, position: int) -> tuple[list[dict[str, Any]], int]:
        """The events after `position`, in log order, and the position of the last one."""
        rows = self._read(lambda conn: conn.execute(  # type: ignore[attr-defined]
            "SELECT pos, event FROM events WHERE pos > %s ORDER BY pos", (position,)).fetchall())
        return [row[1] for row in rows], (rows[-1][0] if rows else position)

    def events_mentioning(self, pairs: Iterable[tuple[str, str]], *,
                          up_to: int | None = None) -> list[dict[str, Any]]:
        """The events whose JSON has `"key": "value"` for any of `pairs` (at any depth), in
        log order; only those at or before position `up_to` if it is given."""
        patterns = [mention_pattern(key, value) for key, value in pairs]
        if not patterns:
            return []
        sql = "SELECT event FROM events WHERE event::text LIKE ANY(%s)"
        params: list[Any] = [patterns]
        if up_to is not None:
            sql += " AND pos <= %s"
            params.append(up_to)
        return self._read(lambda conn: [row[0] for row in conn.execute(  # type: ignore[attr-defined]
            sql + " ORDER BY pos", params).fetchall()])

    def recent_events_of(self, agent: str, since_ts: str) -> list[dict[str, Any]]:
        """The agent's events from `since_ts` (RFC 3339) among the log's last RECENT_ROWS
        rows (a range of its primary key: what a desk's start may afford to read), to find
        the run a new one may resume."""
        return self._read(lambda conn: [row[0] for row in conn.execute(  # type: ignore[attr-defined]
            "SELECT event FROM events WHERE pos > (SELECT coalesce(max(pos), 0) FROM events) - %s "
            "AND event->>'agent' = %s AND event->>'ts' >= %s ORDER BY pos",
            (RECENT_ROWS, agent, since_ts)).fetchall()])

    def all_events(self) -> list[dict[str, Any]]:
        """Every event in log order (the session report's 30 days are computed from them)."""
        return self._read(lambda conn: [row[0] for row in conn.execute(  # type: ignore[attr-defined]
            "SELECT event FROM events ORDER BY pos").fetchall()])
