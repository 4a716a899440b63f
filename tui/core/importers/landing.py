"""What lands: imported tickets become desk tickets, customers (matched by email), products
and purchases, with their ticket-stream events (`src: import`, metrics-spec §B.3), written in
batches without the store's tables in memory (through the journal: store/tinydb/import_writer.py;
one transaction a batch: store/postgres/import_writer.py). Idempotent by source id: a
ticket whose source facts are unchanged is left alone; a changed one gets a new revision and
only the events of what is new. Ids of messages and events are derived from the source, so
an event written twice is the same event (the metrics de-duplicate by id)."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

from pydantic import ValidationError

from ..eventlog import parse_event_ts
from ..models import Ticket, format_ts, now_utc, record_errors
from ..store.ticket_events import events_for_change
from ..store.ticket_writes import CONTACT_KIND
from ..store.tinydb.import_writer import ImportWriter
from ..store.tinydb.names import OUTBOX
from .derived import customer_doc, facts_of, message_id, stable_ulid
from .known import KnownCustomers, KnownPurchases, KnownTickets
from .records import InDeskTicket, InTicket, InTicketFacts, Problem, Record
from .whole_records import WholeRecords

RESOLVED = ("solved", "closed")



@dataclass
class Counts:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    customers: int = 0
    products: int = 0
    purchases: int = 0
    events: int = 0


def ticket_doc(t: InTicket, number: int, customer: str, product: str | None, now: datetime,
               *, hashed: bool = True) -> dict[str, Any]:
    """The desk ticket of an imported one, validated (ValidationError if desk cannot hold it)."""
    tid = f"T-{number}"
    created = t.created or min(t.known_times(), default=now)
    messages = [] if isinstance(t, InDeskTicket) else [  # a desk export's thread is kept whole
        {"id": message_id(t, m), "author_kind": m.author_kind, "author": m.author,
         "kind": m.kind, "body": m.body, "created": m.created or created} for m in t.messages]
    doc: dict[str, Any] = {
        "id": tid, "customer": customer, "product": product, "subject": t.subject,
        "status": t.status, "priority": t.priority, "channel": t.channel, "tags": t.tags,
        "assignee": t.assignee, "group": t.group, "created": created,
        "updated": max([created, *t.known_times()]), "first_replied": t.first_replied,
        "solved": t.solved if t.status in RESOLVED else None,
        "issue_key": issue_key(t), "source_id": t.source_id, "messages": messages, "_rev": 1,
    }
    if isinstance(t, InDeskTicket):  # desk's own export: its stored fields, as they were
        doc.update(t.kept)
    if t.csat:
        score, comment, when = t.csat
        doc["satisfaction"] = {"score": score, "comment": comment, "date": when or doc["updated"]}
    ticket = Ticket.model_validate(doc)
    out = ticket.to_doc()
    if hashed:
        out["source_hash"] = source_hash(t)
    return out


def source_hash(t: InTicket) -> str:
    """What the source said (not where or when desk read it): equal means nothing changed."""
    where, t.where = t.where, ("", 0)
    try:
        return hashlib.blake2b(t.facts(), digest_size=12).hexdigest()
    finally:
        t.where = where


def issue_key(t: InTicket) -> str | None:
    """§B.5 item 5: importers set issue_key from product and category, where known."""
    parts = [p for p in (t.product, t.category) if p]
    return "/".join(p.lower().replace(" ", "-") for p in parts) if parts else None


def check_ticket(t: InTicket) -> list[Problem]:
    """Problems the desk models find in an imported ticket (the dry run's second look)."""
    checked = checked_doc(t, now_utc())
    return checked if isinstance(checked, list) else []


def checked_doc(t: InTicket, now: datetime) -> dict[str, Any] | list[Problem]:
    """The ticket validated once, with its source hash, and placeholder desk ids that
    `placed` replaces (the models only check their form); or the problems the models find."""
    try:
        return ticket_doc(t, 0, "C-0", "P-0", now)
    except ValidationError as exc:
        file, line = t.where
        return [Problem(file, line, e.field, e.reason) for e in record_errors(exc, file, t.source_id)]


def placed(checked: dict[str, Any], number: int, customer: str, product: str | None) -> dict[str, Any]:
    """A `checked_doc` with its desk ids: what `ticket_doc` gives, without validating again."""
    doc = dict(checked, id=f"T-{number}", customer=customer)
    if product is None:
        doc.pop("product", None)
    else:
        doc["product"] = product
    return doc


def import_writer(store):
    """The writer of an import into `store`: journal and staging in a data directory, one
    transaction a batch on PostgreSQL."""
    from ..store.tinydb import TinyDBStore

    if isinstance(store, TinyDBStore):
        return ImportWriter(store)
    from ..store.postgres.import_writer import PostgresImportWriter

    return PostgresImportWriter(store)


# What the landing takes: a ticket with its `checked_doc`, or a whole record with None.
Landed = tuple[InTicket | InTicketFacts | Record, dict[str, Any] | None]


class Landing(WholeRecords):
    """Writes imported tickets (and whole records: WholeRecords) into one store in batches,
    through `writer` (one for several files; without one, the landing makes its own and
    `finish` folds the journals at the end)."""

    def __init__(self, store, batch_size: int = 5000, writer: ImportWriter | None = None):
        self.store = store
        self.batch_size = batch_size
        self.counts = Counts()
        self._own_writer = writer is None
        self.writer = writer or import_writer(store)
        self._by_source = KnownTickets(self.writer)
        self._customers = KnownCustomers(self.writer)
        self._purchases = KnownPurchases(self.writer)
        self._products_held: dict[str, str] | None = None
        self._seq: int | None = None
        self._pending: list[tuple[str, str, Any]] = []  # links to tickets not landed yet
        self.import_event = import_event
        self._whole_records_start()

    def land(self, items: Iterable[Landed]) -> None:
        """Write (ticket, its `checked_doc`) pairs and (whole record, None) pairs."""
        batch: list[Landed] = []
        for item in items:
            batch.append(item)
            if len(batch) >= self.batch_size:
                self._write(batch)
                batch = []
        if batch:
            self._write(batch)

    def finish(self) -> None:
        """Links to tickets later in the file; then, with its own writer, fold the journals
        into snapshots once, at the end (not after every batch)."""
        try:
            if self._pending:
                self._write_plan(self._late_links)
            if self._own_writer:
                self.writer.finish()
        finally:
            if self._own_writer:
                self.writer.close()

    def close(self) -> None:
        """Let go of the writer this landing made (nothing is written)."""
        if self._own_writer:
            self.writer.close()

    @property
    def _products(self) -> dict[str, str]:
        """Product name (lower case) -> id: a few hundred, held in memory."""
        if self._products_held is None:
            self._products_held = {
                doc["name"].lower(): doc["id"] for doc in self.writer.records("products")
                if isinstance(doc, dict) and isinstance(doc.get("name"), str) and "id" in doc}
        return self._products_held

    # -- one batch --------------------------------------------------------------
    def _write(self, batch: list[Landed]) -> None:
        self._write_plan(lambda ids: self._plan(batch, ids))

    def _write_plan(self, plan) -> None:
        try:
            self.writer.write_batch(plan)
        finally:  # written (the staging has it now) or not at all
            for known in (self._by_source, self._customers, self._purchases):
                known.batch_done()

    def _plan(self, batch: list[Landed], ids) -> tuple[list, list]:
        ops: list = []
        events: list[dict[str, Any]] = []
        if self._seq is None:
            self._seq = ids.counters.get("import_seq") or self.writer.last_import_seq() + 1
        for t, checked in batch:
            if not isinstance(t, (InTicket, InTicketFacts)):
                self._whole_record(t, ids, ops)
                continue
            self.counts.read += 1
            if self._own_ticket(t):  # a desk export of this very store
                self.counts.unchanged += 1
                continue
            facts = t if isinstance(t, InTicketFacts) else facts_of(t)
            customer = self._customer(facts, ids, ops)
            product = self._product(facts, ids, ops, customer)
            known = self._by_source.get(t.source_id)
            if known is None:
                doc = placed(checked, ids.take("tickets"), customer, product)
                old = None
                self._links(t, doc)
            else:
                old = self._current(known[0])
                doc = placed(checked, int(known[0][2:]), customer, product)
                self._links(t, doc)
                if old is not None and old.get("source_hash") == doc["source_hash"]:
                    self.counts.unchanged += 1
                    continue
                doc = _merged(old, doc) if old is not None else doc
            new_events = self._events(t, facts, doc, old)
            closed = doc["status"] == "closed"
            ops.append((OUTBOX if closed else "tickets", doc["id"][2:], doc))
            if closed and old is not None and not known[1]:
                ops.append(("tickets", doc["id"][2:], None))
            self._by_source[t.source_id] = (doc["id"], closed)
            events += new_events
            if old is None:
                self.counts.created += 1
            else:
                self.counts.updated += 1
        self._number(events, ids)
        return ops, events

    def _number(self, events: list[dict[str, Any]], ids) -> None:
        """Import events count on in their own sequence (§B.3.2 `seq`)."""
        for e in events:
            e["seq"] = self._seq
            self._seq += 1
        ids.counters["import_seq"] = self._seq
        self.counts.events += len(events)

    def _current(self, tid: str) -> dict[str, Any] | None:
        found = self.writer.current_ticket(tid)
        return found[0] if found else None

    def _customer(self, t: InTicketFacts, ids, ops: list) -> str:
        c = t.customer
        keys = [k for k in (c.email, c.key) if k]
        if not keys:
            keys = [f"{t.source_id.split(':')[0]}:name:{(c.name or 'unknown').lower()}"]
        for key in keys:
            if key in self._customers:
                return self._customers[key]
        number = ids.take("customers")
        since = t.earliest or format_ts(now_utc())
        doc = customer_doc(f"C-{number}", c.name or c.email or "(no name)", c.email, c.phone,
                           c.company, since, c.key or keys[-1])
        ops.append(("customers", str(number), doc))
        for key in keys:
            self._customers[key] = doc["id"]
        self.counts.customers += 1
        return doc["id"]

    def _product(self, t: InTicketFacts, ids, ops: list, customer: str) -> str | None:
        if not t.product:
            return None
        pid = self._products.get(t.product.lower())
        if pid is None:
            number = ids.take("products")
            pid = f"P-{number}"
            ops.append(("products", str(number), {"id": pid, "name": t.product, "category": t.category or ""}))
            self._products[t.product.lower()] = pid
            self.counts.products += 1
        if t.purchased:
            key = (customer, pid, t.purchased)
            if key not in self._purchases:
                number = ids.take("purchases")
                ops.append(("purchases", str(number), {"id": f"O-{number}", "customer": customer,
                                                       "product": pid, "date": key[2]}))
                self._purchases.add(key)
                self.counts.purchases += 1
        return pid

    # -- events -------------------------------------------------------------------
    def _events(self, t: InTicket | InTicketFacts, facts: InTicketFacts, doc: dict[str, Any],
                old: dict[str, Any] | None) -> list[dict[str, Any]]:
        tid, sid = doc["id"], facts.source_id
        out: list[dict[str, Any]] = []

        def event(when: datetime | str, type_: str, data: dict[str, Any], key: str) -> None:
            out.append(import_event(tid, sid, when, type_, data, key))

        if old is None and facts.created_known:
            event(doc["created"], "ticket_created", {
                "channel": doc["channel"], "source": opened_by(doc), "customer": doc["customer"],
                "product": doc.get("product"), "issue_key": doc.get("issue_key"),
                "priority": doc["priority"], "group": doc.get("group"), "region": None,
                "subject": doc["subject"]}, "created")
        seen = {m["id"] for m in (old or {}).get("messages", [])} | set(facts.untimed)
        replied = False
        for m in doc.get("messages", []):
            if m["id"] in seen:  # already logged, or when it was sent is unknown
                continue
            kind = m["kind"]
            if kind == "customer_message":
                event(m["created"], "customer_contact", {
                    "contact": m["id"], "kind": CONTACT_KIND.get(doc["channel"], "inbound_message"),
                    "ack_only": None}, m["id"])
            elif kind == "public_reply":
                replied = replied or m["created"] == doc.get("first_replied")
                event(m["created"], "agent_reply", {"public": True, "message": m["id"]}, m["id"])
            else:
                event(m["created"], "internal_note", {"message": m["id"]}, m["id"])
        if doc.get("first_replied") and not replied and not (old or {}).get("first_replied"):
            event(doc["first_replied"], "agent_reply", {"public": True}, "first_reply")
        after = old["updated"] if old else None
        current = old["status"] if old else "new"
        history = list(facts.statuses)
        if not history and doc.get("solved") and doc["status"] in RESOLVED:
            history = [(doc["solved"], "solved")]  # when it was solved is known; when closed, not
        for at, to in history:
            if (after and at <= after) or to == current:
                continue
            event(at, "status_change", {"from": current, "to": to}, f"status/{at}/{to}")
            current = to
        if doc.get("satisfaction") and doc["satisfaction"] != (old or {}).get("satisfaction"):
            rating = doc["satisfaction"]
            event(rating["date"], "csat_response", {"survey": f"S-{tid}", "score": rating["score"]},
                  f"csat/{rating['date']}")
        if old is None:
            out += self._marks(t, doc)
        if old is not None:
            for type_, data in events_for_change(old, doc):
                if type_ in ("field_change",):
                    event(doc["updated"], type_, data, f"{type_}/{data}/{doc['updated']}")
        return out


def opened_by(doc: dict[str, Any]) -> str:
    """§B.3.3 `ticket_created.source`: "agent" when the thread opens, at the ticket's
    creation, with an agent's public message (an outbound email, a proactive contact: the
    first reply time then counts from the second public reply, §C), else "customer" (a
    thread whose customer message is missing, answered later, was still opened by them)."""
    messages = doc.get("messages") or []
    first = messages[0] if messages else {}
    opening = first.get("kind") == "public_reply" and first.get("author_kind") == "agent"
    return "agent" if opening and first.get("created") == doc.get("created") else "customer"


def import_event(tid: str, sid: str, when: datetime | str, type_: str, data: dict[str, Any],
                 key: str) -> dict[str, Any]:
    """A ticket-stream event of an import; its id comes from the source id and `key`."""
    when, ts = _event_time(when) if isinstance(when, str) else (when, format_ts(when))
    return {"v": 1, "id": stable_ulid(when, f"{sid}/e/{key}"), "stream": "ticket", "seq": 0,
            "ts": ts, "agent": None, "session": None, "run": None,
            "type": type_, "src": "import", "data": data, "ticket": tid}


@lru_cache(maxsize=4096)
def _event_time(text: str) -> tuple[datetime, str]:
    """A document's time (already desk's form, most often) as a time and desk's form; a
    ticket's events share a few, so each is parsed once."""
    when = parse_event_ts(text)
    return when, format_ts(when)


def _merged(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """A newer export of a ticket over desk's copy: the source's fields win, messages are the
    union (an agent's reply in desk stays), tags too; a ticket closed in desk stays closed."""
    merged = dict(old)
    merged.update({k: v for k, v in new.items()
                   if k not in ("_rev", "messages", "tags", "assignee", "created")})
    if new.get("assignee"):
        merged["assignee"] = new["assignee"]
    ids = {m["id"] for m in new.get("messages", [])}
    messages = new.get("messages", []) + [m for m in old.get("messages", []) if m["id"] not in ids]
    merged["messages"] = sorted(messages, key=lambda m: m["created"])
    merged["tags"] = sorted(set(old.get("tags", [])) | set(new.get("tags", [])))
    if old.get("status") == "closed":
        merged["status"] = "closed"
    if merged["status"] not in RESOLVED:
        merged.pop("solved", None)
    merged["_rev"] = old.get("_rev", 0) + 1
    merged["updated"] = max(old.get("updated", ""), new["updated"])
    return merged


def utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc)
