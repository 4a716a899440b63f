"""The queue summary: every active ticket's queue row, written beside the active snapshot.

Parsing the active snapshot takes about a second at 70k tickets (114 MB), and the first
screen needs only the queue. `queue-summary.json` holds each active ticket's row (subject,
status, priority, assignee, SLA dues: see queue.SUMMARY_FIELDS, no thread) and the names of
their customers, about a tenth of the bytes. It is derived from the snapshot it names by
content stamp, like the archive index, and is written at each compaction; the journal, small
by then, is replayed on top when it is read. Anything that does not fit (another snapshot,
a damaged file, a newer schema, a move to the archive left half done) means no summary: the
store is then read in full before the first screen, as without one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ...bulk import bulk_objects
from ...fileio import atomic_write, read_file
from ...models import SCHEMA_VERSION
from ...queue import Lookups, build_row, summary_entry
from ...quickcheck import quick_check
from .journal import journal_entries
from .lock import StoreLock
from .snapshot import Stamp, file_stamp

SUMMARY_FILE = "queue-summary.json"
FORMAT = 1


@dataclass
class QueuePreview:
    """The queue as the summary and the journal tell it, before the snapshot is read."""

    entries: list[list[Any]]  # [doc id, *queue.SUMMARY_FIELDS], in no particular order
    names: dict[str, str]  # customer id -> name


def _names(customers: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c.get("name") or c["id"] for c in customers.values()
            if isinstance(c, dict) and isinstance(c.get("id"), str)}


def build(tables: dict[str, dict[str, Any]], stamp: Stamp) -> bytes:
    """The summary's bytes for the active set `tables`, read from the snapshot `stamp` names
    (plus, perhaps, some of its journal: replaying all of it again changes nothing)."""
    names = _names(tables.get("customers", {}))
    lookups = Lookups.from_names(names)
    rows, used = [], {}
    for doc_id, doc in tables.get("tickets", {}).items():
        if isinstance(doc, dict):
            row = build_row(doc, lookups)
            rows.append((row.key, doc_id, summary_entry(row)))
            if row.customer_id in names:
                used[row.customer_id] = names[row.customer_id]
    rows.sort(key=lambda r: r[0])  # in queue order: the reader's sort has nothing to do
    schema = tables.get("_meta", {}).get("1", {}).get("schema", SCHEMA_VERSION)
    return orjson.dumps({"format": FORMAT, "store": stamp, "schema": schema, "names": used,
                         "rows": [[doc_id, *entry] for _, doc_id, entry in rows]})


def write(path: Path, tables: dict[str, dict[str, Any]], stamp: Stamp | None) -> None:
    """Write the summary, or nothing if the snapshot is unknown. A failed write (a read-only
    or full disk) leaves the store read in full at the next start, nothing worse."""
    if stamp is None:
        return
    try:
        atomic_write(path, build(tables, stamp))
    except OSError:
        pass


def read(data_dir: Path, snapshot: Path, journal: Path, lock: StoreLock) -> QueuePreview | None:
    """The preview from `SUMMARY_FILE` and the journal, or None if the summary cannot be used."""
    with lock.shared():  # no compaction between the stamp and the journal
        stamp = file_stamp(snapshot)
        try:
            raw = read_file(data_dir / SUMMARY_FILE)
            chunk = read_file(journal) if journal.exists() else b""
        except OSError:
            return None
    try:
        with bulk_objects():
            return _preview(raw, chunk, stamp, str(snapshot))
    except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError, IndexError, ValueError):
        return None


def _preview(raw: bytes, chunk: bytes, stamp: Stamp | None, file: str) -> QueuePreview | None:
    summary = orjson.loads(raw)
    if (summary.get("format") != FORMAT or stamp is None or summary.get("store") != stamp
            or not isinstance(summary.get("schema"), int) or summary["schema"] > SCHEMA_VERSION):
        return None
    names: dict[str, str] = summary["names"]
    rows: list[list[Any]] = summary["rows"]
    if not _replay(chunk, rows, names, file):
        return None
    return QueuePreview(rows, names)


def _replay(chunk: bytes, rows: list[list[Any]], names: dict[str, str], file: str) -> bool:
    """Apply the journal's complete lines to `rows` (doc id first, then the entry); False if
    a line needs the store read in full."""
    tickets: dict[str, Any] = {}
    moving: set[str] = set()  # closes whose copy to the archive is not done yet
    for ops in journal_entries(chunk):
        for table, doc_id, doc in ops or ():  # a damaged line: the full read reports it
            if table == "tickets":
                tickets[str(doc_id)] = doc
            elif table == "customers" and isinstance(doc, dict) and "id" in doc:
                names[doc["id"]] = doc.get("name") or doc["id"]
            elif table == "_archive_outbox":
                (moving.add if doc is not None else moving.discard)(str(doc_id))
    if moving:
        return False  # a move to the archive to finish: the store does that at open
    if not tickets:
        return True
    live = {doc_id: doc for doc_id, doc in tickets.items() if doc is not None}
    if quick_check(file, {"tickets": live}):
        return False  # the full read refuses the store with the message
    lookups = Lookups.from_names(names)
    rows[:] = [row for row in rows if row[0] not in tickets]
    rows.extend([doc_id, *summary_entry(build_row(doc, lookups))] for doc_id, doc in live.items())
    return True
