"""Tables whose documents stay in the snapshot file until they are asked for.

A parsed document costs five to seven times its JSON in Python objects: 70k active tickets
(71 MB of JSON) took over 300 MB in every desk process. An `OnDemandTable` holds, for each
document of the snapshot, only where its JSON starts and how long it is, and parses it
(`os.pread`, then orjson) when it is read. The file's pages are the kernel's page cache,
shared by every desk on the host, not the process's memory. Documents the journal wrote
since the snapshot are held as they are (the journal is small: it is folded into a new
snapshot at 8 MB).

A table may keep a small `projection` of each document, made when the document is first
seen (at load or when written): what the store needs of every document at once (a ticket's
revision and customer, a purchase's customer), so that nothing iterates the table for it.

The snapshot file stays open while any table made from it lives (a compaction renames a new
file over it; the old inode stays readable), so a reader never sees another file's bytes.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from typing import Any, BinaryIO, Callable, Iterator

import orjson

from ..errors import StoreCorrupt

# What a projector makes of (doc id, document); the document is never kept.
Projector = Callable[[str, Any], Any]
_LENGTH_BITS = 32
_LENGTH_MASK = (1 << _LENGTH_BITS) - 1
_RECENT = 64  # parsed documents kept, for the ticket a screen reads several times in a row


class SnapshotFile:
    """An open snapshot, read at offsets; closed when the last table using it goes."""

    __slots__ = ("_fh", "name")

    def __init__(self, fh: BinaryIO, name: str):
        self._fh, self.name = fh, name

    def read(self, at: int, length: int) -> bytes:
        data = os.pread(self._fh.fileno(), length, at)
        if len(data) != length:
            raise OSError(f"{self.name}: shorter than when it was read")
        return data


class DocumentUnreadable(StoreCorrupt):
    """A document of the snapshot that no longer parses (the file changed under desk)."""


class OnDemandTable(MutableMapping):
    """doc id -> document, like the dict a full load makes, in the same order; documents are
    read from the snapshot when asked for and never changed in place (as everywhere)."""

    __slots__ = ("_file", "_docs", "_recent", "_projector", "projections", "version")

    def __init__(self, file: SnapshotFile | None, projector: Projector | None = None):
        self._file = file
        # doc id -> the packed (offset << 32 | length) of its JSON in the snapshot, or the
        # document itself (written since, or a snapshot without the one-per-line layout)
        self._docs: dict[str, int | dict[str, Any] | Any] = {}
        self._recent: dict[str, Any] = {}
        self._projector = projector
        self.projections: dict[str, Any] = {}
        self.version = 0  # moves at every write: a reader's cached answer is stale

    # -- filling (the loader) ------------------------------------------------------
    def add_on_disk(self, doc_id: str, at: int, length: int, doc: Any = None) -> None:
        """A document of the snapshot, as the loader parsed it (let go after the projector)."""
        self._docs[doc_id] = (at << _LENGTH_BITS) | length
        if self._projector is not None:
            self.projections[doc_id] = self._projector(doc_id, doc)

    def fill(self, ids: list[str], at: list[int], lengths: list[int], heads: Any = None) -> None:
        """Documents of the snapshot from its index (snapshot_index.py), with their
        projections (`heads`, in the same order) if the table has a projector."""
        self._docs = dict(zip(ids, [(a << _LENGTH_BITS) | n for a, n in zip(at, lengths)]))
        if heads is not None:
            self.projections = dict(zip(ids, heads))

    # -- reading -------------------------------------------------------------------
    def __getitem__(self, doc_id: str) -> Any:
        held = self._docs[doc_id]
        if type(held) is not int:
            return held
        doc = self._recent.get(doc_id)
        if doc is None:
            doc = self._parse(doc_id, held)
            if len(self._recent) >= _RECENT:
                self._recent.pop(next(iter(self._recent)))
            self._recent[doc_id] = doc
        return doc

    def _parse(self, doc_id: str, packed: int) -> Any:
        assert self._file is not None
        raw = self._file.read(packed >> _LENGTH_BITS, packed & _LENGTH_MASK)
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise DocumentUnreadable(f"{self._file.name}: record {doc_id}: not valid JSON "
                                     f"({exc})") from None

    def raw(self, doc_id: str) -> bytes | None:
        """The document's JSON as the snapshot holds it; None if it is held in memory."""
        held = self._docs[doc_id]
        if type(held) is not int or self._file is None:
            return None
        return self._file.read(held >> _LENGTH_BITS, held & _LENGTH_MASK)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._docs

    def __iter__(self) -> Iterator[str]:
        return iter(self._docs)

    def __len__(self) -> int:
        return len(self._docs)

    def spans(self) -> list[tuple[str, int, int]] | None:
        """(doc id, offset, length) of each document in the snapshot, in order; None if any
        is held in memory instead."""
        out = []
        for doc_id, held in self._docs.items():
            if type(held) is not int:
                return None
            out.append((doc_id, held >> _LENGTH_BITS, held & _LENGTH_MASK))
        return out

    def in_memory(self) -> Iterator[tuple[str, Any]]:
        """The documents held as objects (written since the snapshot)."""
        return ((k, v) for k, v in self._docs.items() if type(v) is not int)

    # -- writing (the journal) -----------------------------------------------------
    def __setitem__(self, doc_id: str, doc: Any) -> None:
        self._docs[doc_id] = doc
        self._recent.pop(doc_id, None)
        if self._projector is not None:
            self.projections[doc_id] = self._projector(doc_id, doc)
        self.version += 1

    def __delitem__(self, doc_id: str) -> None:
        del self._docs[doc_id]
        self._recent.pop(doc_id, None)
        self.projections.pop(doc_id, None)
        self.version += 1

    def copy(self) -> "OnDemandTable":
        """The table as it is now, read from the same file: writes to either are their own."""
        twin = OnDemandTable(self._file, self._projector)
        twin._docs = dict(self._docs)
        twin.projections = dict(self.projections)
        twin.version = self.version
        return twin

    def __repr__(self) -> str:
        return f"<OnDemandTable of {len(self)} documents>"


def read_on_demand(fh: BinaryIO, name: str, projectors: dict[str, Projector],
                   slice_bytes: int = 1 << 20) -> dict[str, OnDemandTable] | None:
    """The tables of a snapshot in `snapshot.encode`'s layout (one document per line), each
    an OnDemandTable over `fh`, which they keep open; None if the file has another layout
    (the caller reads it whole). Each document is parsed once here, a line at a time, given
    to its table's projector if it has one, and let go. Raises orjson.JSONDecodeError for a line that does not
    parse, ValueError for a line that is not of the layout."""
    from .snapshot import HEAD

    fd = fh.fileno()
    if os.pread(fd, len(HEAD), 0) != HEAD:
        return None
    file = SnapshotFile(fh, name)
    tables: dict[str, OnDemandTable] = {}
    table: OnDemandTable | None = None
    done = False
    offset = len(HEAD)
    pending = b""
    pending_at = offset
    while True:
        block = os.pread(fd, slice_bytes, offset)
        offset += len(block)
        data = pending + block
        cut = data.rfind(b"\n") + 1 if block else len(data)
        lines_at = pending_at
        pending, pending_at = data[cut:], pending_at + cut
        at = lines_at
        for line in data[:cut].split(b"\n")[:-1] if block else data.split(b"\n"):
            line_at, at = at, at + len(line) + 1
            if done:
                if line.strip():
                    raise ValueError("text after the closing brace")
                continue
            if table is None:
                if line == b"}":
                    done = True
                elif line.startswith(b'"') and line.endswith(b":{"):
                    table_name = orjson.loads(line[:-2])
                    table = tables.get(table_name)
                    if table is None:
                        table = tables[table_name] = OnDemandTable(
                            file, projectors.get(table_name))
                elif line:
                    raise ValueError("not a table header")
                continue
            if line in (b"}", b"},"):
                table = None
                continue
            _add_line(table, line, line_at)
        if not block:
            break
    if not done:
        raise ValueError("no closing brace")
    return tables


def _add_line(table: OnDemandTable, line: bytes, line_at: int) -> None:
    """One `"id":{...},` line of a table."""
    if not line.startswith(b'"'):
        raise ValueError("not a document line")
    colon = line.find(b'":', 1)  # past the opening quote: an id may start with a colon
    if colon < 0:
        raise ValueError("not a document line")
    key_bytes = line[:colon + 1]
    if b"\\" in key_bytes:  # an escaped quote may end it early: parse the line as JSON
        entry = orjson.loads(b"{" + line.rstrip(b",") + b"}")
        (doc_id, _), = entry.items()
        colon = len(orjson.dumps(doc_id)) - 1
    else:
        doc_id = key_bytes[1:-1].decode()
    start = colon + 2
    end = len(line) - 1 if line.endswith(b",") else len(line)
    if end <= start:
        raise ValueError("not a document line")
    # Parsed once even without a projector: a store whose JSON is damaged is refused at
    # open, as by a full load, not at the first read of the damaged record.
    table.add_on_disk(doc_id, line_at + start, end - start, orjson.loads(line[start:end]))
