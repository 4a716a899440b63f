"""The TinyDB backend: journaled, locked, shared between processes.

Files in the data directory:
- `store.json` + `store.journal`: the active set (customers, products,
  purchases, and every ticket that is not closed);
- `archive.json` + `archive.journal`: closed tickets, loaded only when needed;
- `archive-index.json`: every archived ticket without its thread, by customer (derived from
  `archive.json`, see archive_index.py): customer histories never load the archive;
- `queue-summary.json`: every active ticket's queue row (derived from `store.json`, see
  queue_summary.py): with `defer_load`, the first screen is listed before the active set is
  read;
- `events.jsonl`: the event log; `.lock`: the store-wide flock.
"""

from __future__ import annotations

import stat
import threading
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable

from tinydb import TinyDB
from tinydb.storages import Storage

from ..eventlog import EVENTS_FILE, EventWriter, RunContext, new_ulid
from ..fileio import atomic_write, remove_stray_temps
from ..models import (
    SCHEMA_VERSION,
    Customer,
    Product,
    Purchase,
    RecordError,
    Ticket,
    now_utc,
    validate,
)
from ..quickcheck import quick_check
from ..textfold import fold
from .archive_index import (
    INDEX_FILE,
    ArchiveHeads,
    ArchiveIndex,
    IndexUnusable,
    build_index,
    snapshot_stamp,
)
from .base import CustomerHistory, Repository, TicketHead
from .errors import ConflictError, NotFound, StoreCorrupt, StoreError, StoreWriteError
from .journal import JournaledCollection, Op
from . import queue_summary
from .lock import StoreLock
from .ticket_events import events_for_change, events_for_message, events_for_new_ticket

ACTIVE, ARCHIVE = "store", "archive"
META, OUTBOX = "_meta", "_archive_outbox"
COMPACT_AT_BYTES = 8 * 1024 * 1024
CONTACT_KIND = {"phone": "inbound_call", "chat": "chat_start", "web": "web_form"}
EDITABLE = {"status", "priority", "channel", "assignee", "group", "product", "customer",
            "subject", "issue_key", "resolution_code", "first_reply_due", "resolution_due", "tags"}


class _TablesStorage(Storage):
    """Lets TinyDB's Table/Query run over the collection's in-memory tables."""

    def __init__(self, collection: JournaledCollection):
        self._collection = collection

    def read(self) -> dict[str, Any]:
        return self._collection.tables

    def write(self, data: dict[str, Any]) -> None:
        raise StoreError("write through the repository, not TinyDB")


def _doc_id(record_id: str) -> str:
    return str(int(record_id.split("-", 1)[1]))


class TinyDBStore(Repository):
    def __init__(self, data_dir: Path, *, agent: str | None = None, events: EventWriter | None = None,
                 defer_load: bool = False):
        """Open the store in `data_dir`. With `defer_load` and a queue summary that fits the
        snapshot, the active set is read at its first use (`queue_preview` lists the queue
        until then); without a usable summary, `summary_due` says to write one."""
        self.data_dir = Path(data_dir)
        self._check_directory()
        self.agent = agent
        self._lock = StoreLock(self.data_dir / ".lock")
        self._active = JournaledCollection(
            self.data_dir / f"{ACTIVE}.json", self.data_dir / f"{ACTIVE}.journal", self._lock)
        self._archive = JournaledCollection(
            self.data_dir / f"{ARCHIVE}.json", self._archive_journal(), self._lock)
        self._archive_loaded = False
        self.archive_loading = False  # read without a lock, to say what a slow call waits for
        self._heads = ArchiveHeads(self._archive.snapshot, self._archive.journal,
                                   self.data_dir / INDEX_FILE, self._lock)
        self._mutex = threading.RLock()  # taken before self._lock, never after: one order
        self._search_cache: dict[str, tuple[int, str]] = {}
        # Both follow `generation`: a cached answer is dropped as soon as the data moves.
        self._query_cache: dict[tuple[str, Any], tuple[int, list[dict[str, Any]]]] = {}
        self._by_customer: tuple[int, dict[str, list], dict[str, list]] | None = None
        self.events = events or EventWriter(
            self.data_dir / EVENTS_FILE, RunContext(agent=agent, src="app" if agent else "system"))
        self.queue_preview: queue_summary.QueuePreview | None = None
        self.summary_due = False
        try:
            with self._lock.exclusive():
                remove_stray_temps(self.data_dir)
            if defer_load:
                self.queue_preview = queue_summary.read(
                    self.data_dir, self._active.snapshot, self._active.journal, self._lock)
                self.summary_due = self.queue_preview is None
            if self.queue_preview is not None:
                self._active.defer(self._open_active)
            else:
                self._open_active()
        except BaseException:
            self.close()  # a refused open keeps no file open (the lock's among them)
            raise
        self._db = TinyDB(self._active, storage=_TablesStorage)

    def _open_active(self) -> None:
        # Not under the exclusive lock: parsing a big snapshot would stop every writer.
        self._active.load()
        self._refuse_if_broken(self._active)
        self.queue_preview = None
        if self._active.tables.get(OUTBOX):  # a move a crash interrupted: finish it
            self._prepare_move()
            self._flush_moves()

    @property
    def loaded(self) -> bool:
        """False while the active set waits for its first use (see `defer_load`)."""
        return not self._active.deferred

    @property
    def active_bytes(self) -> int:
        return self._active.bytes_on_disk()

    def save_queue_summary(self) -> None:
        """Write the queue summary from the active set in memory (the next start lists the
        queue from it). The lock is held only to copy the table (documents are never
        changed in place): building it takes about half a second at 70k active tickets."""
        with self._mutex:
            tables = self._active.tables
            copied = {name: dict(tables.get(name, {})) for name in ("_meta", "customers", "tickets")}
            stamp = self._active.stamp
            self.summary_due = False
        queue_summary.write(self.data_dir / queue_summary.SUMMARY_FILE, copied, stamp)

    def _archive_journal(self) -> Path:
        return self.data_dir / f"{ARCHIVE}.journal"

    # -- opening -------------------------------------------------------------
    def _check_directory(self) -> None:
        if not self.data_dir.is_dir():
            raise StoreError(f"{self.data_dir}: no such data directory. "
                             "Create one with `desk demo --out DIR` or `desk init`.")
        mode = self.data_dir.stat().st_mode
        if mode & stat.S_IWOTH and not mode & stat.S_ISVTX:
            raise StoreError(f"{self.data_dir}: the data directory is world-writable, so anyone "
                             f"could change tickets. Fix it with: chmod o-w {self.data_dir}")

    @staticmethod
    def _refuse_if_broken(collection: JournaledCollection) -> None:
        problems = quick_check(str(collection.snapshot), collection.tables)
        if problems:
            raise StoreCorrupt("\n".join(str(p) for p in problems) + "\ndesk did not open the store "
                               "and changed nothing. Fix or restore these records, then run "
                               "`desk check` to see every problem.")

    def _load_archive(self) -> None:
        with self._mutex:
            if not self._archive_loaded:
                self.archive_loading = True
                try:
                    self._archive.load()
                finally:
                    self.archive_loading = False
                self._refuse_if_broken(self._archive)
                self._archive_loaded = True
            if self._active.tables.get(OUTBOX):
                with self._lock.exclusive():
                    # What we saw before taking the lock may be stale: another
                    # process may have finished this move and changed the ticket since.
                    self._active.refresh()
                    self._archive.refresh()
                    try:
                        self._flush_outbox()
                    except StoreWriteError:
                        pass  # the outbox is durable; the next open or read retries

    def _flush_outbox(self) -> None:
        """Finish moves to the archive that a crash interrupted."""
        outbox = dict(self._active.tables.get(OUTBOX, {}))
        if not outbox:
            return
        archived = self._archive.tables.get("tickets", {})
        todo: list[Op] = [
            ("tickets", doc_id, doc) for doc_id, doc in outbox.items()
            if archived.get(doc_id, {}).get("_rev", -1) < doc.get("_rev", 0)
        ]
        if todo:
            self._archive.commit(todo)
        self._active.commit([(OUTBOX, doc_id, None) for doc_id in outbox])

    # -- moves to the archive without reading it ----------------------------------
    def _prepare_move(self) -> None:
        """Before the lock, what a close needs: nothing if the archive is in memory; else a
        usable index (rebuilt once if need be), so that the move appends to the archive
        journal without reading the archive (1.2 GB at its peak at 100k)."""
        with self._mutex:
            if not self._archive_loaded:
                self._heads.current()
                if self._heads.index is None:
                    self._rebuild_index()

    def _flush_moves(self) -> None:
        """Copy the outbox to the archive; the outbox line was the acknowledged write, so a
        failure here is retried by the next open or flush and the move stands."""
        with self._mutex:
            if self._archive_loaded:
                self._load_archive()
                return
            if not self._active.tables.get(OUTBOX):
                return
            with self._lock.exclusive():
                self._active.refresh()
                self._heads.current()
                try:
                    done = self._flush_outbox_unloaded()
                except StoreWriteError:
                    return
                if not done:
                    self._load_archive()

    def _flush_outbox_unloaded(self) -> bool:
        """`_flush_outbox` with the archive index in place of the archive (under the lock).
        False, having changed nothing, when the index cannot tell a ticket's archived revision."""
        outbox = dict(self._active.tables.get(OUTBOX, {}))
        index = self._heads.index
        if not outbox or index is None:
            return not outbox
        since_snapshot = self._heads.tables.get("tickets", {})
        todo: list[Op] = []
        for doc_id, doc in outbox.items():
            if doc_id in since_snapshot:
                head = since_snapshot[doc_id]
                rev = head.get("_rev", -1) if isinstance(head, dict) else -1
            elif index.holds(doc_id) is False:
                rev = -1
            else:
                return False  # archived already (a copy whose outbox line survived a crash)
            if rev < doc.get("_rev", 0):
                todo.append(("tickets", doc_id, doc))
        if todo:
            self._archive.append_unloaded(todo)
        self._active.commit([(OUTBOX, doc_id, None) for doc_id in outbox])
        return True

    def _unload_archive(self) -> None:
        """Let go of the archive read only to rebuild its index (0.7 GB at 100k)."""
        with self._mutex:
            generation = self._archive.generation
            self._archive.close()
            self._archive = JournaledCollection(
                self._archive.snapshot, self._archive.journal, self._lock)
            self._archive.generation = generation + 1
            self._archive_loaded = False

    @property
    def archive_loaded(self) -> bool:
        return self._archive_loaded

    @property
    def archive_bytes(self) -> int:
        return self._archive.bytes_on_disk()

    @property
    def archive_index_ready(self) -> bool:
        with self._mutex:
            self._heads.current()
            return self._heads.index is not None

    def _write_index(self) -> ArchiveIndex | None:
        """Derive the index from the loaded archive (the caller holds the exclusive lock).

        The archive's tables are its snapshot plus its journal; the journal is replayed on
        top again when the index is read, which changes nothing (each line puts whole
        documents). A failed write (a read-only or full disk) leaves the index to the next
        rebuild; the one built is returned all the same."""
        stamp = snapshot_stamp(self._archive.snapshot)
        if stamp is None:
            return ArchiveIndex()
        raw = build_index(self._archive.tables.get("tickets", {}), stamp)
        try:
            atomic_write(self._heads.index_path, raw)
        except OSError:
            pass
        return ArchiveIndex.parse(raw, stamp)

    def _rebuild_index(self) -> None:
        """The index on disk is missing, out of date or damaged: derive it from the archive.
        This one time reads the archive; it is let go again unless it was loaded before."""
        was_loaded = self._archive_loaded
        self._load_archive()  # parsed outside the exclusive lock
        with self._mutex, self._lock.exclusive():
            self._archive.refresh()  # no compaction can change archive.json while we hold it
            index = self._write_index()
            self._heads.load()
            if self._heads.index is None and index is not None:
                self._heads.use(index)
        if not was_loaded:
            self._unload_archive()

    def _archived_heads(self, customer_id: str) -> dict[str, dict[str, Any]]:
        """The customer's archived tickets (doc id -> head), moves still in the outbox included."""
        with self._mutex:
            self._heads.current()
            try:
                heads = self._heads.for_customer(customer_id)
            except IndexUnusable:
                self._rebuild_index()
                heads = self._heads.for_customer(customer_id)
            for doc_id, doc in (self._active.tables.get(OUTBOX) or {}).items():
                if (doc.get("customer") == customer_id
                        and heads.get(doc_id, {}).get("_rev", -1) < doc.get("_rev", 0)):
                    heads[doc_id] = doc  # a move that is durable but not yet copied
            return heads

    # -- reads ---------------------------------------------------------------
    def refresh(self) -> bool:
        with self._mutex:
            changed = self._active.refresh()
            if self._archive_loaded:
                changed = self._archive.refresh() or changed
            return changed

    @property
    def generation(self) -> int:
        return self._active.generation * 1_000_003 + self._archive.generation

    def _tickets(self, archive: bool) -> dict[str, dict[str, Any]]:
        coll = self._archive if archive else self._active
        docs = coll.tables.get("tickets", {})
        pending = self._active.tables.get(OUTBOX) if archive else None
        if pending:  # a move to the archive that is durable but not yet copied
            docs = dict(docs)
            for doc_id, doc in pending.items():
                if docs.get(doc_id, {}).get("_rev", -1) < doc.get("_rev", 0):
                    docs[doc_id] = doc
        return docs

    def _find_doc(self, ticket_id: str) -> tuple[dict[str, Any], bool]:
        try:
            doc_id = _doc_id(ticket_id)
        except (IndexError, ValueError):
            raise NotFound(f"no ticket {ticket_id!r}: ticket ids look like T-1042") from None
        doc = self._tickets(False).get(doc_id)
        if doc is not None:
            return doc, False
        self._load_archive()
        doc = self._tickets(True).get(doc_id)
        if doc is None:
            raise NotFound(f"no ticket {ticket_id}")
        return doc, True

    def _file_of(self, archived: bool) -> str:
        return str((self._archive if archived else self._active).snapshot)

    def _ticket(self, doc: dict[str, Any], archived: bool) -> Ticket:
        return validate(Ticket, doc, file=self._file_of(archived), record=doc.get("id", "?"))  # type: ignore[return-value]

    def get_ticket(self, ticket_id: str) -> Ticket:
        self.refresh()
        doc, archived = self._find_doc(ticket_id)
        return self._ticket(doc, archived)

    def ticket_docs(self, *, include_archive: bool = False) -> list[dict[str, Any]]:
        self.refresh()
        docs = list(self._tickets(False).values())
        if include_archive:
            self._load_archive()
            docs.extend(self._tickets(True).values())
        return docs

    def query(self, table: str, cond: Any) -> list[dict[str, Any]]:
        """TinyDB's search; the answer is kept until the store's generation moves, so the
        queue's per-keystroke "every customer" costs a list copy instead of 40k Documents at
        100k. As with TinyDB's own query cache, the documents are shared between answers."""
        self.refresh()
        try:
            key = (table, cond) if cond.is_cacheable() else None
            hash(key)
        except (AttributeError, TypeError):
            key = None
        generation = self.generation
        if key is not None:
            hit = self._query_cache.get(key)
            if hit is not None and hit[0] == generation:
                return hit[1][:]
        found = self._db.table(table, cache_size=0).search(cond)
        if key is not None:
            if len(self._query_cache) >= 32:
                self._query_cache.clear()
            self._query_cache[key] = (generation, found)
            return found[:]
        return found

    def _folded_text(self, doc: dict[str, Any]) -> str:
        key = doc["id"]
        cached = self._search_cache.get(key)
        if cached and cached[0] == doc.get("_rev", 0):
            return cached[1]
        text = fold("\n".join([doc.get("subject", "")] + [m.get("body", "") for m in doc.get("messages", [])]))
        self._search_cache[key] = (doc.get("_rev", 0), text)
        return text

    def search(self, text: str, *, include_archive: bool = False) -> list[str]:
        needle = fold(text.strip())
        docs = self.ticket_docs(include_archive=include_archive)
        if not needle:
            return [d["id"] for d in docs]
        return [d["id"] for d in docs if needle in self._folded_text(d)]

    def _table_records(self, table: str, model: type) -> list[Any]:
        self.refresh()
        file = str(self._active.snapshot)
        return [validate(model, doc, file=file, record=doc.get("id", doc_id))
                for doc_id, doc in self._active.tables.get(table, {}).items()]

    def get_customer(self, customer_id: str) -> Customer:
        self.refresh()
        try:
            doc = self._active.tables.get("customers", {})[_doc_id(customer_id)]
        except (KeyError, IndexError, ValueError):
            raise NotFound(f"no customer {customer_id}") from None
        return validate(Customer, doc, file=str(self._active.snapshot), record=customer_id)  # type: ignore[return-value]

    def customers(self) -> list[Customer]:
        return self._table_records("customers", Customer)

    def products(self) -> list[Product]:
        return self._table_records("products", Product)

    def purchases(self) -> list[Purchase]:
        return self._table_records("purchases", Purchase)

    def _customer_index(self) -> tuple[dict[str, list], dict[str, list]]:
        """Customer id -> their active tickets' and their purchases' doc ids.

        Built in one pass over the active set and kept until it changes, so opening a ticket
        at 100k costs a dictionary lookup, not two scans of 100k records.
        """
        stamp = self._active.generation
        if self._by_customer is not None and self._by_customer[0] == stamp:
            return self._by_customer[1], self._by_customer[2]
        tickets: dict[str, list] = {}
        for doc_id, doc in self._tickets(False).items():
            tickets.setdefault(doc.get("customer"), []).append(doc_id)
        purchases: dict[str, list] = {}
        for doc_id, doc in self._active.tables.get("purchases", {}).items():
            purchases.setdefault(doc.get("customer"), []).append(doc_id)
        self._by_customer = (stamp, tickets, purchases)
        return tickets, purchases

    def customer_history(self, customer_id: str) -> CustomerHistory:
        customer = self.get_customer(customer_id)
        file = str(self._active.snapshot)
        with self._mutex:
            ticket_ids, purchase_ids = self._customer_index()
            all_purchases = self._active.tables.get("purchases", {})
            purchase_docs = [all_purchases[i] for i in purchase_ids.get(customer_id, ())
                             if i in all_purchases]
            active = self._tickets(False)
            ticket_docs = [(active[i], False) for i in ticket_ids.get(customer_id, ())
                           if i in active]
            ticket_docs += [(d, True) for d in self._archived_heads(customer_id).values()]
        purchases = [validate(Purchase, d, file=file, record=d.get("id", "?"))
                     for d in purchase_docs if d.get("customer") == customer_id]
        tickets = [validate(TicketHead, {**d, "archived": archived}, file=self._file_of(archived),
                            record=d.get("id", "?"))
                   for d, archived in ticket_docs if d.get("customer") == customer_id]
        purchases.sort(key=lambda p: p.date, reverse=True)
        tickets.sort(key=lambda t: t.created, reverse=True)
        return CustomerHistory(customer, purchases, tickets)  # type: ignore[arg-type]

    def agents(self) -> list[str]:
        names = {d.get("assignee") for d in self.ticket_docs()} | {self.agent}
        return sorted(n for n in names if n)

    # -- writes --------------------------------------------------------------
    def _next_id(self, table: str) -> tuple[int, dict[str, Any]]:
        meta = dict(self._active.tables.get(META, {}).get("1", {"schema": SCHEMA_VERSION}))
        counters = dict(meta.get("next", {}))
        existing = self._active.tables.get(table, {})
        number = counters.get(table)
        if number is None:  # a bulk-written store: scan once, archive included
            taken = set(existing)
            if table == "tickets":
                self._load_archive()
                taken |= set(self._tickets(True))
            number = max(map(int, taken), default=0) + 1
        while str(number) in existing:  # a counter behind the data never overwrites
            number += 1
        counters[table] = number + 1
        meta["next"] = counters
        return number, meta

    def insert_ticket(self, *, customer: str, subject: str, body: str, channel: str = "email",
                      priority: str = "normal", product: str | None = None,
                      source: str = "customer", **fields: Any) -> Ticket:
        now = now_utc()
        author = self.agent if source == "agent" else customer
        self._active.refresh()  # a full reload, if one is due, before taking the lock
        closed = fields.get("status") == "closed"
        if closed:
            self._prepare_move()  # before the lock
        with self._mutex, self._lock.exclusive():
            self._active.refresh()
            number, meta = self._next_id("tickets")
            first = {"id": new_ulid(), "author_kind": "agent" if source == "agent" else "customer",
                     "author": author or "system",
                     "kind": "public_reply" if source == "agent" else "customer_message",
                     "body": body, "created": now}
            ticket = validate(Ticket, {
                "id": f"T-{number}", "customer": customer, "subject": subject, "channel": channel,
                "priority": priority, "product": product, "created": now, "updated": now,
                "messages": [first] if body else [], "_rev": 1, **fields},
                file=str(self._active.snapshot), record=f"T-{number}")
            doc = ticket.to_doc()  # type: ignore[attr-defined]
            ticket = self._ticket(doc, closed)  # the stored form (ms timestamps)
            # Closed from the start (e.g. logged after a call): straight to the archive,
            # through the outbox like any close.
            self._active.commit([(OUTBOX if closed else "tickets", str(number), doc),
                                 (META, "1", meta)])
            region = self._customer_field(customer, "region")
            self._emit(ticket.id, events_for_new_ticket(doc, source, CONTACT_KIND, region))
            if closed:
                self._flush_moves()
            else:
                self._maybe_compact()
        return ticket

    def _emit(self, ticket_id: str, events: Iterable[tuple[str, dict[str, Any]]]) -> None:
        """Log a write's ticket events. Called under the lock, so the log's order is the store's."""
        for type_, data in events:
            self.events.emit(type_, "ticket", data, ticket=ticket_id)

    def _customer_field(self, customer_id: str, name: str) -> Any:
        try:
            return self._active.tables.get("customers", {}).get(_doc_id(customer_id), {}).get(name)
        except (IndexError, ValueError):
            return None

    def _write_ticket(self, ticket_id: str, mutate: Any, expected_rev: int | None,
                      events: Callable[[dict, dict], Iterable[tuple[str, dict[str, Any]]]]
                      ) -> tuple[dict, dict]:
        """Under the lock: read the current doc, check its rev, apply `mutate`, commit, log."""
        # Reloads (after another process compacted) and a first archive load parse whole
        # files: do them before taking the lock, so that other writers are not held up.
        self.refresh()
        self._find_doc(ticket_id)
        with self._mutex, self._lock.exclusive():
            self.refresh()
            old, archived = self._find_doc(ticket_id)
            if expected_rev is not None and old.get("_rev", 0) != expected_rev:
                raise ConflictError(ticket_id, expected_rev, self._ticket(old, archived))
            new = dict(old)
            mutate(new)
            new["_rev"] = old.get("_rev", 0) + 1
            new["updated"] = now_utc()
            doc = self._ticket(new, archived).to_doc()
            # Compared in the same stored form: a field the document lacks (written before
            # it had a default, or by a bulk import) is not a change.
            before = self._ticket(old, archived).to_doc()
            doc_id = _doc_id(ticket_id)
            if archived:
                self._archive.commit([("tickets", doc_id, doc)])
            elif doc["status"] == "closed":
                self._move_to_archive(doc_id, doc)
            else:
                self._active.commit([("tickets", doc_id, doc)])
            self._emit(ticket_id, events(before, doc))
            if not archived and doc["status"] != "closed":
                self._maybe_compact()
            return old, doc

    def _move_to_archive(self, doc_id: str, doc: dict[str, Any]) -> None:
        # The outbox line is the acknowledged write; the archive copy follows.
        self._active.commit([("tickets", doc_id, None), (OUTBOX, doc_id, doc)])
        self._flush_moves()

    def update_ticket(self, ticket_id: str, changes: dict[str, Any], expected_rev: int) -> Ticket:
        unknown = set(changes) - EDITABLE
        if unknown:
            raise RecordError(str(self._active.snapshot), ticket_id, sorted(unknown)[0],
                              "not a field that can be changed")

        def mutate(doc: dict[str, Any]) -> None:
            if doc.get("status") == "closed" and changes.get("status", "closed") != "closed":
                raise StoreError(f"{ticket_id} is closed and cannot be reopened; "
                                 "open a follow-up ticket instead")
            doc.update(changes)
            if changes.get("status") in ("solved", "closed") and not doc.get("solved"):
                doc["solved"] = now_utc()
            if changes.get("status") in ("new", "open", "pending", "on_hold"):
                doc.pop("solved", None)

        if changes.get("status") == "closed":
            self._prepare_move()  # before the lock
        old, new = self._write_ticket(ticket_id, mutate, expected_rev, events_for_change)
        return self._ticket(new, new["status"] == "closed")

    def change_tags(self, ticket_id: str, add: Iterable[str] = (), remove: Iterable[str] = ()) -> Ticket:
        add, remove = set(add), set(remove)
        old, new = self._write_ticket(
            ticket_id, lambda d: d.update(tags=sorted((set(d.get("tags", [])) | add) - remove)), None,
            events_for_change)
        return self._ticket(new, new["status"] == "closed")

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

        old, new = self._write_ticket(
            ticket_id, mutate, None,
            lambda old, new: events_for_message(new["messages"][-1], new, CONTACT_KIND))
        return self._ticket(new, new["status"] == "closed")

    def rate(self, ticket_id: str, score: int, comment: str = "") -> Ticket:
        rating = {"score": score, "comment": comment, "date": now_utc()}
        old, new = self._write_ticket(
            ticket_id, lambda d: d.update(satisfaction=rating), None,
            lambda old, new: [("csat_response", {"survey": f"S-{ticket_id}", "score": score})])
        return self._ticket(new, new["status"] == "closed")

    def _maybe_compact(self) -> None:
        """Housekeeping after an acknowledged write: a failure must not fail the write."""
        if self._active.journal_size() > COMPACT_AT_BYTES:
            try:
                self._compact_active()
            except OSError:
                pass  # e.g. no room for the new snapshot; the journal still holds it all

    def _compact_active(self) -> None:
        self._active.compact()
        queue_summary.write(self.data_dir / queue_summary.SUMMARY_FILE, self._active.tables,
                            self._active.stamp)

    def compact(self) -> None:
        """Fold both journals into new snapshots; the archive's index follows its snapshot."""
        with self._mutex, self._lock.exclusive():
            self._compact_active()
            self._heads.current()
            if self._archive_loaded or self._archive.journal_size() or self._heads.index is None:
                self._load_archive()
                self._archive.compact()
                self._write_index()

    def close(self) -> None:
        self._active.close()
        self._archive.close()
        self._heads.close()
        self.events.close()
        self._lock.close()

    # -- diagnostics -----------------------------------------------------------
    def journal_problems(self) -> list[str]:
        problems = []
        for coll in (self._active, self._archive):
            for line in coll.stats.bad_lines:
                problems.append(f"{coll.journal}: line {line}: damaged (bad CRC or JSON); skipped")
        return problems

