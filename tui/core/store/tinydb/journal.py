"""A TinyDB-format snapshot plus an append-only journal of changed documents.

The snapshot is plain TinyDB JSON (`{"table": {"1": {...}}}`), so stock TinyDB
can still read it. Each write appends one CRC-framed line holding the full
documents it changed, then fdatasyncs: O(change), never O(store). Readers
`stat()` the files and apply only the lines other processes appended.
Callers hold the store lock for every write and for compaction.
"""

from __future__ import annotations

import os
import threading
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

import orjson

from ...bulk import bulk_objects
from ...fileio import BadLine, crc_line, open_append, open_read, parse_crc_line
from ..errors import StoreCorrupt, StoreWriteError
from . import snapshot as snapshot_file
from .lock import StoreLock
from .on_demand import OnDemandTable, Projector, SnapshotFile, pack_span, read_on_demand

if TYPE_CHECKING:
    from .snapshot_index import SnapshotIndex

Tables = dict[str, dict[str, dict[str, Any]]]
# One op: (table, doc_id, document or None for a delete)
Op = tuple[str, str, dict[str, Any] | None]


@dataclass
class JournalStats:
    lines: int = 0
    bad_lines: list[int] = field(default_factory=list)
    torn_tail: bool = False


def journal_entries(chunk: bytes) -> Iterator[list[Op] | None]:
    """The ops of each complete line of journal bytes (a torn last line is left out); None
    for a damaged line."""
    for line in chunk[:chunk.rfind(b"\n") + 1].splitlines():
        try:
            yield parse_crc_line(line, require_crc=True)["ops"]  # type: ignore[index]
        except (BadLine, KeyError, TypeError):
            yield None


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0


def journal_id(path: Path) -> tuple[int, int, int] | None:
    """Inode, size and mtime: a journal that still has them has not been written since."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _last_line_end(fd: int, chunk: int = 1 << 16) -> int:
    """The offset just past the file's last newline (0 if it has none)."""
    end = os.fstat(fd).st_size
    while end > 0:
        start = max(0, end - chunk)
        at = os.pread(fd, end - start, start).rfind(b"\n")
        if at >= 0:
            return start + at + 1
        end = start
    return 0


def damaged_line(journal: Path, line: int) -> StoreCorrupt:
    return StoreCorrupt(
        f"{journal}: line {line} is damaged (bad CRC or JSON), so the changes it held cannot be "
        "read. desk did not open the store and changed nothing. Run `desk check --repair` to set "
        "the damaged line aside (the journal is backed up first), or restore the file from a backup.")


class JournaledCollection:
    def __init__(self, snapshot: Path, journal: Path, lock: "StoreLock | None" = None, *,
                 strict: bool = True, projectors: dict[str, Projector] | None = None,
                 index: "SnapshotIndex | None" = None):
        """`strict`: a damaged line that is not the torn tail stops every read with
        StoreCorrupt (so no compaction can drop it); `desk check` reads with strict off.
        With `projectors`, every table is an OnDemandTable (on_demand.py): its documents
        stay in the snapshot file until read, and the tables named in `projectors` keep
        each document's projection."""
        self.snapshot = snapshot
        self._projectors = projectors
        self._index = index if projectors is not None else None  # snapshot_index.py
        self.strict = strict
        self._lock = lock
        self.journal = journal
        self._tables: Tables = {}
        self.stats = JournalStats()
        self.generation = 0  # bumps whenever the in-memory tables change
        self.stamp: snapshot_file.Stamp | None = None  # of the snapshot the tables came from
        self._mutex = threading.RLock()
        self._loader: Callable[[], None] | None = None
        self._loading_in: int | None = None  # the thread running the loader
        self._pos = 0
        self._snapshot_id: tuple[int, int] | None = None
        self._journal_ino: int | None = None
        self._append_fd: int | None = None

    # -- reading -----------------------------------------------------------
    @property
    def tables(self) -> Tables:
        if self._loader is not None:
            self._run_loader()
        return self._tables

    @tables.setter
    def tables(self, tables: Tables) -> None:
        self._tables = tables

    def defer(self, loader: Callable[[], None]) -> None:
        """Read nothing yet: the first use of the tables (or a refresh) runs `loader`, which
        must call `load()`; until it returns without an error, every use waits for it or
        runs it again."""
        self._loader = loader

    @property
    def deferred(self) -> bool:
        return self._loader is not None

    def _run_loader(self) -> None:
        with self._mutex:
            loader = self._loader
            if loader is None or self._loading_in == threading.get_ident():
                return  # loaded, or the loader itself reading what it loaded
            self._loading_in = threading.get_ident()
            try:
                loader()
                self._loader = None
            finally:
                self._loading_in = None

    def load(self) -> None:
        """Read the snapshot and replay the journal from the start.

        Only opening the snapshot and reading the journal hold the shared lock, so that a
        compaction cannot swap them midway; the snapshot is read from the open file (which
        a compaction's rename leaves as it is) and parsed (seconds at 100k) after the lock
        is released, so that another process's reload never holds up writers for that long.
        """
        with self._mutex:
            with self._lock.shared() if self._lock is not None else nullcontext():
                fh = self._open_snapshot()  # this very file, even if a compaction replaces it
                journal_ino, chunk = self._read_journal_bytes(0)
            tables: Tables = {}
            st = None
            scanned = False  # read from the snapshot by a scan (not from its index)
            if fh is not None:
                keep_open = False
                try:
                    st = os.fstat(fh.fileno())
                    self.stamp = snapshot_file.fd_stamp(fh.fileno(), st)
                    try:
                        with bulk_objects():
                            if self._projectors is not None:
                                tables, keep_open, scanned = self._read_on_demand(fh, self.stamp)
                            else:
                                tables = snapshot_file.read(fh)
                    except orjson.JSONDecodeError as exc:
                        raise StoreCorrupt(
                            f"{self.snapshot}: not valid JSON ({exc}). The file was left as it "
                            "is; restore it from a backup, then run `desk check`."
                        ) from None
                    except OSError as exc:
                        raise StoreCorrupt(f"{self.snapshot}: cannot read it ({exc}).") from None
                finally:
                    if not keep_open:  # else its tables hold it, and close it when they go
                        fh.close()
                if st.st_size == 0:
                    raise StoreCorrupt(
                        f"{self.snapshot}: is empty (0 bytes), so it holds no tables, not even "
                        "empty ones; a store file is never empty. The file was left as it is; "
                        "restore it from a backup, then run `desk check`.")
                if not isinstance(tables, dict) or not all(
                    isinstance(t, (dict, OnDemandTable)) for t in tables.values()
                ):
                    raise StoreCorrupt(
                        f"{self.snapshot}: expected TinyDB tables (an object of objects)."
                    )
            else:
                self.stamp = None
            self.tables = tables
            self._snapshot_id = (st.st_ino, st.st_mtime_ns) if st else None
            self._pos = 0
            self._journal_ino = journal_ino
            self.stats = JournalStats()
            spans = self._spans_to_index(tables) if scanned and not chunk else None
            with bulk_objects():
                self._apply_chunk(chunk)
            self.generation += 1
        if spans is not None and self._index is not None:
            self._index.write(tables, spans, self.stamp)  # the next open reads only it

    def _spans_to_index(self, tables: Tables) -> snapshot_file.Spans | None:
        """Where each document is in the snapshot, if all of them are on disk."""
        if self._index is None:
            return None
        spans: snapshot_file.Spans = {}
        for name, table in tables.items():
            placed = table.spans() if isinstance(table, OnDemandTable) else None
            if placed is None:
                return None
            spans[name] = placed
        return spans

    def _read_on_demand(self, fh: Any, stamp: Any) -> tuple[Tables, bool, bool]:
        """The snapshot's tables on demand, whether they read from `fh`, and whether by a
        scan: from the snapshot's index if it fits, else by a scan; a snapshot in another
        layout (stock TinyDB, an older desk) is parsed whole into them."""
        if self._index is not None:
            indexed = self._index.read(stamp, SnapshotFile(fh, str(self.snapshot)),
                                       self._projectors or {})
            if indexed is not None:
                return indexed, True, False  # type: ignore[return-value]
        try:
            tables = read_on_demand(fh, str(self.snapshot), self._projectors or {})
        except ValueError:
            tables = None  # parsed whole, for the error that says where in the file
        if tables is not None:
            return tables, True, True  # type: ignore[return-value]
        fh.seek(0)
        parsed = snapshot_file.read(fh)
        if not isinstance(parsed, dict) or not all(isinstance(t, dict) for t in parsed.values()):
            return parsed, False, False  # refused by the caller
        held: Tables = {}
        for name, docs in parsed.items():
            table = held[name] = self._new_table(name)  # type: ignore[assignment]
            for doc_id, doc in docs.items():
                table[doc_id] = doc
        return held, False, False

    def _new_table(self, name: str) -> dict[str, Any]:
        if self._projectors is None:
            return {}
        return OnDemandTable(None, self._projectors.get(name))  # type: ignore[return-value]

    def table(self, name: str) -> Any:
        """The table `name`, or an empty one of the same kind (not added) if there is none."""
        found = self.tables.get(name)
        return found if found is not None else self._new_table(name)

    def _open_snapshot(self):
        try:
            return open_read(self.snapshot)
        except FileNotFoundError:
            return None
        except PermissionError as exc:
            raise StoreCorrupt(
                f"{self.snapshot}: cannot read it ({exc.strerror}). "
                "Ask for read/write access to the data directory's group."
            ) from None

    def refresh(self) -> bool:
        """Apply what other processes wrote since the last look. True if anything changed."""
        if self._loader is not None:
            generation = self.generation
            self._run_loader()
            return self.generation != generation
        with self._mutex:
            snap_id = self._stat_id(self.snapshot)
            try:
                jst = os.stat(self.journal)
            except FileNotFoundError:
                jst = None
            if snap_id != self._snapshot_id or (
                jst is not None
                and (jst.st_ino != self._journal_ino and self._journal_ino is not None
                     or jst.st_size < self._pos)
            ):
                self.load()
                return True
            if jst is None or jst.st_size == self._pos:
                return False
            before = self.stats.lines
            if not self._read_journal():
                self.load()
                return True
            if self.stats.lines != before:
                self.generation += 1
                return True
            return False

    @staticmethod
    def _stat_id(path: Path) -> tuple[int, int] | None:
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns)

    def _read_journal_bytes(self, pos: int) -> tuple[int | None, bytes]:
        try:
            with open_read(self.journal) as fh:
                ino = os.fstat(fh.fileno()).st_ino
                fh.seek(pos)
                return ino, fh.read()
        except FileNotFoundError:
            return None, b""

    def _read_journal(self) -> bool:
        """Apply what was appended since `_pos`; False if a compaction got in between."""
        ino, chunk = self._read_journal_bytes(self._pos)
        # A compaction replaces the snapshot before it empties the journal: if the
        # snapshot is unchanged now, what we read followed our position.
        if self._stat_id(self.snapshot) != self._snapshot_id:
            return False
        if ino is None:
            return True
        self._journal_ino = ino
        self._apply_chunk(chunk)
        return True

    def _apply_chunk(self, chunk: bytes) -> None:
        """Apply the complete lines of `chunk` (read at `_pos`); a torn tail waits."""
        end = chunk.rfind(b"\n") + 1
        self.stats.torn_tail = end < len(chunk)
        for ops in journal_entries(chunk):
            self.stats.lines += 1
            try:
                if ops is None:
                    raise BadLine("damaged line")
                self._apply(ops)
            except (BadLine, KeyError, TypeError, ValueError):
                self.stats.bad_lines.append(self.stats.lines)
                if self.strict:
                    raise damaged_line(self.journal, self.stats.lines) from None
        self._pos += end

    def _apply(self, ops: Iterable[Op]) -> None:
        for table, doc_id, doc in ops:
            docs = self.tables.get(table)
            if docs is None:
                docs = self.tables[table] = self._new_table(table)
            if doc is None:
                docs.pop(str(doc_id), None)
            else:
                docs[str(doc_id)] = doc

    # -- writing (caller holds the store's exclusive lock) -------------------
    def commit(self, ops: list[Op], events: list[dict[str, Any]] | None = None,
               log_at: int = 0) -> None:
        """Append `ops` as one all-or-nothing journal line and fdatasync it; `events` (the
        change's ticket events, see event_replay.py) ride in the same line."""
        with self._mutex:
            self.refresh()
            if self.stats.torn_tail:
                self._truncate_torn_tail()
            entry: dict[str, Any] = {"ops": ops}
            if events:
                entry.update(events=events, log_at=log_at)
            line = crc_line(entry)
            self._write_line(self._fd(), line, self._pos)
            self._apply(ops)
            self._pos += len(line)
            self.stats.lines += 1
            self.generation += 1

    def append_unloaded(self, ops: list[Op], events: list[dict[str, Any]] | None = None,
                        log_at: int = 0) -> int:
        """Append `ops` (and `events`, as `commit` does) as one journal line without the
        tables in memory (the caller holds the exclusive lock and knows the line is right,
        e.g. from the archive index): no reload of a big snapshot just to add to it. A torn
        tail left by a writer that died mid-line is cut off first, as `commit` does.
        Returns the journal's size after the line."""
        entry: dict[str, Any] = {"ops": ops}
        if events:
            entry.update(events=events, log_at=log_at)
        line = crc_line(entry)
        with self._mutex:
            fd = open_append(self.journal, readable=True)
            try:
                end = _last_line_end(fd)
                if end != os.fstat(fd).st_size:
                    os.ftruncate(fd, end)
                    os.fsync(fd)
                self._write_line(fd, line, end)
            finally:
                os.close(fd)
        return end + len(line)

    def replace_unloaded(self, pieces: Iterable[bytes]) -> None:
        """A compaction without the tables in memory (caller holds the exclusive lock): the
        snapshot written from `pieces` (all the documents, the journal's folded in), then the
        journal emptied. The tables this object holds, if any, are read again at next use."""
        with self._mutex:
            snapshot_file.write_pieces(self.snapshot, iter(pieces))
            fd = open_append(self.journal)
            try:
                os.ftruncate(fd, 0)
                os.fsync(fd)
            finally:
                os.close(fd)
            self.stamp = snapshot_file.file_stamp(self.snapshot)
            self._snapshot_id = None  # a refresh reloads
            self.generation += 1

    def _write_line(self, fd: int, line: bytes, end: int) -> None:
        """Append `line` at `end` and fdatasync it; on failure leave no partial line behind
        (the store stays as it was)."""
        try:
            if os.write(fd, line) != len(line):
                raise OSError(28, "short write")
            os.fdatasync(fd)
        except OSError as exc:
            try:
                os.ftruncate(fd, end)
            except OSError:
                pass
            raise StoreWriteError(
                f"{self.journal}: could not save ({exc.strerror or exc}). Nothing was changed."
            ) from None

    def _fd(self) -> int:
        ino = self._journal_ino
        if self._append_fd is not None and ino is not None:
            try:
                if os.fstat(self._append_fd).st_ino == ino:
                    return self._append_fd
            except OSError:
                pass
        self.close()
        self._append_fd = open_append(self.journal)
        self._journal_ino = os.fstat(self._append_fd).st_ino
        return self._append_fd

    def _truncate_torn_tail(self) -> None:
        """A writer died mid-line: drop its fragment so the next line starts clean."""
        with open_read(self.journal, "r+b") as fh:
            fh.truncate(self._pos)
            os.fsync(fh.fileno())
        self.stats.torn_tail = False

    def journal_size(self) -> int:
        return _size(self.journal)

    def bytes_on_disk(self) -> int:
        """Snapshot and journal: about how much a `load` reads."""
        return _size(self.snapshot) + _size(self.journal)

    def compact(self) -> None:
        """Fold the journal into a new snapshot (temp + fsync + replace), then empty it."""
        with self._mutex:
            self.refresh()
            spans = snapshot_file.write(self.snapshot, self.tables)
            self.stamp = snapshot_file.file_stamp(self.snapshot)
            if self._projectors is not None:
                self._read_from_new_snapshot(spans)
            fd = self._fd()
            os.ftruncate(fd, 0)
            os.fsync(fd)
            self._pos = 0
            self._snapshot_id = self._stat_id(self.snapshot)
            self.stats = JournalStats()
            self.generation += 1

    def _read_from_new_snapshot(self, spans: snapshot_file.Spans) -> None:
        """After a compaction (under the lock): the tables read from the snapshot just written
        (what the journal held goes out of memory), and its index written beside it."""
        try:
            fh = open_read(self.snapshot)
        except OSError:
            return  # the tables as they are stay right, from the old file
        file = SnapshotFile(fh, str(self.snapshot))
        tables: Tables = {}
        for name, placed in spans.items():
            old = self.tables.get(name)
            table = OnDemandTable(file, self._projectors.get(name) if self._projectors else None)
            table.fill([d for d, _, _ in placed], [pack_span(a, n) for _, a, n in placed],
                       [old.projections[d] for d, _, _ in placed]
                       if isinstance(old, OnDemandTable) and old.projections else None)
            tables[name] = table  # type: ignore[assignment]
        self.tables = tables
        if self._index is not None:
            self._index.write(tables, spans, self.stamp)

    def close(self) -> None:
        if self._append_fd is not None:
            try:
                os.close(self._append_fd)
            except OSError:
                pass
            self._append_fd = None
