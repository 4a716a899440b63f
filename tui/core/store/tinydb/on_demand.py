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
head, a purchase's customer, a customer's name: projections.py), so that nothing iterates
the table for it.

The snapshot file stays open while any table made from it lives (a compaction renames a new
file over it; the old inode stays readable), so a reader never sees another file's bytes.
"""

from __future__ import annotations

import os
from array import array
from bisect import bisect_left
from collections.abc import Mapping, MutableMapping
from typing import Any, BinaryIO, Callable, Iterable, Iterator

import orjson

from ..errors import StoreCorrupt

# What a projector makes of (doc id, document); the document is never kept.
Projector = Callable[[str, Any], Any]
_LENGTH_BITS = 32
_LENGTH_MASK = (1 << _LENGTH_BITS) - 1
_RECENT = 64  # parsed documents kept, for the ticket a screen reads several times in a row


def pack_span(at: int, length: int) -> int:
    """Where a document's JSON is in its file, as one number (offset << 32 | length)."""
    return (at << _LENGTH_BITS) | length


class SnapshotFile:
    """An open snapshot, read at offsets; closed when the last table using it goes."""

    __slots__ = ("_fh", "name")

    def __init__(self, fh: BinaryIO, name: str):
        self._fh, self.name = fh, name

    def read(self, at: int, length: int, record: str = "?") -> bytes:
        try:
            data = os.pread(self._fh.fileno(), length, at)
        except OSError as exc:
            raise DocumentUnreadable(f"{self.name}: record {record}: cannot be read "
                                     f"({exc.strerror or exc})") from None
        if len(data) != length:  # an index that does not fit its file (damaged, or forged)
            raise DocumentUnreadable(f"{self.name}: record {record}: the file ends before it "
                                     "does; run `desk check`")
        return data


class DocumentUnreadable(StoreCorrupt):
    """A document of the snapshot that no longer parses (the file changed under desk)."""


def _number(doc_id: Any) -> int | None:
    """The number a doc id written as one is (`"12"`), else None (`"012"`, `"x"`)."""
    if type(doc_id) is str and doc_id.isdigit() and doc_id.isascii() and (
            doc_id == "0" or doc_id[0] != "0"):
        return int(doc_id)
    return None


class _Base:
    """The documents of the snapshot, in its order, never changed once made: doc ids (as
    numbers in an array when all are increasing numbers, as desk writes them: 8 bytes each,
    not a string and a dict slot), spans, and projections."""

    __slots__ = ("numbers", "keys", "positions", "spans", "heads", "_columns")

    def __init__(self, ids: list[str] | None, spans: array, heads: list[Any] | None,
                 numbers: array | None = None):
        """From `ids`, or from `numbers` already known to be increasing (the index's)."""
        if numbers is None:
            found = [_number(doc_id) for doc_id in ids or ()]
            if all(n is not None for n in found) and all(
                    a < b for a, b in zip(found, found[1:])):  # type: ignore[operator]
                numbers, ids = array("q", found), None  # type: ignore[arg-type]
        self.numbers = numbers
        self.keys = ids if numbers is None else None
        self.positions = None if self.keys is None else {k: i for i, k in enumerate(self.keys)}
        self.spans, self.heads = spans, heads
        self._columns: dict[str, list[Any]] = {}

    def column(self, field: str | None) -> list[Any]:
        """Each document's projection (`field` of it, if given), in order; made once."""
        if field is None:
            return self.heads or []
        found = self._columns.get(field)
        if found is None:
            found = self._columns[field] = [getattr(h, field, None) for h in self.heads or ()]
        return found

    def id_at(self, at: int) -> str:
        return self.keys[at] if self.keys is not None else str(self.numbers[at])  # type: ignore[index]

    def position(self, doc_id: Any) -> int | None:
        if self.positions is not None:
            return self.positions.get(doc_id)
        number = _number(doc_id)
        if number is None:
            return None
        numbers = self.numbers
        at = bisect_left(numbers, number)  # type: ignore[arg-type]
        return at if at < len(numbers) and numbers[at] == number else None  # type: ignore[arg-type]

    def ids(self) -> Iterator[str]:
        return iter(self.keys) if self.keys is not None else map(str, self.numbers)  # type: ignore[arg-type]

    def __len__(self) -> int:
        return len(self.spans)


_EMPTY = _Base([], array("Q"), None)


class OnDemandTable(MutableMapping):
    """doc id -> document, like the dict a full load makes, in the same order; documents are
    read from the snapshot when asked for and never changed in place (as everywhere).

    Two layers: the snapshot's documents (`_base`, read-only, shared by copies), and what was
    written since: documents replacing a snapshot one in its place (`_replaced`), new ones
    after them in the order written (`_added`, a deleted one written again among them), and
    the snapshot's deleted ids (`_deleted`)."""

    __slots__ = ("_file", "_base", "_replaced", "_added", "_deleted", "_recent", "_projector",
                 "_own_heads", "_pending", "version")

    def __init__(self, file: SnapshotFile | None, projector: Projector | None = None):
        self._file = file
        self._base = _EMPTY
        self._replaced: dict[str, Any] = {}
        self._added: dict[str, Any] = {}
        self._deleted: set[str] = set()
        self._recent: dict[str, Any] = {}
        self._projector = projector
        self._own_heads: dict[str, Any] = {}  # projections of the written documents
        self._pending: tuple[list, array, list | None] | None = None  # the loader's, until sealed
        self.version = 0  # moves at every write: a reader's cached answer is stale

    # -- filling (the loader) ------------------------------------------------------
    def add_on_disk(self, doc_id: str, at: int, length: int, doc: Any = None) -> None:
        """A document of the snapshot, as the loader parsed it (let go after the projector);
        `seal()` once all are added."""
        if self._pending is None:
            self._pending = ([], array("Q"), [] if self._projector is not None else None)
        ids, spans, heads = self._pending
        ids.append(doc_id)
        spans.append(pack_span(at, length))
        if heads is not None:
            heads.append(self._projector(doc_id, doc))  # type: ignore[misc]

    def seal(self) -> None:
        if self._pending is not None:
            ids, spans, heads = self._pending
            self._pending = None
            if len(set(ids)) != len(ids):  # JSON's last one wins, as a dict's would
                self._fill_slowly(ids, spans, heads)
            else:
                self._base = _Base(ids, spans, heads)

    def _fill_slowly(self, ids: list[str], spans: array, heads: list | None) -> None:
        """An id twice: where it came first, with what came last (as JSON into a dict)."""
        last = {doc_id: i for i, doc_id in enumerate(ids)}  # keeps the first one's place
        order = list(last.values())
        self._base = _Base(list(last), array("Q", (spans[i] for i in order)),
                           None if heads is None else [heads[i] for i in order])

    def fill(self, ids: list[str] | array, spans: Iterable[int], heads: Any = None) -> None:
        """Documents of the snapshot from its index (snapshot_index.py): their packed spans
        (offset << 32 | length) and projections (`heads`), in the order of `ids` (strings,
        or an array of increasing numbers)."""
        packed = spans if isinstance(spans, array) else array("Q", spans)
        heads = list(heads) if heads is not None else None
        if isinstance(ids, array):
            if any(a >= b for a, b in zip(ids, ids[1:])) or (ids and ids[0] < 0):
                raise ValueError("doc numbers not increasing")
            self._base = _Base(None, packed, heads, ids)
        elif len(set(ids)) != len(ids):
            raise ValueError("doc ids twice in one table")
        else:
            self._base = _Base(ids, packed, heads)

    def numbers(self) -> array | None:
        """The snapshot's doc ids as increasing numbers, if they are, with nothing written
        since (what the index holds then)."""
        if self._added or self._replaced or self._deleted:
            return None
        return self._base.numbers

    def ids_with(self, value: Any, field: str | None = None) -> list[str]:
        """The doc ids whose projection (its `field`, if given) is `value`: a customer's
        tickets or purchases, found at C speed in the snapshot's column, no index to keep."""
        base, deleted, own = self._base, self._deleted, self._own_heads
        column = base.column(field)
        found, at = [], -1
        while True:
            try:
                at = column.index(value, at + 1)
            except ValueError:
                break
            doc_id = base.id_at(at)
            if doc_id not in own and doc_id not in deleted:
                found.append(doc_id)
        for doc_id, head in own.items():
            if (head if field is None else getattr(head, field, None)) == value:
                found.append(doc_id)
        return found

    # -- reading -------------------------------------------------------------------
    def __getitem__(self, doc_id: str) -> Any:
        held = self._added.get(doc_id, _MISSING)
        if held is _MISSING:
            held = self._replaced.get(doc_id, _MISSING)
        if held is not _MISSING:
            return held
        at = self._live(doc_id)
        if at is None:
            raise KeyError(doc_id)
        doc = self._recent.get(doc_id)
        if doc is None:
            doc = self._parse(doc_id, self._base.spans[at])
            if len(self._recent) >= _RECENT:
                self._recent.pop(next(iter(self._recent)))
            self._recent[doc_id] = doc
        return doc

    def _live(self, doc_id: Any) -> int | None:
        """The position of a snapshot document not deleted since."""
        if doc_id in self._deleted:
            return None
        return self._base.position(doc_id)

    def _parse(self, doc_id: str, packed: int) -> Any:
        assert self._file is not None
        raw = self._file.read(packed >> _LENGTH_BITS, packed & _LENGTH_MASK, doc_id)
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise DocumentUnreadable(f"{self._file.name}: record {doc_id}: not valid JSON "
                                     f"({exc})") from None

    def raw(self, doc_id: str) -> bytes | None:
        """The document's JSON as the snapshot holds it; None if it is held in memory."""
        if doc_id in self._added or doc_id in self._replaced:
            return None
        at = self._live(doc_id)
        if at is None:
            raise KeyError(doc_id)
        packed = self._base.spans[at]
        assert self._file is not None
        return self._file.read(packed >> _LENGTH_BITS, packed & _LENGTH_MASK, doc_id)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._added or self._live(doc_id) is not None

    def __iter__(self) -> Iterator[str]:
        deleted = self._deleted
        for doc_id in self._base.ids():
            if not deleted or doc_id not in deleted:
                yield doc_id
        yield from list(self._added)

    def __len__(self) -> int:
        return len(self._base) - len(self._deleted) + len(self._added)

    @property
    def projections(self) -> "Projections":
        return Projections(self)

    def spans(self) -> list[tuple[str, int, int]] | None:
        """(doc id, offset, length) of each document in the snapshot, in order; None if any
        is held in memory instead."""
        if self._added or self._replaced or self._deleted:
            return None
        return [(doc_id, packed >> _LENGTH_BITS, packed & _LENGTH_MASK)
                for doc_id, packed in zip(self._base.ids(), self._base.spans)]

    # -- writing (the journal) -----------------------------------------------------
    def __setitem__(self, doc_id: str, doc: Any) -> None:
        if doc_id not in self._added and self._live(doc_id) is not None:
            self._replaced[doc_id] = doc
        else:
            self._added[doc_id] = doc
        self._recent.pop(doc_id, None)
        if self._projector is not None:
            self._own_heads[doc_id] = self._projector(doc_id, doc)
        self.version += 1

    def __delitem__(self, doc_id: str) -> None:
        if doc_id in self._added:
            del self._added[doc_id]
        elif self._live(doc_id) is not None:
            self._deleted.add(doc_id)
            self._replaced.pop(doc_id, None)
        else:
            raise KeyError(doc_id)
        self._recent.pop(doc_id, None)
        self._own_heads.pop(doc_id, None)
        self.version += 1

    def copy(self) -> "OnDemandTable":
        """The table as it is now, read from the same file: writes to either are their own
        (the snapshot's layer is shared: it never changes)."""
        twin = OnDemandTable(self._file, self._projector)
        twin._base = self._base
        twin._replaced, twin._added = dict(self._replaced), dict(self._added)
        twin._deleted, twin._own_heads = set(self._deleted), dict(self._own_heads)
        twin.version = self.version
        return twin

    def __repr__(self) -> str:
        return f"<OnDemandTable of {len(self)} documents>"


_MISSING = object()


class Projections(Mapping):
    """doc id -> projection of each document of an OnDemandTable, in the table's order."""

    __slots__ = ("_table",)

    def __init__(self, table: OnDemandTable):
        self._table = table

    def __getitem__(self, doc_id: str) -> Any:
        table = self._table
        if doc_id in table._own_heads:
            return table._own_heads[doc_id]
        at = table._live(doc_id)
        if at is None or table._base.heads is None:
            raise KeyError(doc_id)
        return table._base.heads[at]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table) if self._table._projector is not None else 0

    def items(self) -> Any:  # one pass, without a lookup per document
        table = self._table
        if table._projector is None:
            return []
        if not (table._own_heads or table._deleted):  # the snapshot's alone: at C speed
            return list(zip(table._base.ids(), table._base.heads or ()))
        return list(self._items())

    def values(self) -> Any:
        table = self._table
        if table._projector is not None and not (table._own_heads or table._deleted):
            return list(table._base.heads or ())
        return [head for _, head in self.items()]

    def _items(self) -> Iterator[tuple[str, Any]]:
        table = self._table
        own, deleted, heads = table._own_heads, table._deleted, table._base.heads or ()
        for doc_id, head in zip(table._base.ids(), heads):
            if doc_id in own:
                yield doc_id, own[doc_id]
            elif not deleted or doc_id not in deleted:
                yield doc_id, head
        for doc_id in table._added:
            yield doc_id, own[doc_id]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self.items()) == dict(other.items())


def read_on_demand(fh: BinaryIO, name: str, projectors: dict[str, Projector],
                   slice_bytes: int = 1 << 20) -> dict[str, OnDemandTable] | None:
    """The tables of a snapshot in `snapshot.encode`'s layout (one document per line), each
    an OnDemandTable over `fh`, which they keep open; None if the file has another layout
    (the caller reads it whole). Each document is parsed once here, a line at a time, given
    to its table's projector if it has one, and let go. Raises orjson.JSONDecodeError for a
    line that does not parse, ValueError for a line that is not of the layout."""
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
                    if table_name in tables:
                        raise ValueError("a table twice")  # parsed whole, as JSON says
                    table = tables[table_name] = OnDemandTable(file, projectors.get(table_name))
                elif line:
                    raise ValueError("not a table header")
                continue
            if line in (b"}", b"},"):
                table.seal()
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
