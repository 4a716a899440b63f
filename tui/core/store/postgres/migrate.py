"""Copying a data directory's store into a PostgreSQL store (`desk migrate`): customers,
products, purchases, every ticket (active and archived) and the whole event log.

Idempotent: run it again and nothing is copied twice. A record is replaced by the data
directory's copy; a ticket only if the copy's revision is higher than the stored one (a
ticket changed on the server since an earlier run keeps that change); an event is added if
its id is not in the log yet. One transaction per table, in batches."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from ...eventlog import ReadStats, read_events
from ...models import Ticket, validate
from ..errors import StoreError
from ..tinydb import TinyDBStore
from .connection import jsonb
from .events import INSERT_NEW
from .queue_table import sync_tickets
from .schema import SEQUENCES, analyze_tables
from .store import PostgresStore, ticket_row, upsert

BATCH = 2000
Progress = Callable[[str, int, int], None]  # (what, done, total)


@dataclass
class Migrated:
    records: dict[str, int] = field(default_factory=dict)  # table -> records written
    events_added: int = 0
    events_damaged: int = 0  # lines of events.jsonl skipped (bad CRC or JSON), not copied


def migrate_to_postgres(data_dir: Path, url: str, progress: Progress | None = None) -> Migrated:
    report = progress or (lambda what, done, total: None)
    source = TinyDBStore(Path(data_dir))
    try:
        tables = {"customers": [c.model_dump(mode="json", by_alias=True, exclude_none=True)
                                for c in source.customers()],
                  "products": [p.model_dump(mode="json", by_alias=True, exclude_none=True)
                               for p in source.products()],
                  "purchases": [p.model_dump(mode="json", by_alias=True, exclude_none=True)
                                for p in source.purchases()]}
        tickets = source.ticket_docs(include_archive=True)
        log = source.events.path
    finally:
        source.close()
    stats = ReadStats()
    events = read_events([log], stats) if log.exists() else []
    done = Migrated(events_damaged=stats.bad_lines)
    target = PostgresStore(url)
    try:
        for table, docs in tables.items():
            done.records[table] = target.load_records(table, docs)
            report(table, len(docs), len(docs))
        done.records["tickets"] = _load_tickets(target, tickets, report)
        done.events_added = _load_events(target, events, report)
        target._transaction(analyze_tables, writing=True)
    finally:
        target.close()
    return done


def _batches(items: list, size: int = BATCH) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _load_tickets(target: PostgresStore, docs: list[dict[str, Any]], report: Progress) -> int:
    rows = []
    for doc in docs:  # each validated before anything is written
        ticket = validate(Ticket, doc, file=target._file("tickets"), record=str(doc.get("id", "?")))
        rows.append(ticket_row(ticket.to_doc()))  # type: ignore[attr-defined]
    written = 0
    for done, batch in enumerate(_batches(rows), 1):
        def write(conn: Any, batch: list = batch) -> int:
            with conn.cursor() as cur:
                cur.executemany(upsert("tickets", only_if="tickets.rev < excluded.rev"), batch)
                written = cur.rowcount  # the sum over the batch: skipped rows not counted
            sync_tickets(conn, [row[0] for row in batch])
            return written
        written += target._transaction(write, writing=True)
        report("tickets", min(done * BATCH, len(rows)), len(rows))
    target._transaction(lambda conn: conn.execute(
        "SELECT setval(%s, greatest((SELECT max(num) FROM tickets), "
        f"(SELECT last_value FROM {SEQUENCES['tickets']})))", (SEQUENCES["tickets"],)), writing=True)
    return written


def _load_events(target: PostgresStore, events: list[dict[str, Any]], report: Progress) -> int:
    for event in events:
        if not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
            raise StoreError(f"{target._file('events')}: an event without an id or a type "
                             f"({str(event)[:80]}); nothing more was copied")
    added = 0
    for count, batch in enumerate(_batches(events), 1):
        def write(conn: Any, batch: list = batch) -> int:
            with conn.cursor() as cur:
                cur.executemany(INSERT_NEW,
                                [(e.get("ticket"), e["type"], jsonb(e)) for e in batch])
                return cur.rowcount
        added += target._transaction(write, writing=True)
        report("events", min(count * BATCH, len(events)), len(events))
    return added
