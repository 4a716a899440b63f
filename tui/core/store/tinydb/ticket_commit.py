"""A ticket change committed to the TinyDB store: under the lock, the current document read,
its revision checked, the mutation applied and the change written as one journal line with
its events; or many tickets' changes at once (`write_tickets`, a sync's push): one line and
one fdatasync for all the active tickets that stay active."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from ..errors import StoreError
from ..ticket_writes import revise
from .event_replay import log_size
from .journal import journal_id
from .names import OUTBOX, doc_key

EventsFor = Callable[[dict, dict], Iterable[tuple[str, dict[str, Any]]]]


@dataclass
class _Revised:
    ticket_id: str
    old: dict[str, Any]
    doc: dict[str, Any]
    archived: bool
    logged: list[dict[str, Any]] = field(default_factory=list)
    synced: list = field(default_factory=list)

    @property
    def stays_active(self) -> bool:
        return not self.archived and self.doc["status"] != "closed"


class TicketCommits:
    """Mixed into TinyDBStore (which holds `_active`, `_archive`, `_lock`, `_mutex`)."""

    def _revised(self, ticket_id: str, mutate: Any, expected_rev: int | None,
                 events: EventsFor) -> _Revised:
        """Under the lock: the change `mutate` makes to the current document, not yet written."""
        old, archived = self._find_doc(ticket_id)
        new = revise(ticket_id, old, mutate, expected_rev, lambda d: self._ticket(d, archived))
        doc = self._ticket(new, archived).to_doc()
        # Compared in the same stored form: a field the document lacks (written before
        # it had a default, or by a bulk import) is not a change.
        before = self._ticket(old, archived).to_doc()
        logged = self._ticket_events(ticket_id, events(before, doc))
        return _Revised(ticket_id, old, doc, archived, logged,
                        self._sync_ops(ticket_id, before, doc, logged))

    def _commit_one(self, change: _Revised) -> None:
        doc_id, doc = doc_key(change.ticket_id), change.doc
        log_at = log_size(self.events.path)
        if change.archived:
            if change.synced:  # first: an operation without its change is pushed, then pulled
                self._active.commit(change.synced)
            self._archive.commit([("tickets", doc_id, doc)], change.logged, log_at)
            journal = self._archive.journal
        elif doc["status"] == "closed":
            # The outbox line is the acknowledged write; the archive copy follows.
            self._active.commit([("tickets", doc_id, None), (OUTBOX, doc_id, doc), *change.synced],
                                change.logged, log_at)
            journal = self._active.journal
        else:
            self._active.commit([("tickets", doc_id, doc), *change.synced], change.logged, log_at)
            journal = self._active.journal
        self._logged_through(journal, change.logged)

    def _logged_through(self, journal: Any, events: list[dict[str, Any]]) -> None:
        """Append a committed line's events to the log; once they are in, the journal as it is
        now needs no catching up before the next change (`_catch_up_events`)."""
        if self._write_events(events):
            self._logged[journal] = journal_id(journal)

    def _write_ticket(self, ticket_id: str, mutate: Any, expected_rev: int | None,
                      events: EventsFor) -> tuple[dict, dict]:
        """Under the lock: read the current doc, check its rev, apply `mutate`, commit, log."""
        # Reloads (after another process compacted) and a first archive load parse whole
        # files: do them before taking the lock, so that other writers are not held up.
        self.refresh()
        self._find_doc(ticket_id)
        with self._mutex, self._lock.exclusive():
            self._catch_up_events()
            self.refresh()
            change = self._revised(ticket_id, mutate, expected_rev, events)
            self._commit_one(change)
            if change.doc["status"] == "closed" and not change.archived:
                self._flush_moves()
            if change.stays_active:
                self._maybe_compact()
            return change.old, change.doc

    def write_tickets(self, mutations: dict[str, Any], events: EventsFor, *, closes: bool = False
                      ) -> dict[str, dict | Exception]:
        """Apply `mutations` (ticket id -> mutate, no revision check) under one lock: the new
        document of each ticket, or the StoreError (or RecordError, or whatever its mutate
        raised) that kept it from changing. The tickets that stay active are one journal line;
        a close or an archived ticket is its own line, as in `_write_ticket`. `closes`: some
        mutation may close its ticket (the archive's index is made ready before the lock)."""
        if closes:
            self._before_close()
        self.refresh()
        for ticket_id in mutations:
            try:
                self._find_doc(ticket_id)  # a first archive load, before the lock
            except StoreError:
                pass  # answered below, under the lock
        outcome: dict[str, dict | Exception] = {}
        with self._mutex, self._lock.exclusive():
            self._catch_up_events()
            self.refresh()
            staying: list[_Revised] = []
            for ticket_id, mutate in mutations.items():
                try:
                    change = self._revised(ticket_id, mutate, None, events)
                except Exception as exc:  # noqa: BLE001 - handed back to the caller, per ticket
                    outcome[ticket_id] = exc
                    continue
                outcome[ticket_id] = change.doc
                if change.stays_active:
                    staying.append(change)
                else:
                    self._commit_one(change)
            if staying:
                ops = [op for c in staying for op in (("tickets", doc_key(c.ticket_id), c.doc), *c.synced)]
                logged = [e for c in staying for e in c.logged]
                self._active.commit(ops, logged, log_size(self.events.path))
                self._logged_through(self._active.journal, logged)
            if self._active.tables.get(OUTBOX):
                self._flush_moves()
            self._maybe_compact()
        return outcome
