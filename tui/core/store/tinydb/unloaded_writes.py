"""A sync's push applied to a team store without loading it: the touched tickets read from the
journal or their own lines of the snapshot, changed, validated and written as one journal line
under the store's lock, as `write_tickets` of the loaded store would write them. What it cannot
do this way (a close, an archived or unknown ticket, a new record, a damaged line) raises
NeedsLoad before anything is written: the caller loads the store and does it there."""

from __future__ import annotations

from typing import Any, Callable

from ...models import Ticket, validate
from ..ticket_writes import revise
from .event_replay import last_events, log_is_writable, missing_from_log
from .journal import JournaledCollection, Op
from .names import ACTIVE, ARCHIVE, OUTBOX, doc_key
from .peek import Peeked, StorePeek


class NeedsLoad(Exception):
    """This change needs the store loaded; nothing was written."""


class UnloadedTeamStore:
    """The part of the store a push uses (tui/core/sync/host.py), on the files."""

    sync_marks: Callable[[str, dict, dict], list] | None = None

    def __init__(self, peek: StorePeek):
        self.peek = peek
        self.events = peek.events
        self.data_dir = peek.data_dir
        self._active = JournaledCollection(self.data_dir / f"{ACTIVE}.json",
                                           self.data_dir / f"{ACTIVE}.journal", peek.lock)

    def sync_table(self, name: str) -> dict[str, Any]:
        seen = self.peek.read()
        try:
            held = seen.table(name)
        finally:
            seen.close()
        if held is None:
            raise NeedsLoad(name)
        return held

    def write_batch(self, plan: Any) -> None:
        raise NeedsLoad("a new record takes an id from the loaded store's counters")

    def write_tickets(self, mutations: dict[str, Any], events: Any, *, closes: bool = False
                      ) -> dict[str, dict | Exception]:
        """As TinyDBStore.write_tickets, for tickets in the active set that stay there."""
        if closes:
            raise NeedsLoad("a close moves the ticket to the archive")
        outcome: dict[str, dict | Exception] = {}
        with self.peek.lock.exclusive():
            self._catch_up_events()
            seen = self.peek.read()  # under our exclusive lock: nobody writes meanwhile
            try:
                current = self._current(seen, set(mutations))
            finally:
                seen.close()
            ops: list[Op] = []
            file = str(self._active.snapshot)

            def as_ticket(doc: dict[str, Any]) -> Ticket:
                return validate(Ticket, doc, file=file, record=doc.get("id", "?"))  # type: ignore[return-value]

            for ticket_id, mutate in mutations.items():
                old = current[ticket_id]
                try:
                    doc = as_ticket(revise(ticket_id, old, mutate, None, as_ticket)).to_doc()
                    before = as_ticket(old).to_doc()
                except Exception as exc:  # noqa: BLE001 - handed back per ticket, as the store does
                    outcome[ticket_id] = exc
                    continue
                if doc["status"] == "closed" or list(events(before, doc)):
                    raise NeedsLoad("a close, or a change with ticket events")
                marks = self.sync_marks(ticket_id, before, doc) if self.sync_marks else []
                ops += [("tickets", doc_key(ticket_id), doc), *marks]
                outcome[ticket_id] = doc
            if ops:
                self._active.append_unloaded(ops)
        return outcome

    def _current(self, seen: Peeked, ticket_ids: set[str]) -> dict[str, dict[str, Any]]:
        """Each ticket's current document in the active set; NeedsLoad if one is elsewhere."""
        try:
            keys = {t: doc_key(t) for t in ticket_ids}
        except (IndexError, ValueError):
            raise NeedsLoad("a ticket id that is not one") from None
        if seen.damaged:
            raise NeedsLoad("a damaged journal line")
        written = seen.written_docs("tickets")
        leaving = seen.written_docs(OUTBOX)
        from_snapshot = {k for k in keys.values() if k not in written}
        found = seen.snapshot_docs("tickets", from_snapshot)
        if found is None:
            raise NeedsLoad("a snapshot in another layout")
        current = {}
        for ticket_id, key in keys.items():
            doc = written[key] if key in written else found.get(key)
            if doc is None or leaving.get(key) is not None:
                raise NeedsLoad(f"{ticket_id} is not in the active set")
            current[ticket_id] = doc
        return current

    def _catch_up_events(self) -> None:
        """As the store does before a change: the journals' last events are in the log."""
        log_is_writable(self.events.path)
        for name in (ACTIVE, ARCHIVE):
            found = last_events(self.data_dir / f"{name}.journal")
            for event in missing_from_log(self.events.path, *found) if found else ():
                self.events.write(event, fsync=True)

    def _before_close(self) -> None:
        raise NeedsLoad("a close moves the ticket to the archive")
