"""The archive index and the queue summary of snapshots written from an import's staging
(import_writer.py), streamed: the same files `archive_index.build_index` and
`queue_summary.build` make from tables in memory, with only a customer's tickets (the index)
or a thousand rows (the summary) in memory at a time."""

from __future__ import annotations

import tempfile
import zlib
from pathlib import Path
from typing import Iterator

import orjson

from ...fileio import FILE_MODE, AtomicStream
from ...models import SCHEMA_VERSION
from ...queue import Lookups, build_row, summary_entry
from . import archive_index, queue_summary
from .names import META
from .snapshot import file_stamp
from .staging import ACTIVE_COLL, ARCHIVE_COLL, NOT_A_NUMBER, Staging

COPY_BYTES = 1 << 20


def write_archive_index(staging: Staging, snapshot: Path, index_path: Path) -> None:
    """`archive-index.json` for the archive snapshot just written from `staging`; a failed
    write (a read-only or full disk) leaves it to the next rebuild, as a compaction does."""
    stamp = file_stamp(snapshot)
    if stamp is None:
        return
    try:
        _write_index(staging, stamp, index_path)
    except OSError:
        pass


def _write_index(staging: Staging, stamp, index_path: Path) -> None:
    with tempfile.TemporaryFile(dir=index_path.parent, prefix=".index-body-") as body:
        directory, size, crc = _index_body(staging, body)
        ids = _index_ids(staging)
        head = orjson.dumps({"format": archive_index.FORMAT, "archive": stamp, "body": [size, crc],
                             "customers": directory})
        payload = head[:-1] + b',"ids":' + ids + b"}"
        with AtomicStream(index_path, FILE_MODE) as out:
            out.write(b"%08x " % zlib.crc32(payload) + payload + b"\n")
            body.seek(0)
            while block := body.read(COPY_BYTES):
                out.write(block)
            out.commit()


def _index_body(staging: Staging, body) -> tuple[dict[str, list[int]], int, int]:
    """The body's lines (a customer's heads each) into `body`; their directory, size, CRC."""
    directory: dict[str, list[int]] = {}
    offset, crc = 0, 0
    customer, entries = None, []

    def flush() -> None:
        nonlocal offset, crc
        line = b"{" + b",".join(entries) + b"}\n"
        directory[customer] = [offset, len(line) - 1]
        body.write(line)
        crc = zlib.crc32(line, crc)
        offset += len(line)

    for who, key, raw in staging.by_customer(ARCHIVE_COLL, "tickets"):
        if who != customer:
            if entries:
                flush()
            customer, entries = who, []
        entries.append(orjson.dumps(key) + b":" + orjson.dumps(archive_index.head_of(orjson.loads(raw))))
    if entries:
        flush()
    return directory, offset, crc


def _index_ids(staging: Staging) -> bytes:
    """The JSON of the archived doc ids, sorted (null if one is not a number)."""
    parts: list[bytes] = []
    for num in staging.numbers(ARCHIVE_COLL, "tickets"):
        if num == NOT_A_NUMBER:
            return b"null"
        parts.append(b"%d" % num)
    return b"[" + b",".join(parts) + b"]"


def write_queue_summary(staging: Staging, snapshot: Path, data_dir: Path) -> None:
    """`queue-summary.json` for the active snapshot just written from `staging`; a failed
    write leaves the next start to read the store in full, nothing worse."""
    stamp = file_stamp(snapshot)
    if stamp is None:
        return
    meta = staging.doc(ACTIVE_COLL, META, "1") or {}
    head = orjson.dumps({"format": queue_summary.FORMAT, "store": stamp,
                         "schema": meta.get("schema", SCHEMA_VERSION)})
    used: set[str] = set()
    try:
        with AtomicStream(data_dir / queue_summary.SUMMARY_FILE, FILE_MODE) as out:
            out.write(head[:-1] + b',"rows":[')
            for piece in _rows(staging, used):
                out.write(piece)
            out.write(b'],"names":{')
            out.write(b",".join(_names(staging, used)))
            out.write(b"}}")
            out.commit()
    except OSError:
        pass


def _rows(staging: Staging, used: set[str]) -> Iterator[bytes]:
    lookups = Lookups.from_names({})  # the entries hold customer ids; names come apart
    first = True
    chunk: list[bytes] = []
    for doc_id, doc in staging.docs(ACTIVE_COLL, "tickets"):
        if not isinstance(doc, dict):
            continue
        row = build_row(doc, lookups)
        used.add(row.customer_id)
        chunk.append(orjson.dumps([doc_id, *summary_entry(row)]))
        if len(chunk) >= 1000:
            yield (b"" if first else b",") + b",".join(chunk)
            first, chunk = False, []
    if chunk:
        yield (b"" if first else b",") + b",".join(chunk)


def _names(staging: Staging, used: set[str]) -> Iterator[bytes]:
    for _, customer in staging.docs(ACTIVE_COLL, "customers"):
        cid = customer.get("id") if isinstance(customer, dict) else None
        if isinstance(cid, str) and cid in used:
            yield orjson.dumps(cid) + b":" + orjson.dumps(customer.get("name") or cid)
