"""Copying a PostgreSQL store into a data directory (`desk migrate --from URL --to DIR`), the
way back of migrate.py: customers, products, purchases, every ticket (closed ones to the
archive) and the whole event log.

Idempotent, like the way there: a record is written only if the directory's copy differs, a
ticket only if the server's revision is higher than the directory's (a change made in the
directory since an earlier run is kept), an event only if its id is not in events.jsonl yet.
Everything goes through the TinyDB store's journal in batches (`write_batch`), so a run
killed at any instant leaves a consistent store, and the next run finishes the copy. Rows are
streamed from the server (a server-side cursor), a batch at a time."""

from __future__ import annotations

import os
from contextlib import closing
from pathlib import Path
from typing import Any, Iterable, Iterator

from ...eventlog import EVENTS_FILE, ReadStats, iter_lines
from ...fileio import read_file
from ...models import MODELS_BY_TABLE, Ticket, validate
from ...permissions import init_store
from ..errors import StoreError
from ..tinydb import TinyDBStore
from ..tinydb.names import OUTBOX
from .connection import database_errors
from .migrate import Migrated, Progress
from .store import PostgresStore

# The envelope's keys in the order desk writes them (eventlog.EventWriter.make); JSONB keeps
# keys in an order of its own, so the line written back is put in the usual order.
ENVELOPE_ORDER = ("v", "id", "stream", "seq", "ts", "mono_ms", "agent", "session", "run",
                  "type", "src", "data", "ticket")
TABLES = ("customers", "products", "purchases", "tickets")
BATCH = 2000  # records (or events) a journal line (or a write to the log) holds


def migrate_from_postgres(url: str, data_dir: Path, progress: Progress | None = None) -> Migrated:
    """Copy the store at `url` into `data_dir`: a new store is made there if the directory is
    missing or empty; a directory that holds something else is refused, untouched."""
    report = progress or (lambda what, done, total: None)
    data_dir = Path(data_dir)
    fresh = _check_target(data_dir)
    source = PostgresStore(url)  # before anything is made: an unreachable server changes nothing
    try:
        if fresh:
            init_store(data_dir)
        target = TinyDBStore(data_dir)
        try:
            done = Migrated()
            for table in TABLES:
                done.records[table] = _copy_table(source, target, table, report)
            done.events_added = _copy_events(source, target, report)
            if any(done.records.values()):  # fold the journals once; a run that wrote nothing changes nothing
                target.compact()
        finally:
            target.close()
    finally:
        source.close()
    return done


def _check_target(data_dir: Path) -> bool:
    """True if a store must be made; StoreError if the directory is not one desk may fill."""
    if os.path.islink(data_dir):
        raise StoreError(f"{data_dir}: is a symbolic link; give the directory itself")
    if not data_dir.exists():
        return True
    if not data_dir.is_dir():
        raise StoreError(f"{data_dir}: is not a directory")
    if (data_dir / "store.json").exists():
        return False
    if any(data_dir.iterdir()):
        raise StoreError(f"{data_dir}: is not empty and holds no desk store (no store.json); "
                         "give an empty directory, a new one, or a desk store. Nothing was changed.")
    return True


def _rows(source: PostgresStore, table: str) -> Iterator[dict[str, Any]]:
    """The table's documents in number order, through a server-side cursor (which lives in
    a transaction: one snapshot of the table)."""
    with database_errors(source.url, writing=False):
        with source._pool.connection() as conn, conn.transaction():
            with conn.cursor(name=f"desk_copy_{table}") as cur:
                cur.itersize = BATCH
                cur.execute(f"SELECT doc FROM {table} ORDER BY num")
                for (doc,) in cur:
                    yield doc


def _count(source: PostgresStore, table: str) -> int:
    return source._read(lambda conn: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _batches(rows: Iterable[Any]) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _copy_table(source: PostgresStore, target: TinyDBStore, table: str, report: Progress) -> int:
    """Write the table's records the directory lacks or holds older; how many were written."""
    total, seen, written = _count(source, table), 0, 0
    model, file = MODELS_BY_TABLE[table], source._file(table)
    # Where each ticket is archived, by its revision (the active set is read under the lock).
    archived = {d["id"]: d.get("_rev", 0) for d in target.ticket_docs(include_archive=True)
                if d.get("status") == "closed"} if table == "tickets" else {}
    report(table, 0, total)
    with closing(_rows(source, table)) as rows:  # its connection back to the pool, even on an error
        for batch in _batches(rows):
            docs = [_clean(model, doc, file) for doc in batch]  # all checked before any is written
            written += _copy_batch(target, table, model, docs, archived)
            seen += len(batch)
            report(table, seen, total)
    return written


def _copy_batch(target: TinyDBStore, table: str, model: type, docs: list[dict[str, Any]],
                archived: dict[str, int]) -> int:
    """One journal line with the batch's records that are new or changed; how many."""
    written = [0]

    def plan(ids: Any, tables: dict[str, Any]) -> tuple[list, list]:
        ops = _ticket_ops(tables, docs, archived) if table == "tickets" else [
            (table, _key(doc), doc) for doc in docs
            if not _same(model, tables.get(table, {}).get(_key(doc)), doc)]
        if ops and table in ids.counters:  # else the store finds the highest number itself
            top = max(int(_key(doc)) for doc in docs)
            ids.counters[table] = max(ids.counters[table], top + 1)
        written[0] = sum(1 for op in ops if op[2] is not None)  # a move is one ticket
        return ops, []

    target.write_batch(plan)
    return written[0]


def _key(doc: dict[str, Any]) -> str:
    """`T-1042` -> `1042`, the record's key in its table."""
    return str(int(doc["id"].split("-", 1)[1]))


def _clean(model: type, doc: Any, file: str) -> dict[str, Any]:
    """The record as the directory stores it, or the one-line error naming record and field."""
    record = str(doc.get("id", "?")) if isinstance(doc, dict) else "?"
    checked = validate(model, doc, file=file, record=record)
    if model is Ticket:
        return checked.to_doc()  # type: ignore[attr-defined]
    return checked.model_dump(mode="json", by_alias=True, exclude_none=True)


def _same(model: type, held: Any, doc: dict[str, Any]) -> bool:
    """The directory's record is the server's, once both are in stored form (a field the
    directory's copy holds as null is one the server's omits)."""
    if held is None:
        return False
    try:
        return _clean(model, held, "") == doc
    except ValueError:  # a record the model refuses is replaced
        return False


def _ticket_ops(tables: dict[str, Any], docs: list[dict[str, Any]], archived: dict[str, int]) -> list:
    """A ticket newer on the server: written where its status puts it (closed: through the
    outbox to the archive, as a close goes; taken out of the active set if it was there)."""
    ops: list = []
    active, outbox = tables.get("tickets", {}), tables.get(OUTBOX, {})
    for doc in docs:
        key = _key(doc)
        held = outbox.get(key) or active.get(key)
        rev = held.get("_rev", 0) if held is not None else archived.get(doc["id"])
        if rev is not None and rev >= doc.get("_rev", 0):
            continue
        if doc["status"] == "closed":
            ops.append((OUTBOX, key, doc))
            if key in active:
                ops.append(("tickets", key, None))
        else:
            ops.append(("tickets", key, doc))
    return ops


def _copy_events(source: PostgresStore, target: TinyDBStore, report: Progress) -> int:
    """Append, in log order, every event whose id events.jsonl does not hold yet."""
    log = target.data_dir / EVENTS_FILE
    known = {e.get("id") for e in iter_lines(read_file(log), ReadStats())} if log.exists() else set()
    total, seen, added = _count(source, "events"), 0, 0
    report("events", 0, total)
    with source.event_log() as events:
        for batch in _batches(events):
            new = []
            for event in batch:
                if not isinstance(event, dict) or not isinstance(event.get("id"), str):
                    raise StoreError(f"{source._file('events')}: an event without an id "
                                     f"({str(event)[:80]}); nothing more was copied")
                if event["id"] not in known:
                    known.add(event["id"])
                    new.append(_in_envelope_order(event))
            target.events.write_many(new)
            added += len(new)
            seen += len(batch)
            report("events", seen, total)
    return added


def _in_envelope_order(event: dict[str, Any]) -> dict[str, Any]:
    ordered = {key: event[key] for key in ENVELOPE_ORDER if key in event}
    return {**ordered, **{key: value for key, value in event.items() if key not in ordered}}
