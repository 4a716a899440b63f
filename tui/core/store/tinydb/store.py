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
- `store-index.json`: where each document of `store.json` starts, with each ticket's head
  (derived from `store.json`, see snapshot_index.py): the active set opens without reading
  the snapshot;
- `events.jsonl`: the event log; `.lock`: the store-wide flock.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

from tinydb import TinyDB
from tinydb.storages import Storage

from ...eventlog import EVENTS_FILE, EventWriter, RunContext
from ...fileio import remove_stray_temps
from ...models import (
    SCHEMA_VERSION,
    Customer,
    Ticket,
    now_utc,
    validate,
)
from ...quickcheck import quick_check
from ...sync.ops import ops_for_insert
from ..errors import StoreCorrupt, StoreError, StoreWriteError
from ..ticket_writes import TicketWrites, new_ticket
from . import queue_summary
from .archive import ArchiveMoves
from .archive_index import (
    INDEX_FILE,
    ArchiveHeads,
)
from .journal import JournaledCollection, journal_id
from .lock import StoreLock
from .event_replay import last_events, log_is_writable, log_size, missing_from_log
from .names import ACTIVE, ARCHIVE, META, OUTBOX, doc_key
from .projections import ACTIVE_CODECS, active_projectors
from .snapshot_index import INDEX_FILE as SNAPSHOT_INDEX
from .snapshot_index import SnapshotIndex
from .reads import StoreReads
from .replica_hooks import ReplicaHooks
from .ticket_commit import TicketCommits

COMPACT_AT_BYTES = 8 * 1024 * 1024


class _TablesStorage(Storage):
    """Lets TinyDB's Table/Query run over the collection's in-memory tables."""

    def __init__(self, collection: JournaledCollection):
        self._collection = collection

    def read(self) -> dict[str, Any]:
        return self._collection.tables

    def write(self, data: dict[str, Any]) -> None:
        raise StoreError("write through the repository, not TinyDB")


class BatchIds:
    """New record numbers for one import batch, from the store's counters (`_meta.next`),
    never one a table already holds; `counters` also keeps the import events' `seq`."""

    def __init__(self, store: "TinyDBStore"):
        self._store = store
        self._meta = dict(store._active.tables.get(META, {}).get("1", {"schema": SCHEMA_VERSION}))
        self.counters: dict[str, int] = dict(self._meta.get("next", {}))

    def take(self, table: str) -> int:
        if table not in self.counters:
            self.counters[table], _ = self._store._next_id(table)
        existing = self._store._active.tables.get(table, {})
        number = self.counters[table]
        while str(number) in existing:
            number += 1
        self.counters[table] = number + 1
        return number

    def meta(self) -> dict[str, Any]:
        return {**self._meta, "next": self.counters}


class TinyDBStore(ArchiveMoves, StoreReads, ReplicaHooks, TicketCommits, TicketWrites):

    def __init__(self, data_dir: Path, *, agent: str | None = None, events: EventWriter | None = None,
                 defer_load: bool = False, load: bool = True):
        """Open the store in `data_dir`. With `defer_load` and a queue summary that fits the
        snapshot, the active set is read at its first use (`queue_preview` lists the queue
        until then); without a usable summary, `summary_due` says to write one. Without
        `load`, the active set is read only if something uses it (an import does not)."""
        self.data_dir = Path(data_dir)
        self._check_directory()
        self.agent = agent
        self._lock = StoreLock(self.data_dir / ".lock")
        active = self.data_dir / f"{ACTIVE}.json"
        self._active = JournaledCollection(
            active, self.data_dir / f"{ACTIVE}.journal", self._lock,
            projectors=active_projectors(str(active)),
            index=SnapshotIndex(self.data_dir / SNAPSHOT_INDEX, ACTIVE_CODECS))
        self._archive = JournaledCollection(
            self.data_dir / f"{ARCHIVE}.json", self._archive_journal(), self._lock)
        self._archive_loaded = False
        self.archive_loading = False  # read without a lock, to say what a slow call waits for
        self._heads = ArchiveHeads(self._archive.snapshot, self._archive.journal,
                                   self.data_dir / INDEX_FILE, self._lock)
        self._mutex = threading.RLock()  # taken before self._lock, never after: one order
        self._search_cache: dict[str, tuple[int, str]] = {}
        # journal -> its journal_id when its last events were last seen in the log
        self._logged: dict[Path, tuple[int, int, int] | None] = {}
        self._everywhere: Any = None  # the SearchIndex, made at the first search_everywhere
        # Both follow `generation`: a cached answer is dropped as soon as the data moves.
        self._query_cache: dict[tuple[str, Any], tuple[int, list[dict[str, Any]]]] = {}
        self._table_copies: dict[str, tuple] = {}  # name -> (table, version, its copy)
        self.events = events or EventWriter(
            self.data_dir / EVENTS_FILE, RunContext(agent=agent, src="app" if agent else "system"))
        self.queue_preview: queue_summary.QueuePreview | None = None
        self.summary_due = False
        try:
            with self._lock.exclusive():
                remove_stray_temps(self.data_dir)
                self._catch_up_events(strict=False)
            if defer_load:
                self.queue_preview = queue_summary.read(
                    self.data_dir, self._active.snapshot, self._active.journal, self._lock)
                self.summary_due = self.queue_preview is None
            if self.queue_preview is not None or not load:
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
            copied = {name: tables.get(name, {}).copy() for name in ("_meta", "customers", "tickets")}
            stamp = self._active.stamp
            self.summary_due = False
        queue_summary.write(self.data_dir / queue_summary.SUMMARY_FILE, copied, stamp)

    def _archive_journal(self) -> Path:
        return self.data_dir / f"{ARCHIVE}.journal"

    # -- opening -------------------------------------------------------------
    def _check_directory(self) -> None:
        from ...permissions import check_data_dir, check_store_files  # it imports the store

        check_data_dir(self.data_dir)
        check_store_files(self.data_dir)

    @staticmethod
    def _refuse_if_broken(collection: JournaledCollection) -> None:
        problems = quick_check(str(collection.snapshot), collection.tables)
        if problems:
            raise StoreCorrupt("\n".join(str(p) for p in problems) + "\ndesk did not open the store "
                               "and changed nothing. Fix or restore these records, then run "
                               "`desk check` to see every problem.")

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
        author = self.agent if source == "agent" else customer
        self._active.refresh()  # a full reload, if one is due, before taking the lock
        closed = fields.get("status") == "closed"
        if closed:
            self._prepare_move()  # before the lock
        with self._mutex, self._lock.exclusive():
            self._catch_up_events()
            self._active.refresh()
            number, meta = self._next_id("tickets")
            ticket = new_ticket(number, customer=customer, subject=subject, body=body,
                                channel=channel, priority=priority, product=product, source=source,
                                author=author, file=self._records_file(), **fields)
            doc = ticket.to_doc()  # type: ignore[attr-defined]
            ticket = self._ticket(doc, closed)  # the stored form (ms timestamps)
            # Closed from the start (e.g. logged after a call): straight to the archive,
            # through the outbox like any close.
            events = self._new_ticket_events(doc, source, self._customer_field(customer, "region"))
            recorded = ops_for_insert(self._active.tables, doc, events) if self.is_replica else []
            self._active.commit([(OUTBOX if closed else "tickets", str(number), doc),
                                 (META, "1", meta), *recorded], events, log_size(self.events.path))
            self._write_events(events)
            if closed:
                self._flush_moves()
            else:
                self._maybe_compact()
        return ticket

    def insert_customer(self, *, name: str, email: str | None = None, phone: str | None = None,
                        language: str = "en", **fields: Any) -> Customer:
        """A new customer (a caller not in the store yet); the id comes from the store."""
        with self._mutex, self._lock.exclusive():
            self._active.refresh()
            number, meta = self._next_id("customers")
            customer = validate(Customer, {
                "id": f"C-{number}", "name": name, "email": email or None, "phone": phone or None,
                "language": language or "en", "customer_since": now_utc(), **fields},
                file=self._records_file(), record=f"C-{number}")
            doc = customer.model_dump(mode="json", by_alias=True, exclude_none=True)
            recorded = ops_for_insert(self._active.tables, doc, (), "new_customer") if self.is_replica else []
            self._active.commit([("customers", str(number), doc), (META, "1", meta), *recorded])
        return customer  # type: ignore[return-value]

    def write_batch(self, plan: Callable[["BatchIds", dict[str, Any]], tuple[list, list]]) -> None:
        """One batch of an import, through the journal like any change: under the lock,
        `plan(ids, tables)` sees the current tables, takes new record numbers from `ids` and
        returns (ops, events); the ops (with the id counters) are one all-or-nothing journal
        line that carries the events, which are then appended to the log. Closed tickets go
        through the outbox to the archive, as a close does. No compaction here: an import
        calls `compact()` once at its end."""
        self._active.refresh()
        self._prepare_move()
        with self._mutex, self._lock.exclusive():
            self._catch_up_events()
            self._active.refresh()
            ids = BatchIds(self)
            ops, events = plan(ids, self._active.tables)
            if not ops:
                return
            ops.append((META, "1", ids.meta()))
            self._active.commit(ops, events, log_size(self.events.path))
            try:
                self.events.write_many(events)
                self._logged[self._active.journal] = journal_id(self._active.journal)
            except OSError:
                pass  # the journal line carries them: the next change or open writes them
            self._flush_moves()

    def _customer_field(self, customer_id: str, name: str) -> Any:
        try:
            return self._active.tables.get("customers", {}).get(doc_key(customer_id), {}).get(name)
        except (IndexError, ValueError):
            return None

    def _stored(self, doc: dict[str, Any]) -> Ticket:
        return self._ticket(doc, doc["status"] == "closed")

    def _records_file(self) -> str:
        return str(self._active.snapshot)

    def _before_close(self) -> None:
        self._prepare_move()

    def _catch_up_events(self, *, strict: bool = True) -> None:
        """Under the exclusive lock: write the events a crash or a full disk kept out of the
        log (event_replay.py). Strict (before a change): if that fails, refuse the change,
        as when the log is not a file desk may write (a link: UnsafeFile names it).
        A journal that has not moved since this desk saw its last events in the log is not
        read again (an import's batch line is megabytes)."""
        if strict:
            log_is_writable(self.events.path)
        for journal in (self._active.journal, self._archive.journal):
            seen = journal_id(journal)
            if seen is not None and self._logged.get(journal) == seen:
                continue
            found = last_events(journal)
            try:
                for event in missing_from_log(self.events.path, *found) if found else ():
                    self.events.write(event, fsync=True)
            except OSError as exc:
                if strict:
                    raise StoreWriteError(
                        f"{self.events.path}: could not write the event log ({exc.strerror or exc})."
                        " Nothing was changed; free some space and try again.") from None
                continue
            self._logged[journal] = seen

    def _maybe_compact(self) -> None:
        """Housekeeping after an acknowledged write: a failure must not fail the write."""
        if self._active.journal_size() > COMPACT_AT_BYTES:
            try:
                self._compact_active()
            except (OSError, StoreWriteError):
                pass  # e.g. no room for the new snapshot; the journal still holds it all

    def _compact_active(self) -> None:
        self._catch_up_events()  # the journal's events must be in the log before it goes
        self._active.compact()
        queue_summary.write(self.data_dir / queue_summary.SUMMARY_FILE, self._active.tables,
                            self._active.stamp)

    def compact(self) -> None:
        """Fold both journals into new snapshots; the archive's index follows its snapshot.
        Moves still in the outbox are copied to the archive first."""
        if self._active.tables.get(OUTBOX):
            self._prepare_move()
            self._flush_moves()
        with self._mutex, self._lock.exclusive():
            self._compact_active()
            self._heads.current()
            if self._archive_loaded or self._archive.journal_size() or self._heads.index is None:
                self._load_archive()
                self._archive.compact()  # its events are in the log: _compact_active checked
                self._write_index()

    def close(self) -> None:
        if self._everywhere is not None:
            self._everywhere.close()
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
