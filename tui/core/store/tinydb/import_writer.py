"""An import's batches written to a TinyDB store without its tables in memory.

`TinyDBStore.write_batch` applies each batch to the tables it holds, so an import's memory
grew with what it wrote (and the final compaction read the archive too): 494 MB at 100k
tickets. Here the store's documents sit in a staging file on disk (staging.py), read once at
the first batch and kept in step with the journals: each batch is one journal line like any
change (the same line, events and outbox move as `write_batch`), written under the store's
lock, so agents working meanwhile see it at once; lines other desks append between batches
are read into the staging too, and a compaction by another desk has the staging read again.
`finish` folds both journals into new snapshots written from the staging, and the archive
index and queue summary with them (staged_files.py). Nothing is held per ticket in memory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Iterator

from ...eventlog import EVENTS_FILE
from ...fileio import BadLine, open_read, parse_crc_line
from ...models import SCHEMA_VERSION
from ...quickcheck import Problem, check_schema, quick_check
from ..errors import StoreCorrupt
from .event_replay import log_size
from .journal import JournaledCollection, Op, journal_id
from .names import META, OUTBOX
from .staged_files import write_archive_index, write_queue_summary
from .staging import ACTIVE_COLL, ARCHIVE_COLL, Staging, purchase_key

Plan = Callable[["StagedIds"], tuple[list, list]]


class StagedIds:
    """New record numbers for one batch, from the store's counters (`_meta.next`), never one
    the store holds (as `store.BatchIds`, over the staging)."""

    def __init__(self, staging: Staging):
        self._staging = staging
        self._meta = staging.doc(ACTIVE_COLL, META, "1") or {"schema": SCHEMA_VERSION}
        self.counters: dict[str, int] = dict(self._meta.get("next", {}))
        self._highest: dict[str, int] = {}  # the highest number each table holds

    def take(self, table: str) -> int:
        highest = self._highest.get(table)
        if highest is None:
            highest = self._highest[table] = max(
                self._staging.max_number(coll, tbl) for coll, tbl in self._places(table))
        number = self.counters.get(table)
        if number is None:  # a bulk-written store: after the highest held, archive included
            number = highest + 1
        while number <= highest and any(self._staging.has(coll, tbl, str(number))
                                        for coll, tbl in self._places(table)):
            number += 1
        self.counters[table] = number + 1
        return number

    @staticmethod
    def _places(table: str) -> tuple[tuple[int, str], ...]:
        if table == "tickets":
            return (ACTIVE_COLL, "tickets"), (ACTIVE_COLL, OUTBOX), (ARCHIVE_COLL, "tickets")
        return ((ACTIVE_COLL, table),)

    def meta(self) -> dict[str, Any]:
        return {**self._meta, "next": self.counters}


class _Mark:
    """Where the staging's copy of one collection stands: the snapshot it was read from and
    the journal offset it has read to."""

    def __init__(self) -> None:
        self.snapshot: tuple[int, int] | None = None
        self.journal_ino: int | None = None
        self.offset = 0
        self.lines = 0
        self.read = False


class ImportWriter:
    def __init__(self, store):
        self.store = store
        self._staging: Staging | None = None
        self._marks = {ACTIVE_COLL: _Mark(), ARCHIVE_COLL: _Mark()}
        self.wrote = False  # a line since the last fold

    def close(self) -> None:
        if self._staging is not None:
            self._staging.close()
            self._staging = None

    @property
    def _collections(self) -> dict[int, JournaledCollection]:
        return {ACTIVE_COLL: self.store._active, ARCHIVE_COLL: self.store._archive}

    @property
    def staging(self) -> Staging:
        """The store's documents, read once at first use (under the shared lock)."""
        if self._staging is None:
            self._staging = Staging(self.store.data_dir)
            with self.store._lock.shared():
                self._catch_up()
        return self._staging

    # -- following the files ------------------------------------------------------------
    def _catch_up(self) -> None:
        """Bring the staging up to the files (the caller holds the store's lock)."""
        for coll, collection in self._collections.items():
            mark = self._marks[coll]
            snap = JournaledCollection._stat_id(collection.snapshot)
            try:
                jst = os.stat(collection.journal)
            except FileNotFoundError:
                jst = None
            fresh = (not mark.read or snap != mark.snapshot
                     or (jst is not None and (jst.st_ino != mark.journal_ino or jst.st_size < mark.offset)))
            if fresh:
                self._read_collection(coll, collection)
            elif jst is not None and jst.st_size > mark.offset:
                self._read_journal(coll, collection, mark)

    def _read_collection(self, coll: int, collection: JournaledCollection) -> None:
        staging, mark = self._staging, self._marks[coll]
        staging.clear(coll)
        mark.snapshot, mark.journal_ino, mark.offset, mark.lines = None, None, 0, 0
        try:
            fh = open_read(collection.snapshot)
        except FileNotFoundError:
            pass
        else:
            with fh:
                st = os.fstat(fh.fileno())
                mark.snapshot = (st.st_ino, st.st_mtime_ns)
                staging.load_snapshot(coll, fh, str(collection.snapshot))
        mark.read = True
        self._read_journal(coll, collection, mark)
        self._refuse_if_broken(coll, str(collection.snapshot))

    def _refuse_if_broken(self, coll: int, file: str) -> None:
        """What stops a desk from opening the store stops the import before it writes
        (`TinyDBStore._refuse_if_broken`'s checks, a slice of tickets at a time)."""
        staging = self._staging
        meta = dict(staging.docs(coll, META))
        if not all(isinstance(doc, dict) for doc in meta.values()):
            problems = [Problem(file, "_meta/1", "(record)", "is not an object")]
        else:
            problems = check_schema(file, {META: meta})
        chunk: dict[str, Any] = {}
        for key, doc in staging.docs(coll, "tickets"):
            chunk[key] = doc
            if len(chunk) >= 2000:
                problems += quick_check(file, {"tickets": chunk})
                chunk = {}
            if len(problems) >= 20:
                break
        problems += quick_check(file, {"tickets": chunk})
        duplicate = None if problems else staging.duplicate_ticket_id(coll)
        if duplicate is not None:
            problems.append(Problem(file, duplicate, "id", "duplicate id"))
        if problems:
            done = ("The import stopped; the batches it wrote before stand" if self.wrote
                    else "The import wrote nothing")
            raise StoreCorrupt("\n".join(str(p) for p in problems[:20]) + f"\n{done}. Fix or "
                               "restore these records, then run `desk check` to see every problem.")

    def _read_journal(self, coll: int, collection: JournaledCollection, mark: _Mark) -> None:
        try:
            fh = open_read(collection.journal)
        except FileNotFoundError:
            return
        with fh:
            mark.journal_ino = os.fstat(fh.fileno()).st_ino
            fh.seek(mark.offset)
            chunk = fh.read()
        end = chunk.rfind(b"\n") + 1  # a torn tail waits (the next append cuts it off)
        mark.lines += self._staging.put_journal(coll, chunk[:end], collection.journal, mark.lines + 1)
        mark.offset += end

    def _appended(self, coll: int, ops: list[Op], end: int) -> None:
        """Our own line, ending at `end`, is in the journal: the staging takes its ops."""
        self._staging.put(coll, ops)
        mark = self._marks[coll]
        mark.offset, mark.lines = end, mark.lines + 1
        mark.journal_ino = os.stat(self._collections[coll].journal).st_ino

    # -- reads for the plan ------------------------------------------------------------------
    def current_ticket(self, tid: str) -> tuple[dict[str, Any], bool] | None:
        """The stored document of ticket `tid` and whether it is closed (archived or on its
        way there), or None."""
        key = tid[2:]
        for coll, tbl in ((ACTIVE_COLL, OUTBOX), (ACTIVE_COLL, "tickets"), (ARCHIVE_COLL, "tickets")):
            doc = self.staging.doc(coll, tbl, key)
            if doc is not None:
                return doc, tbl == OUTBOX or coll == ARCHIVE_COLL
        return None

    # -- what the landing looks up (importers/known.py) --------------------------------------
    @property
    def spill_dir(self) -> Path:
        """Where the import's spill files go (unnamed, in the data directory)."""
        return self.store.data_dir

    def ticket_by_source(self, source_id: str) -> tuple[str, bool] | None:
        """(desk ticket id, whether it is closed) of the ticket imported from `source_id`."""
        rows = self.staging.by_k1("tickets", source_id)
        if not rows:
            return None
        _, _, key = rows[0]
        closed = all(coll == ARCHIVE_COLL or tbl == OUTBOX for coll, tbl, _ in rows)
        return f"T-{key}", closed

    def customer_id(self, key: str) -> str | None:
        """The customer whose source id, or else whose email (lower case), is `key`."""
        number = self.staging.customer(key)
        return None if number is None else f"C-{number}"

    def has_purchase(self, key: tuple[str, str, str]) -> bool:
        """Whether a purchase of (customer id, product id, date) is held."""
        return bool(self.staging.by_k1("purchases", purchase_key(*key)))

    def records(self, table: str) -> Iterator[dict[str, Any]]:
        """Every customer, product or purchase document held."""
        for _, doc in self.staging.docs(ACTIVE_COLL, table):
            yield doc

    def last_import_seq(self) -> int:
        """The highest `seq` of an import event in the log (import events count per source)."""
        last = 0
        try:
            fh = open(self.store.data_dir / EVENTS_FILE, "rb")
        except FileNotFoundError:
            return 0
        with fh:
            for line in fh:
                if b'"src":"import"' not in line or not line.endswith(b"\n"):
                    continue
                try:
                    event = parse_crc_line(line.rstrip(b"\n"))
                except BadLine:
                    continue
                if isinstance(event, dict) and event.get("src") == "import" and isinstance(event.get("seq"), int):
                    last = max(last, event["seq"])
        return last

    # -- writing -----------------------------------------------------------------------------
    def write_batch(self, plan: Plan) -> None:
        """One batch, as `TinyDBStore.write_batch` writes it: under the lock `plan(ids)`
        takes record numbers from `ids` and returns (ops, events); the ops and the id
        counters are one journal line that carries the events, which are then appended to
        the log; closed tickets then go from the outbox to the archive."""
        store, staging = self.store, self.staging
        with store._lock.shared():  # a new snapshot (another desk compacted) read before
            self._catch_up()        # the exclusive lock: writers need not wait for it
        with store._mutex, store._lock.exclusive():
            store._catch_up_events()
            self._catch_up()
            ids = StagedIds(staging)
            ops, events = plan(ids)
            if not ops:
                return
            ops.append((META, "1", ids.meta()))
            end = store._active.append_unloaded(ops, events, log_size(store.events.path))
            self.wrote = True
            moving = {key: doc for tbl, key, doc in ops if tbl == OUTBOX and doc is not None}
            # The outbox's new tickets go to the archive next: the staging need not hold them
            # in between (if that fails, the import stops and its staging is dropped).
            self._appended(ACTIVE_COLL, [op for op in ops if op[0] != OUTBOX], end)
            try:
                store.events.write_many(events)
                store._logged[store._active.journal] = journal_id(store._active.journal)
            except OSError:
                pass  # the journal line carries them: the next change or open writes them
            self._flush_outbox(moving)

    def _flush_outbox(self, written: dict[str, Any] | None = None) -> None:
        """The outbox's tickets into the archive journal (those the archive does not hold at
        this revision or later), then out of the outbox (under the lock). `written`: the
        outbox documents this batch wrote, which need not be read back."""
        staging = self._staging
        written = written or {}
        staged = set(staging.keys(ACTIVE_COLL, OUTBOX))
        outbox = [(key, staging.doc(ACTIVE_COLL, OUTBOX, key)) for key in staged if key not in written]
        outbox += written.items()
        if not outbox:
            return
        highest = staging.max_number(ARCHIVE_COLL, "tickets")
        todo: list[Op] = []
        for key, doc in outbox:
            archived = (None if key.isdigit() and int(key) > highest  # not archived: newer
                        else staging.doc(ARCHIVE_COLL, "tickets", key))
            if (archived or {}).get("_rev", -1) < doc.get("_rev", 0):
                todo.append(("tickets", key, doc))
        if todo:
            self._appended(ARCHIVE_COLL, todo, self._append_eventless(ARCHIVE_COLL, todo))
        done: list[Op] = [(OUTBOX, key, None) for key, _ in outbox]
        end = self._append_eventless(ACTIVE_COLL, done)
        self._appended(ACTIVE_COLL, [op for op in done if op[1] in staged], end)

    def _append_eventless(self, coll: int, ops: list[Op]) -> int:
        """Append a line without events (the store's `_eventless` keeps its log mark right);
        the journal's size after it."""
        collection, ends = self._collections[coll], []
        self.store._eventless(collection, lambda: ends.append(collection.append_unloaded(ops)))
        return ends[0]

    def finish(self) -> None:
        """Fold both journals into new snapshots written from the staging, with the archive
        index and the queue summary derived from them (under the lock). Each step leaves the
        store whole if the process dies: a snapshot is replaced before its journal is
        emptied, and replaying a journal over a snapshot that holds it changes nothing."""
        if self._staging is None or not self.wrote:
            return  # nothing was written: the journals are as an import found them
        store, staging = self.store, self._staging
        with store._mutex, store._lock.exclusive():
            store._catch_up_events()  # a journal's events are in the log before it goes
            self._catch_up()
            self._flush_outbox()
            store._archive.replace_unloaded(staging.snapshot_pieces(ARCHIVE_COLL))
            write_archive_index(staging, store._archive.snapshot, store._heads.index_path)
            store._active.replace_unloaded(staging.snapshot_pieces(ACTIVE_COLL))
            write_queue_summary(staging, store._active.snapshot, store.data_dir)
            for coll in self._collections:
                self._marks[coll] = _Mark()  # the files are new: read again if used again
            store._logged.clear()
            self.wrote = False

