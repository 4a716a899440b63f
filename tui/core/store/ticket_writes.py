"""How a ticket changes, whatever the backend: which fields an agent may set, the revision
check, the changes that merge instead of conflicting (messages, tags, a rating), and the
ticket-stream events each change emits. A backend supplies `_write_ticket` (read, check and
commit under its own lock) and `_insert_ticket_doc`; everything else lives here once."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Any, Callable, Iterable

from ..eventlog import FSYNC_NOW, EventWriter, new_ulid
from ..models import FLAGS, LINK_KINDS, RecordError, Ticket, now_utc, validate
from .base import Repository
from .errors import ConflictError, StoreError
from .ticket_events import (
    Event,
    events_for_change,
    events_for_message,
    events_for_new_ticket,
)

CONTACT_KIND = {"phone": "inbound_call", "chat": "chat_start", "web": "web_form"}
EDITABLE = {"status", "priority", "channel", "assignee", "group", "product", "customer",
            "subject", "issue_key", "resolution_code", "first_reply_due", "resolution_due", "tags"}
Mutation = Callable[[dict[str, Any]], None]
EventsOf = Callable[[dict, dict], Iterable[Event]]


def revise(ticket_id: str, old: dict[str, Any], mutate: Mutation, expected_rev: int | None,
           as_ticket: Callable[[dict[str, Any]], Ticket]) -> dict[str, Any]:
    """The next revision of `old`, or ConflictError if the writer saw another revision
    (`expected_rev` None: a change that commutes, applied to whatever is current)."""
    if expected_rev is not None and old.get("_rev", 0) != expected_rev:
        raise ConflictError(ticket_id, expected_rev, as_ticket(old))
    new = dict(old)
    mutate(new)
    new["_rev"] = old.get("_rev", 0) + 1
    new["updated"] = now_utc()
    return new


def status_mutation(ticket_id: str, changes: dict[str, Any]) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        if doc.get("status") == "closed" and changes.get("status", "closed") != "closed":
            raise StoreError(f"{ticket_id} is closed and cannot be reopened; "
                             "open a follow-up ticket instead")
        doc.update(changes)
        if changes.get("status") in ("solved", "closed") and not doc.get("solved"):
            doc["solved"] = now_utc()
        if changes.get("status") in ("new", "open", "pending", "on_hold"):
            doc.pop("solved", None)
    return mutate


def new_ticket(number: int, *, customer: str, subject: str, body: str, channel: str, priority: str,
               product: str | None, source: str, author: str | None, file: str,
               **fields: Any) -> Ticket:
    """A new ticket's first revision; its first message is the customer's or the agent's."""
    now = now_utc()
    first = {"id": new_ulid(), "author_kind": "agent" if source == "agent" else "customer",
             "author": author or "system",
             "kind": "public_reply" if source == "agent" else "customer_message",
             "body": body, "created": now}
    return validate(Ticket, {  # type: ignore[return-value]
        "id": f"T-{number}", "customer": customer, "subject": subject, "channel": channel,
        "priority": priority, "product": product, "created": now, "updated": now,
        "messages": [first] if body else [], "_rev": 1, **fields}, file=file, record=f"T-{number}")


class TicketWrites(Repository):
    """The write half of the repository, on top of a backend's two primitives."""

    agent: str | None
    events: EventWriter

    @abstractmethod
    def _write_ticket(self, ticket_id: str, mutate: Mutation, expected_rev: int | None,
                      events: EventsOf) -> tuple[dict, dict]:
        """Atomically: read the current document, `revise` it, store it with its events
        (`_ticket_events`), then `_write_events`."""

    @abstractmethod
    def _stored(self, doc: dict[str, Any]) -> Ticket:
        """A stored document as a Ticket (validation errors name the backend's file)."""

    @abstractmethod
    def _records_file(self) -> str:
        """What a RecordError names as the file of the active tickets."""

    def _before_close(self) -> None:
        """Called before a write that may close a ticket, outside any lock."""

    def _ticket_events(self, ticket_id: str, events: Iterable[Event]) -> list[dict[str, Any]]:
        """A change's ticket events, made (ids, seq, time) but not written: the backend stores
        them with the change, then writes them (`_write_events`), under its write lock, so the
        log's order is the store's."""
        return [self.events.make(type_, "ticket", data, ticket=ticket_id) for type_, data in events]

    def _new_ticket_events(self, doc: dict[str, Any], source: str, region: str | None
                           ) -> list[dict[str, Any]]:
        return self._ticket_events(doc["id"], events_for_new_ticket(doc, source, CONTACT_KIND, region))

    def _write_events(self, events: list[dict[str, Any]]) -> bool:
        """Append a durable change's events to the log; False if the log could not take them
        (a full disk): the change carries them, and the next change or open writes them."""
        try:
            for event in events:
                self.events.write(event, fsync=event["type"] in FSYNC_NOW)
        except OSError:
            return False
        return True

    def update_ticket(self, ticket_id: str, changes: dict[str, Any], expected_rev: int) -> Ticket:
        unknown = set(changes) - EDITABLE
        if unknown:
            raise RecordError(self._records_file(), ticket_id, sorted(unknown)[0],
                              "not a field that can be changed")
        if changes.get("status") == "closed":
            self._before_close()
        _, new = self._write_ticket(ticket_id, status_mutation(ticket_id, changes), expected_rev,
                                    events_for_change)
        return self._stored(new)

    def change_tags(self, ticket_id: str, add: Iterable[str] = (), remove: Iterable[str] = ()) -> Ticket:
        add, remove = set(add), set(remove)
        _, new = self._write_ticket(
            ticket_id, lambda d: d.update(tags=sorted((set(d.get("tags", [])) | add) - remove)), None,
            events_for_change)
        return self._stored(new)

    def mark(self, ticket_id: str, flag: str, value: bool) -> Ticket:
        """Set or clear a flag (spam, test, not L1 resolvable) with its `mark` event; flags
        apply after the fact (§B.8 item 9), so clearing one is the undo. Commutes."""
        if flag not in FLAGS:
            raise RecordError(self._records_file(), ticket_id, "flags",
                              f"{flag!r} is not a flag (one of {', '.join(FLAGS)})")

        def mutate(doc: dict[str, Any]) -> None:
            flags = set(doc.get("flags", []))
            (flags.add if value else flags.discard)(flag)
            doc["flags"] = sorted(flags)

        _, new = self._write_ticket(ticket_id, mutate, None, lambda old, new: (
            [("mark", {"flag": flag, "value": value})]
            if set(old.get("flags", [])) != set(new["flags"]) else []))
        return self._stored(new)

    def link(self, ticket_id: str, original: str, kind: str) -> Ticket:
        """Record that `ticket_id` repeats or follows up `original` (active or closed), with
        its `link_repeat` event. A ticket has one link; the spec has no unlink."""
        if kind not in LINK_KINDS:
            raise RecordError(self._records_file(), ticket_id, "link.kind",
                              f"{kind!r} is not a link kind (one of {', '.join(LINK_KINDS)})")
        if original == ticket_id:
            raise StoreError(f"{ticket_id} cannot be linked to itself")
        older = self.get_ticket(original)  # NotFound names it
        if older.link is not None and older.link.original == ticket_id:
            raise StoreError(f"{original} is already linked to {ticket_id}: links go from the "
                             "newer ticket to the older one")

        def mutate(doc: dict[str, Any]) -> None:
            if doc.get("link") and doc["link"].get("original") != original:
                raise StoreError(f"{ticket_id} is already linked to {doc['link']['original']}")
            doc["link"] = {"original": original, "kind": kind}

        _, new = self._write_ticket(ticket_id, mutate, None, lambda old, new: (
            [("link_repeat", {"original": original, "kind": kind})]
            if old.get("link") != new["link"] else []))
        return self._stored(new)

    def append_message(self, ticket_id: str, *, kind: str, body: str, author: str | None = None,
                       author_kind: str = "agent", call_start: datetime | None = None,
                       call_end: datetime | None = None) -> Ticket:
        now = now_utc()
        message = {"id": new_ulid(), "author_kind": author_kind,
                   "author": author or self.agent or "system", "kind": kind, "body": body,
                   "created": now}
        if call_start:
            message["call_start"] = call_start
        if call_end:
            message["call_end"] = call_end

        def mutate(doc: dict[str, Any]) -> None:
            doc["messages"] = [*doc.get("messages", []), message]
            if kind == "public_reply" and not doc.get("first_replied"):
                doc["first_replied"] = now

        _, new = self._write_ticket(
            ticket_id, mutate, None,
            lambda old, new: events_for_message(new["messages"][-1], new, CONTACT_KIND))
        return self._stored(new)

    def mark_merged(self, ticket_id: str, into: str, expected_rev: int) -> Ticket:
        """The first half of a merge (core/merge.py): `ticket_id` points to `into` and is
        solved, with its `merge` event (which moves its contacts, §B.3.3); revision-checked."""
        def mutate(doc: dict[str, Any]) -> None:
            status_mutation(ticket_id, {"status": "solved"})(doc)
            doc["merged_into"] = into
        _, new = self._write_ticket(ticket_id, mutate, expected_rev, events_for_change)
        return self._stored(new)

    def absorb_messages(self, ticket_id: str, messages: Iterable[dict[str, Any]]) -> Ticket:
        """The second half: add a merged ticket's messages to the thread of `ticket_id`, in time
        order, each once (by id, so a merge cut short can be finished); no event, since the
        `merge` event already moved the contacts. Commutes, like any append."""
        incoming = [dict(m) for m in messages]

        def mutate(doc: dict[str, Any]) -> None:
            have = {m.get("id") for m in doc.get("messages", [])}
            added = [m for m in incoming if m.get("id") not in have]
            doc["messages"] = sorted([*doc.get("messages", []), *added],
                                     key=lambda m: str(m.get("created", "")))
        _, new = self._write_ticket(ticket_id, mutate, None, lambda old, new: ())
        return self._stored(new)

    def rate(self, ticket_id: str, score: int, comment: str = "") -> Ticket:
        rating = {"score": score, "comment": comment, "date": now_utc()}
        _, new = self._write_ticket(
            ticket_id, lambda d: d.update(satisfaction=rating), None,
            lambda old, new: [("csat_response", {"survey": f"S-{ticket_id}", "score": score})])
        return self._stored(new)
