"""A team store read without loading its active set (a sync that pushes nothing): one table
from the snapshot's lines plus the journal's later documents, and the tickets written since a
time, which are all in the journals when no compaction happened since. Parsing a 100k store's
snapshot takes seconds; this reads a few tables' lines and the journals (kilobytes to a few
megabytes). Anything it cannot answer this way is None: the caller loads the store."""

from __future__ import annotations

import mmap
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ...eventlog import EVENTS_FILE, EventWriter, RunContext
from ...fileio import open_read
from .journal import Op, journal_entries
from .lock import StoreLock
from .names import ACTIVE, ARCHIVE, OUTBOX
from .replica_hooks import mtime_iso
from .snapshot import HEAD


def snapshot_table(fd: int, name: str) -> dict[str, dict[str, Any]] | None:
    """Table `name` of the snapshot open at `fd`, read from its lines (the layout of
    snapshot.encode); {} if it has no such table; None for another layout."""
    if os.fstat(fd).st_size == 0:
        return None
    with mmap.mmap(fd, 0, access=mmap.ACCESS_READ) as data:
        if data[:len(HEAD)] != HEAD:
            return None
        # A header is the only line that ends in `:{`: a document line ends in `}` or `},`.
        header = b"\n" + orjson.dumps(name) + b":{\n"
        at = data.find(header)
        if at < 0:
            return {}
        start = at + len(header)
        close = start if data[start:start + 1] == b"}" else data.find(b"\n}", start) + 1
        if close <= 0:
            return None
        body = data[start:close].rstrip(b",\n")
    try:
        table = orjson.loads(b"{" + body + b"}")
    except orjson.JSONDecodeError:
        return None
    return table if isinstance(table, dict) else None


@dataclass
class _Collection:
    snapshot_fd: int | None
    written: str | None  # the snapshot's mtime, as the store writes times
    lines: list[list[Op] | None]


class Peeked:
    """What the store's files held at one instant (read under the shared lock)."""

    def __init__(self, active: _Collection, archive: _Collection):
        self._active, self._archive = active, archive

    def close(self) -> None:
        for coll in (self._active, self._archive):
            if coll.snapshot_fd is not None:
                os.close(coll.snapshot_fd)
                coll.snapshot_fd = None

    @property
    def damaged(self) -> bool:
        return any(ops is None for c in (self._active, self._archive) for ops in c.lines)

    def table(self, name: str) -> dict[str, dict[str, Any]] | None:
        """An active-set table as the store would hold it; None if the files cannot tell."""
        if self.damaged:
            return None
        held: dict[str, dict[str, Any]] | None = {}
        if self._active.snapshot_fd is not None:
            held = snapshot_table(self._active.snapshot_fd, name)
        if held is None:
            return None
        for ops in self._active.lines:
            for table, doc_id, doc in ops or ():
                if table != name:
                    continue
                if doc is None:
                    held.pop(doc_id, None)
                else:
                    held[doc_id] = doc
        return held

    def changed_since(self, since: str) -> list[dict[str, Any]] | None:
        """The tickets whose `updated` is at or after `since` (as `changed_since` of the loaded
        store), or None if a snapshot was rewritten since then: they are not all in the
        journals."""
        if self.damaged or any(c.written is not None and c.written >= since
                               for c in (self._active, self._archive)):
            return None
        found: dict[str, dict[str, Any]] = {}
        # As the loaded store holds them: a later line's document (or delete) replaces an
        # earlier one's, then archived, leaving and active tickets, in that order.
        for coll, table in ((self._archive, "tickets"), (self._active, OUTBOX),
                            (self._active, "tickets")):
            for doc in _written(coll.lines, table).values():
                if doc is not None and doc.get("updated", "") >= since:
                    found[doc["id"]] = doc
        return list(found.values())


def _written(lines: list[list[Op] | None], name: str) -> dict[str, dict[str, Any] | None]:
    """The last document (None: deleted) each key of table `name` got in these lines."""
    last: dict[str, dict[str, Any] | None] = {}
    for ops in lines:
        for table, doc_id, doc in ops or ():
            if table == name:
                last[doc_id] = doc
    return last


class StorePeek:
    """Reads of a store's files in `data_dir` (whose safety the caller checked) that load
    nothing whole; `events` appends to its event log."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self._lock = StoreLock(self.data_dir / ".lock")
        self.events = EventWriter(self.data_dir / EVENTS_FILE, RunContext(agent=None, src="system"))

    def read(self) -> Peeked:
        """The files as they are now: a compaction cannot swap them midway (shared lock)."""
        with self._lock.shared():
            return Peeked(self._collection(ACTIVE), self._collection(ARCHIVE))

    def _collection(self, name: str) -> _Collection:
        snapshot = self.data_dir / f"{name}.json"
        try:
            fh = open_read(snapshot)  # never through a link
        except FileNotFoundError:
            fd, written = None, None
        else:
            fd = os.dup(fh.fileno())
            fh.close()
            written = mtime_iso(fd)
        try:
            with open_read(self.data_dir / f"{name}.journal") as fh:
                chunk = fh.read()
        except FileNotFoundError:
            chunk = b""
        return _Collection(fd, written, list(journal_entries(chunk)))

    def close(self) -> None:
        self.events.close()
        self._lock.close()
