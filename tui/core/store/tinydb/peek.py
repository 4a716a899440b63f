"""A team store read without loading its active set (a sync that pushes nothing): one table
from the snapshot's lines plus the journal's later documents, and the tickets written since a
time, which are all in the journals when no compaction happened since. Parsing a 100k store's
snapshot takes seconds; this reads a few tables' lines and the journals (kilobytes to a few
megabytes). Anything it cannot answer this way is None: the caller loads the store."""

from __future__ import annotations

import functools
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import orjson

from ...eventlog import EVENTS_FILE, EventWriter, RunContext
from ...fileio import open_read
from .journal import Op, journal_entries
from .lock import StoreLock
from .names import ACTIVE, ARCHIVE, OUTBOX
from .replica_hooks import mtime_iso
from .snapshot_lines import Spans, some_docs, table_spans, whole_table


@dataclass
class _Collection:
    snapshot_fd: int | None
    written: str | None  # the snapshot's mtime, as the store writes times
    journal: bytes  # whole lines
    mark: dict[str, Any]  # the snapshot's and journal's identity, and where this read ended
    from_mark: bool  # the lines are those appended since the mark the read was given
    spans_seen: dict[tuple, Spans | None]  # table spans by snapshot identity (StorePeek's)
    _lines: list[list[Op] | None] | None = None

    @property
    def spans(self) -> Spans | None:
        """Where the snapshot's tables are (found once per snapshot file); None: no such
        layout, or no snapshot."""
        if self.snapshot_fd is None:
            return None
        key = tuple(self.mark["snapshot"])
        if key not in self.spans_seen:
            self.spans_seen.clear()  # only the current snapshot's are worth keeping
            self.spans_seen[key] = table_spans(self.snapshot_fd)
        return self.spans_seen[key]

    @property
    def lines(self) -> list[list[Op] | None]:
        if self._lines is None:
            self._lines = list(journal_entries(self.journal))
        return self._lines

    def lines_naming(self, table: str) -> Iterator[list[Op] | None]:
        """The lines with an op on `table` (a quoted name is never found inside a string of a
        document, where its quotes are escaped), parsed; the others are not."""
        needle = b"[" + orjson.dumps(table) + b","
        if self._lines is not None:
            yield from self._lines
            return
        for line in self.journal.splitlines():
            if needle in line:
                yield from journal_entries(line + b"\n")

    @functools.cached_property
    def damaged(self) -> bool:
        """A line whose CRC does not match (parsing every line would cost as much as loading)."""
        for line in self.journal.splitlines():
            crc, _, payload = line.partition(b" ")
            try:
                if zlib.crc32(payload) != int(crc, 16):
                    return True
            except ValueError:
                return True
        return False

    def close(self) -> None:
        if self.snapshot_fd is not None:
            os.close(self.snapshot_fd)
            self.snapshot_fd = None


class Peeked:
    """What the store's files held at one instant (read under the shared lock)."""

    def __init__(self, active: _Collection, archive: _Collection):
        self._active, self._archive = active, archive

    @property
    def mark(self) -> dict[str, Any]:
        """Where the journals ended at this read: `StorePeek.read(mark)` reads only what came
        after, as long as no compaction replaced the files."""
        return {ACTIVE: self._active.mark, ARCHIVE: self._archive.mark}

    @property
    def from_mark(self) -> bool:
        return self._active.from_mark and self._archive.from_mark

    def close(self) -> None:
        self._active.close()
        self._archive.close()

    @property
    def damaged(self) -> bool:
        return self._active.damaged or self._archive.damaged

    def table(self, name: str) -> dict[str, dict[str, Any]] | None:
        """An active-set table as the store would hold it; None if the files cannot tell (or
        the read began at a mark)."""
        if self.damaged or self._active.from_mark:
            return None
        held: dict[str, dict[str, Any]] | None = {}
        if self._active.snapshot_fd is not None:
            spans = self._active.spans
            held = None if spans is None else whole_table(self._active.snapshot_fd, spans.get(name))
        if held is None:
            return None
        for ops in self._active.lines_naming(name):
            for table, doc_id, doc in ops or ():
                if table != name:
                    continue
                if doc is None:
                    held.pop(doc_id, None)
                else:
                    held[doc_id] = doc
        return held

    def written_docs(self, table: str) -> dict[str, dict[str, Any] | None]:
        """The last document (None: deleted) each key of an active-set table got in the
        journal lines read."""
        return _written(self._active.lines, table)

    def snapshot_docs(self, table: str, keys: set[str]) -> dict[str, dict[str, Any]] | None:
        """`keys`' documents in the active snapshot's table (unloaded_writes.snapshot_docs)."""
        if self._active.snapshot_fd is None:
            return {}
        spans = self._active.spans
        return None if spans is None else some_docs(self._active.snapshot_fd, spans.get(table), keys)

    def changed_since(self, since: str) -> list[dict[str, Any]] | None:
        """The tickets whose `updated` is at or after `since` (as `changed_since` of the loaded
        store), or None if a snapshot was rewritten since then: they are not all in the
        journals. Read from a mark: every ticket written since the mark, whatever its
        `updated` says."""
        if self.from_mark:
            since = ""
        if self.damaged or since and any(c.written is not None and c.written >= since
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
        self.lock = StoreLock(self.data_dir / ".lock")
        self._spans: dict[tuple, Spans | None] = {}
        self.events = EventWriter(self.data_dir / EVENTS_FILE, RunContext(agent=None, src="system"))

    def read(self, mark: dict[str, Any] | None = None) -> Peeked:
        """The files as they are now (a compaction cannot swap them midway: shared lock); with
        the `mark` of an earlier read whose files are still in place, only the journal lines
        appended since."""
        mark = mark if isinstance(mark, dict) else {}
        with self.lock.shared():
            active = self._collection(ACTIVE, mark.get(ACTIVE))
            archive = self._collection(ARCHIVE, mark.get(ARCHIVE))
            if active.from_mark != archive.from_mark:  # one was replaced: both read whole
                active.close()
                archive.close()
                active, archive = self._collection(ACTIVE, None), self._collection(ARCHIVE, None)
            return Peeked(active, archive)

    def _collection(self, name: str, mark: Any) -> _Collection:
        snapshot = self.data_dir / f"{name}.json"
        try:
            fh = open_read(snapshot)  # never through a link
        except FileNotFoundError:
            fd, written, snapshot_id = None, None, None
        else:
            fd = os.dup(fh.fileno())
            fh.close()
            st = os.fstat(fd)
            written, snapshot_id = mtime_iso(fd), [st.st_ino, st.st_mtime_ns]
        try:
            with open_read(self.data_dir / f"{name}.journal") as fh:
                journal_ino = os.fstat(fh.fileno()).st_ino
                start = _resume_at(mark, snapshot_id, journal_ino, os.fstat(fh.fileno()).st_size)
                fh.seek(start or 0)
                chunk = fh.read()
        except FileNotFoundError:
            journal_ino, start, chunk = None, _resume_at(mark, snapshot_id, None, 0), b""
        whole = chunk[:chunk.rfind(b"\n") + 1]  # a torn tail is read again next time
        end = (start or 0) + len(whole)
        return _Collection(fd, written, whole,
                           {"snapshot": snapshot_id, "journal": [journal_ino, end]},
                           start is not None, self._spans)

    def close(self) -> None:
        self.events.close()
        self.lock.close()


def _resume_at(mark: Any, snapshot_id: list[int] | None, journal_ino: int | None,
               size: int) -> int | None:
    """Where to read the journal from for `mark`: its end, if the snapshot and journal are
    the files it was taken on; None (read all of it) otherwise."""
    if not isinstance(mark, dict) or mark.get("snapshot") != snapshot_id:
        return None
    journal = mark.get("journal")
    if not (isinstance(journal, list) and len(journal) == 2 and isinstance(journal[1], int)):
        return None
    if journal[0] is None:  # no journal then: all of it, if any, was written since
        return 0
    if journal[0] != journal_ino or not 0 <= journal[1] <= size:
        return None
    return journal[1]
