"""The archive index: each archived ticket's head (the document without its thread), by customer.

`archive-index.json` sits beside `archive.json` and is derived from it, so that the customer
pane can list a customer's past tickets without parsing the archive (75k closed tickets,
210 MB, 0.7 GB of memory at 100k). It is written whenever the archive snapshot is (the
compaction, under the store lock) and rebuilt from the archive when it is missing, stale or
damaged: it is never trusted unless it names the very snapshot file it was derived from and
its checksums hold.

Layout: one header line, then one line per customer.
- header: `<crc32> {"format": 3, "archive": [mtime_ns, size, crc32 of its first and last
  64 KiB], "body": [bytes, crc32],
  "customers": {customer id: [offset, length]}, "ids": [doc id, ...]}` (offsets into the
  body; "ids", sorted, tell a move to the archive whether a ticket is archived already);
- body: per customer, a JSON object `{doc id: head}` and a newline.
A reader checks the header's and the body's CRC, then parses only the lines it is asked for.

The archive journal (what was archived or changed since the snapshot) is replayed on top,
as heads, by `ArchiveHeads`.
"""

from __future__ import annotations

import os
import zlib
from array import array
from bisect import bisect_left
from contextlib import nullcontext
from pathlib import Path
from typing import Any, BinaryIO, Iterable

import orjson

from ...fileio import BadLine, crc_line, open_read, parse_crc_line
from .journal import JournaledCollection, JournalStats, Op
from .lock import StoreLock
from .snapshot import Stamp
from .snapshot import file_stamp as snapshot_stamp

INDEX_FILE = "archive-index.json"
FORMAT = 3


class IndexUnusable(Exception):
    """The index on disk cannot be trusted; the message says why."""


def head_of(doc: Any) -> Any:
    """A ticket document without its thread."""
    if isinstance(doc, dict) and "messages" in doc:
        return {k: v for k, v in doc.items() if k != "messages"}
    return doc


def build_index(tickets: dict[str, Any], stamp: Stamp) -> bytes:
    """The index file's bytes for these archived ticket documents (doc id -> document)."""
    by_customer: dict[str, list[bytes]] = {}
    ids: list[int] | None = []
    for doc_id, doc in tickets.items():
        if ids is not None:
            try:
                ids.append(int(doc_id))
            except ValueError:
                ids = None  # a damaged store (check reports it): moves then read the archive
        if isinstance(doc, dict) and isinstance(doc.get("customer"), str):
            by_customer.setdefault(doc["customer"], []).append(
                orjson.dumps(str(doc_id)) + b":" + orjson.dumps(head_of(doc)))
    lines: list[bytes] = []
    directory: dict[str, list[int]] = {}
    offset = 0
    for customer, entries in by_customer.items():
        line = b"{" + b",".join(entries) + b"}\n"
        directory[customer] = [offset, len(line) - 1]
        lines.append(line)
        offset += len(line)
    body = b"".join(lines)
    header = crc_line({"format": FORMAT, "archive": stamp, "body": [len(body), zlib.crc32(body)],
                       "customers": directory, "ids": sorted(ids) if ids is not None else None})
    return header + body


class ArchiveIndex:
    """A verified index: the body, parsed one customer at a time. Read from a file, the body
    is read again from it by offset when asked for (the open file is kept: a new index is
    renamed over it, the old inode stays as it was checked), not kept in memory."""

    def __init__(self, body: bytes = b"", directory: dict[str, list[int]] | None = None,
                 ids: Iterable[int] | None = (), file: BinaryIO | None = None, body_at: int = 0):
        self._body: bytes | None = None if file is not None else body
        self._file, self._body_at = file, body_at
        # customer -> offset << 32 | length, packed: 40k customers at 100k tickets
        self._directory = {customer: (where[0] << 32) | where[1]
                           for customer, where in (directory or {}).items()}
        self._ids = array("q", ids) if ids is not None else None

    def _line(self, packed: int) -> bytes:
        offset, length = packed >> 32, packed & 0xFFFFFFFF
        if self._body is not None:
            return self._body[offset:offset + length]
        assert self._file is not None
        return os.pread(self._file.fileno(), length, self._body_at + offset)

    @classmethod
    def parse(cls, raw: bytes, stamp: Stamp, file: BinaryIO | None = None) -> "ArchiveIndex":
        """Raises IndexUnusable unless `raw` is an intact index of the snapshot `stamp`
        (read from `file`, if given, which the index then reads its lines from)."""
        end = raw.find(b"\n")
        if end < 0:
            raise IndexUnusable("damaged (no header line)")
        try:
            header = parse_crc_line(raw[:end], require_crc=True)
        except BadLine as exc:
            raise IndexUnusable(f"damaged header ({exc})") from None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise IndexUnusable("not an index this desk understands")
        if header.get("archive") != stamp:
            raise IndexUnusable("out of date (derived from an earlier archive.json)")
        body = memoryview(raw)[end + 1:]  # not a copy: 16 MB at 100k
        if header.get("body") != [len(body), zlib.crc32(body)]:
            raise IndexUnusable("damaged (the body's length or CRC does not match)")
        directory, ids = header.get("customers"), header.get("ids")
        if not isinstance(directory, dict) or not (ids is None or isinstance(ids, list)):
            raise IndexUnusable("damaged header")
        try:
            return cls(b"" if file is not None else bytes(body), directory, ids, file, end + 1)
        except (TypeError, OverflowError, IndexError, KeyError, ValueError):
            raise IndexUnusable("damaged header (ticket ids)") from None

    def holds(self, doc_id: str) -> bool | None:
        """Whether the snapshot holds this doc id; None if the index cannot tell."""
        if self._ids is None:
            return None
        try:
            number = int(doc_id)
        except ValueError:
            return None
        at = bisect_left(self._ids, number)
        return at < len(self._ids) and self._ids[at] == number

    def heads(self, customer: str) -> dict[str, dict[str, Any]]:
        """The customer's archived heads by doc id; raises IndexUnusable if they do not parse."""
        where = self._directory.get(customer)
        if where is None:
            return {}
        try:
            found = orjson.loads(self._line(where))
        except (TypeError, ValueError, OSError) as exc:
            raise IndexUnusable(f"damaged line for {customer} ({exc})") from None
        if not isinstance(found, dict) or not all(isinstance(h, dict) for h in found.values()):
            raise IndexUnusable(f"damaged line for {customer}")
        return found

    def customers(self) -> Iterable[str]:
        return self._directory.keys()


def read_index(path: Path, stamp: Stamp | None) -> ArchiveIndex:
    """The index of the snapshot `stamp` from `path` (empty when there is no snapshot)."""
    if stamp is None:
        return ArchiveIndex()
    try:
        fh = open_read(path)
    except FileNotFoundError:
        raise IndexUnusable("missing") from None
    except OSError as exc:
        raise IndexUnusable(f"cannot be read ({exc.strerror or exc})") from None
    try:
        index = ArchiveIndex.parse(fh.read(), stamp, fh)
    except OSError as exc:
        fh.close()
        raise IndexUnusable(f"cannot be read ({exc.strerror or exc})") from None
    except BaseException:
        fh.close()
        raise
    return index  # it keeps `fh`, closed when the index goes


class ArchiveHeads(JournaledCollection):
    """The archive as heads: the index of its snapshot, with its journal replayed on top.

    Follows other processes like the archive itself (`refresh()`: a new snapshot reloads the
    index, journal lines are applied as they come) but never reads `archive.json`. `tables`
    holds the journal's heads only; None marks a ticket the journal deleted.
    When the index cannot be used, `index` is None and `problem` says why: the store then
    rebuilds it from the archive and hands it over with `use()`.
    """

    def __init__(self, snapshot: Path, journal: Path, index_path: Path,
                 lock: StoreLock | None = None):
        super().__init__(snapshot, journal, lock)
        self.index_path = index_path
        self.index: ArchiveIndex | None = None
        self.problem: str | None = None
        self.loaded = False

    def current(self) -> None:
        """Load on first use, then follow the files."""
        if self.loaded:
            self.refresh()
        else:
            self.load()

    def load(self) -> None:
        with self._mutex:
            with self._lock.shared() if self._lock is not None else nullcontext():
                stamp = snapshot_stamp(self.snapshot)
                snapshot_id = self._stat_id(self.snapshot)
                try:
                    index, problem = read_index(self.index_path, stamp), None
                except IndexUnusable as exc:
                    index, problem = None, str(exc)
                journal_ino, chunk = self._read_journal_bytes(0)
            self.index, self.problem = index, problem
            self.tables = {}
            self._snapshot_id = snapshot_id
            self._pos = 0
            self._journal_ino = journal_ino
            self.stats = JournalStats()
            self._apply_chunk(chunk)
            self.loaded = True
            self.generation += 1

    def use(self, index: ArchiveIndex) -> None:
        """An index rebuilt for the snapshot loaded now (the caller holds the store lock)."""
        with self._mutex:
            self.index, self.problem = index, None
            self.generation += 1

    def _apply(self, ops: Iterable[Op]) -> None:
        for table, doc_id, doc in ops:
            self.tables.setdefault(table, {})[str(doc_id)] = head_of(doc)  # type: ignore[assignment]

    def for_customer(self, customer: str) -> dict[str, dict[str, Any]]:
        """The customer's archived heads by doc id. Raises IndexUnusable (index is None or damaged)."""
        if self.index is None:
            raise IndexUnusable(self.problem or "not loaded")
        heads = self.index.heads(customer)
        journal = self.tables.get("tickets", {})
        for doc_id in [d for d in heads if d in journal]:
            del heads[doc_id]  # changed (maybe to another customer) or deleted since
        for doc_id, head in journal.items():
            if isinstance(head, dict) and head.get("customer") == customer:
                heads[doc_id] = head
        return heads

