"""The TinyDB backend's archive of closed tickets: read from disk only when needed, a close
moved there through the outbox (so a crash mid-move finishes at the next open), and the
archive index that lets customer histories and closes skip reading the archive."""

from __future__ import annotations

from typing import Any, Callable

from ...fileio import atomic_write
from ..errors import StoreWriteError
from .archive_index import (
    ArchiveIndex,
    IndexUnusable,
    build_index,
    snapshot_stamp,
)
from .journal import JournaledCollection, Op, journal_id
from .names import OUTBOX


class ArchiveMoves:
    """Mixed into TinyDBStore, which holds `_active`, `_archive`, `_heads`, `_lock`, `_mutex`."""

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
            self._eventless(self._archive, lambda: self._archive.commit(todo))
        self._eventless(self._active, lambda: self._active.commit([(OUTBOX, d, None) for d in outbox]))

    def _eventless(self, collection: JournaledCollection, write: Callable[[], None]) -> None:
        """Run `write`, which appends a line without events to `collection`'s journal: if its
        last events were seen in the log before (`_logged`), they still are."""
        before = journal_id(collection.journal)
        write()
        if before is not None and self._logged.get(collection.journal) == before:
            self._logged[collection.journal] = journal_id(collection.journal)

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
            self._eventless(self._archive, lambda: self._archive.append_unloaded(todo))
        self._eventless(self._active, lambda: self._active.commit([(OUTBOX, d, None) for d in outbox]))
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
