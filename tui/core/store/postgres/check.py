"""`desk check` on a PostgreSQL store: every record validated with the models, the columns
the store filters on agreeing with the document they come from, and every event an object
with its envelope. Reads only; one Problem per finding, as for a data directory."""

from __future__ import annotations

from typing import Any, Iterator

from ...models import MODELS_BY_TABLE
from ...quickcheck import Problem, document_problems
from ..errors import StoreError
from . import queue_table
from .store import PostgresStore, folded_text

PREFIXES = {"tickets": "T", "customers": "C", "products": "P", "purchases": "O"}
ENVELOPE = ("v", "id", "stream", "seq", "ts", "type", "data")


def check_postgres(url: str) -> list[Problem]:
    try:
        store = PostgresStore(url)
    except StoreError as exc:
        return [Problem(url.split("?", 1)[0], "-", "-", str(exc))]
    try:
        return list(_problems(store))
    except StoreError as exc:
        return [Problem(store.where, "-", "-", str(exc))]
    finally:
        store.close()


def _problems(store: PostgresStore) -> Iterator[Problem]:
    for table, model in MODELS_BY_TABLE.items():
        file = store._file(table)
        columns = ", rev, status, customer, folded" if table == "tickets" else ""
        rows = store._read(lambda conn: conn.execute(
            f"SELECT num, doc{columns} FROM {table} ORDER BY num").fetchall())
        for num, doc, *stored in rows:
            record, found = document_problems(file, table, num, doc, model)
            if found:
                yield from found
                continue
            if record != f"{PREFIXES[table]}-{num}":
                yield Problem(file, record, "id", f"stored under number {num}")
            if stored:
                yield from _ticket_columns(file, record, doc, *stored)
    yield from _queue_rows(store)
    yield from _events(store)


def _queue_rows(store: PostgresStore) -> Iterator[Problem]:
    """Each ticket's row in `queue` is what its document, customer and product make."""
    file = store._file("queue")
    columns = ", ".join(f"q.{c}" for c in queue_table.COLUMNS)
    rows = store._read(lambda conn: conn.execute(
        queue_table.documents_select(f", {columns}")
        + " LEFT JOIN queue q ON q.num = t.num ORDER BY t.num").fetchall())
    for doc, customer, product, *stored in rows:
        record = doc.get("id", "?") if isinstance(doc, dict) else "?"
        try:
            expected = queue_table.queue_values(doc, customer, product)
        except (AttributeError, KeyError, TypeError, ValueError):
            continue  # a broken document: said above, with its field
        if stored[0] is None:
            yield Problem(file, record, "(row)", "the ticket has no queue row, so the queue "
                          "never lists it")
            continue
        differs = [name for name, want, got in zip(queue_table.COLUMNS, expected, stored)
                   if want != got]
        if differs:
            yield Problem(file, record, differs[0], "the queue row differs from the ticket; "
                          "the queue lists it wrongly until the ticket next changes")


def _ticket_columns(file: str, record: str, doc: dict[str, Any], rev: int, status: str,
                    customer: str, folded: str) -> Iterator[Problem]:
    expected = {"rev": doc.get("_rev", 0), "status": doc.get("status", "new"),
                "customer": doc.get("customer"), "folded": folded_text(doc)}
    for name, value in (("rev", rev), ("status", status), ("customer", customer),
                        ("folded", folded)):
        if value != expected[name]:
            yield Problem(file, record, name, "the column differs from the document; the "
                          "store filters on the column, so this ticket is listed wrongly")


def _events(store: PostgresStore) -> Iterator[Problem]:
    file = store._file("events")
    rows = store._read(lambda conn: conn.execute(
        "SELECT pos, ticket, type, event FROM events ORDER BY pos").fetchall())
    for pos, ticket, type_, event in rows:
        where = f"event {pos}"
        if not isinstance(event, dict):
            yield Problem(file, where, "(event)", "is not an object")
            continue
        missing = [key for key in ENVELOPE if key not in event]
        if missing:
            yield Problem(file, where, missing[0], "missing from the event's envelope")
        if event.get("type") != type_ or event.get("ticket") != ticket:
            yield Problem(file, where, "type" if event.get("type") != type_ else "ticket",
                          "the column differs from the event")
