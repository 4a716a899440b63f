"""The active snapshot's index: where each document starts in `store.json`, with the
projections of its tables (on_demand.py), so that opening the store reads neither the
snapshot nor its 114 MB of documents at 70k active tickets (about a second), only this.

`store-index.json` is written when desk writes the snapshot (a compaction knows where each
document went) or after an open that read the snapshot whole with an empty journal. Like
the queue summary it is derived from the snapshot it names by content stamp; a stamp that
does not fit, a damaged file or a newer format means no index: the snapshot is read. A
document is then parsed only when asked for, so a snapshot damaged in place without
changing its stamp is found at that read (StoreCorrupt names the file and record), and by
`desk check`, which reads every document.
"""

from __future__ import annotations

import base64
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import orjson

from ...fileio import atomic_write, read_file
from ...interning import shared
from .on_demand import OnDemandTable, Projector, SnapshotFile, pack_span
from .snapshot import Spans, Stamp

INDEX_FILE = "store-index.json"
FORMAT = 2


class Unstorable(Exception):
    """A projection the index cannot hold (a record the open's check would refuse)."""


@dataclass(frozen=True)
class Codec:
    """How a table's projections are written to the index and read back, a column at a time:
    `dump(projections)` gives what JSON holds, `load(stored, n)` the n projections again."""

    dump: Callable[[list[Any]], Any]
    load: Callable[[Any, int], list[Any]]


# -- columns: numbers as a base64 array, repeated strings as a list of distinct words plus
# their numbers. At 300k documents a JSON list of numbers or strings would make ~1M objects
# to throw away at every open (30 MB of the process's memory left fragmented).
def pack_ints(values: Iterable[int], typecode: str = "q") -> str:
    return base64.b64encode(array(typecode, values).tobytes()).decode()


def unpack_ints(stored: str, typecode: str = "q") -> array:
    found = array(typecode)
    found.frombytes(base64.b64decode(stored, validate=True))
    return found


def pack_words(values: list[Any]) -> dict[str, Any]:
    numbers: dict[Any, int] = {}
    at = [numbers.setdefault(v, len(numbers)) for v in values]
    return {"words": list(numbers), "at": pack_ints(at, "I")}


def unpack_words(stored: dict[str, Any], n: int) -> list[Any]:
    words = [shared(w) for w in stored["words"]]
    found = [words[i] for i in unpack_ints(stored["at"], "I")]
    if len(found) != n:
        raise ValueError("a column of another length")
    return found


def pack_texts(values: list[str]) -> Any:
    """Strings, one per line if none holds a newline (one object to parse, not one each)."""
    return values if not values or any("\n" in v for v in values) else "\n".join(values)


def unpack_texts(stored: Any, n: int) -> list[str]:
    found = stored.split("\n") if isinstance(stored, str) else stored
    if not isinstance(found, list) or len(found) != n or not all(type(v) is str for v in found):
        raise ValueError("a column of another length")
    return found


class SnapshotIndex:
    def __init__(self, path: Path, codecs: dict[str, Codec]):
        self.path, self.codecs = path, codecs

    def write(self, tables: dict[str, Any], spans: Spans, stamp: Stamp | None) -> None:
        """The index of the snapshot `stamp` names, just written from `tables` (`spans`:
        where each document went). Nothing if a projection cannot be stored; a failed write
        (a full or read-only disk) leaves the snapshot to be read at the next open."""
        if stamp is None:
            return
        out: dict[str, Any] = {}
        try:
            for name, placed in spans.items():
                numbers = tables[name].numbers()
                ids: dict[str, Any] = (
                    {"numbers": pack_ints(numbers)} if numbers is not None and len(numbers) == len(placed)
                    else {"ids": pack_texts([doc_id for doc_id, _, _ in placed])})
                entry: dict[str, Any] = {
                    "n": len(placed), **ids,
                    "spans": pack_ints((pack_span(at, length) for _, at, length in placed), "Q")}
                codec = self.codecs.get(name)
                if codec is not None:
                    heads = tables[name].projections
                    entry["heads"] = codec.dump([heads[doc_id] for doc_id, _, _ in placed])
                out[name] = entry
            atomic_write(self.path, orjson.dumps({"format": FORMAT, "snapshot": stamp,
                                                  "tables": out}))
        except (Unstorable, KeyError, AttributeError, TypeError, OverflowError, OSError):
            pass  # an older index names another snapshot: never used

    def read(self, stamp: Stamp, file: SnapshotFile,
             projectors: dict[str, Projector]) -> dict[str, OnDemandTable] | None:
        """The tables of the snapshot open as `file` (its stamp `stamp`), or None if the index
        is missing, damaged, or of another snapshot."""
        try:
            found = orjson.loads(read_file(self.path))
            if found.get("format") != FORMAT or found.get("snapshot") != stamp:
                return None
            tables: dict[str, OnDemandTable] = {}
            for name, entry in found["tables"].items():
                n = entry["n"]
                ids = unpack_ints(entry["numbers"]) if "numbers" in entry else unpack_texts(entry["ids"], n)
                spans = unpack_ints(entry["spans"], "Q")
                if len(ids) != n:
                    return None
                codec, heads = self.codecs.get(name), entry.get("heads")
                if len(spans) != n or (name in projectors) != (heads is not None) \
                        or codec is None and heads is not None:
                    return None  # every projected table has its heads, each with its codec
                table = tables[name] = OnDemandTable(file, projectors.get(name))
                table.fill(ids, spans, None if heads is None else codec.load(heads, n))  # type: ignore[union-attr]
            return tables
        except (OSError, ValueError, TypeError, KeyError, AttributeError, IndexError):
            return None
