"""The TinyDB backend's part in offline replicas (tui/core/sync): whether a store is a replica,
the operation records that ride in a change's journal line, and what changed on a team's store
since a time (the tickets a replica pulls at `desk sync`)."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from ...fileio import open_read
from .journal import journal_entries
from ...sync.ops import SYNC, ops_for_change
from .names import OUTBOX, doc_key


# A file's mtime comes from the kernel's coarse clock, a tick (up to 10 ms) behind the clock
# that stamps a cursor: a snapshot written just after a cursor can carry a time just before it.
MTIME_LAG_S = 1.0


def mtime_iso(path: Any) -> str | None:
    """The latest the file at `path` (or open at fd `path`) may have been last written (its
    mtime plus MTIME_LAG_S), as the store writes times; None if there is no such file. Asked
    whether a snapshot was written since a cursor, a later answer only reads more."""
    try:
        ns = os.stat(path).st_mtime_ns
    except FileNotFoundError:
        return None
    return datetime.fromtimestamp(ns / 1e9 + MTIME_LAG_S, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def changed_since(store: Any, since: str) -> list[dict[str, Any]]:
    """Tickets (active, moving to the archive, or archived) whose `updated` is at or after
    `since` (an ISO time as the store writes it). The archive's recent closes are in its
    journal; the whole archive is read only if its snapshot was rewritten since `since`."""
    store.refresh()
    found: dict[str, dict[str, Any]] = {}
    written = mtime_iso(store._archive.snapshot)
    if store._archive_loaded or (written is not None and written >= since):
        store._load_archive()
        archived = list(store._tickets(True).values())
    else:
        try:
            with open_read(store._archive.journal) as fh:  # never through a link
                chunk = fh.read()
        except FileNotFoundError:
            chunk = b""
        archived = [doc for ops in journal_entries(chunk) if ops
                    for table, _, doc in ops if table == "tickets" and doc]
    for doc in archived:  # in journal order: a later line is the newer document
        if doc.get("updated", "") >= since:
            found[doc["id"]] = doc
    for doc in store._active.tables.get(OUTBOX, {}).values():
        if doc.get("updated", "") >= since:
            found[doc["id"]] = doc
    for doc in store._tickets(False).values():
        if doc.get("updated", "") >= since:
            found[doc["id"]] = doc
    return list(found.values())


class ReplicaHooks:
    """Mixed into TinyDBStore (which holds `_active`, `_archive`, `_lock`, `_mutex`)."""

    # Set by tui/core/sync/host.py while it applies a replica's pushed operations: the marks
    # (journal ops) that ride in the change's line, so an operation is applied only once.
    sync_marks: Callable[[str, dict, dict], list] | None = None

    @property
    def is_replica(self) -> bool:
        """True for a store made by `desk clone`: its changes are recorded as operations."""
        return bool(self._active.tables.get(SYNC))

    def sync_table(self, name: str) -> dict[str, Any]:
        """One of the sync's tables (read-only), after picking up other processes' writes."""
        self.refresh()
        return self._active.tables.get(name, {})

    def _sync_ops(self, ticket_id: str, before: dict, after: dict, logged: list) -> list:
        """Journal ops that ride in a ticket change's line: a replica's operation records, or
        the team store's marks of a pushed operation applied."""
        if self.sync_marks is not None:
            return self.sync_marks(ticket_id, before, after)
        if self.is_replica:
            return ops_for_change(self._active.tables, ticket_id, before, after, logged)
        return []

    def drop_archived(self, ticket_ids: Iterable[str]) -> None:
        """Take tickets out of the archive: a replica's tickets made (and closed) offline,
        which live on under their team ids once synced."""
        keys = [doc_key(t) for t in ticket_ids]
        if not keys or not self._archive.snapshot.exists() and not self._archive.journal_size():
            return
        with self._mutex, self._lock.exclusive():
            self._load_archive()
            held = self._archive.tables.get("tickets", {})
            gone = [("tickets", key, None) for key in keys if key in held]
            if gone:
                self._archive.commit(gone)

    def changed_since(self, since: str) -> list[dict[str, Any]]:
        """Tickets whose `updated` is at or after `since` (sync_feed.py)."""
        return changed_since(self, since)

