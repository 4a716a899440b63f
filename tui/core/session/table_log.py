"""The session's events when the event log is a database table (the PostgreSQL store): the
same SessionLog, read by position in the table instead of by offset in events.jsonl."""

from __future__ import annotations

from typing import Any, Iterable

from .log import SessionLog

MENTION_KEYS = ("ticket", "into", "original")  # the fields a ticket's events name it in


def mentions(event: dict[str, Any], tickets: set[str]) -> bool:
    """The event names one of `tickets` (as its ticket, or a merge's or link's other end)."""
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    return any(event.get(key) in tickets or data.get(key) in tickets for key in MENTION_KEYS)


def mention_pairs(tickets: Iterable[str]) -> list[tuple[str, str]]:
    return [(key, ticket) for ticket in tickets for key in MENTION_KEYS]


class TableSessionLog(SessionLog):
    """`store` is a PostgresStore (log_reads.py: log_position, events_after, events_mentioning)."""

    def __init__(self, store: Any, agent: str | None, session: str | None, run: str | None,
                 *, from_end: bool = False):
        super().__init__(None, agent, session, run)  # type: ignore[arg-type]
        self.store = store
        self._position = store.log_position() if from_end else 0

    def _read_new(self) -> None:
        events, last = self.store.events_after(self._position)
        if not events:
            return
        mine = [e for e in events if e.get("session") == self.session]
        self._keep(mine)
        acted = {e["ticket"] for e in mine if e.get("stream") == "ticket" and isinstance(e.get("ticket"), str)}
        new, self._linked = (acted | self._linked) - self.touched, set()
        if new and self._position:
            earlier = self.store.events_mentioning(mention_pairs(new), up_to=self._position)
            self._keep(e for e in earlier if e.get("stream") == "ticket")
        self.touched |= new
        self._keep(e for e in events if mentions(e, self.touched))
        self._position = last
