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

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import orjson

from ...fileio import atomic_write, read_file
from .on_demand import OnDemandTable, Projector, SnapshotFile
from .snapshot import Spans, Stamp

INDEX_FILE = "store-index.json"
FORMAT = 1


class Unstorable(Exception):
    """A projection the index cannot hold (a record the open's check would refuse)."""


@dataclass(frozen=True)
class Codec:
    """How a table's projections are written to the index and read back."""

    dump: Callable[[Any], Any]
    load: Callable[[Any], Any]


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
                entry: dict[str, Any] = {"ids": [doc_id for doc_id, _, _ in placed],
                                         "at": [at for _, at, _ in placed],
                                         "len": [length for _, _, length in placed]}
                codec = self.codecs.get(name)
                if codec is not None:
                    heads = tables[name].projections
                    entry["heads"] = [codec.dump(heads[doc_id]) for doc_id, _, _ in placed]
                out[name] = entry
            atomic_write(self.path, orjson.dumps({"format": FORMAT, "snapshot": stamp,
                                                  "tables": out}))
        except (Unstorable, KeyError, AttributeError, TypeError, OSError):
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
                ids, at, lengths = entry["ids"], entry["at"], entry["len"]
                if not len(ids) == len(at) == len(lengths):
                    return None
                codec, heads = self.codecs.get(name), entry.get("heads")
                if (name in projectors) != (heads is not None) or codec is None and heads is not None:
                    return None  # every projected table has its heads, each with its codec
                if heads is not None and len(heads) != len(ids):
                    return None
                table = tables[name] = OnDemandTable(file, projectors.get(name))
                table.fill(ids, at, lengths,
                           None if heads is None else map(codec.load, heads))  # type: ignore[union-attr]
            return tables
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None
