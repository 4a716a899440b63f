"""`desk import` into a PostgreSQL store: the landing's batches (importers/landing.py), each
one transaction, and what the landing looks up (importers/known.py) as indexed queries
(import_indexes.py) on the batch's own connection.

A batch's plan runs inside its transaction, under an advisory lock that one import at a
time holds (a second waits), so what it reads is what it writes over: a ticket it updates
is read FOR UPDATE. New numbers come from the store's sequences (skipping any a bulk load
holds); the import's own counters (`import_seq`) are kept in desk_meta. The tickets table
holds closed tickets too (no archive, no outbox), so the landing's outbox ops are ticket
rows and its removals from the active table are nothing to do here.

Only the tables' owner imports: an import's events name no agent, which the events table's
row-level security refuses any other role (schema.py)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator

from ..errors import StoreError
from ..tinydb.staging import purchase_key
from .connection import jsonb
from .events import INSERT_NEW
from .queue_table import sync_tickets
from .schema import SEQUENCES, analyze_tables, owns_tables
from .sql_values import record_number
from .store import stored_ticket, upsert

Plan = Callable[["SequenceIds"], tuple[list, list]]
COUNTERS_KEY = "import"  # desk_meta's row of the import's counters
IMPORT_LOCK = "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.desk-import'))"
TICKET_TABLES = ("tickets", "_archive_outbox")  # the landing's names for a ticket's row


class ImportRefused(StoreError):
    """This role may not import into the store."""


class SequenceIds:
    """New record numbers for one batch from the tables' sequences, never one a table holds;
    `counters` are the import's own (import_seq), saved with the batch."""

    def __init__(self, conn: Any, counters: dict[str, int]):
        self._conn = conn
        self.counters = counters

    def take(self, table: str) -> int:
        while True:
            row = self._conn.execute(
                f"SELECT n FROM (SELECT nextval(%s) AS n) s WHERE NOT EXISTS "
                f"(SELECT 1 FROM {table} WHERE num = s.n)", (SEQUENCES[table],)).fetchone()
            if row is not None:
                return row[0]


class PostgresImportWriter:
    def __init__(self, store):
        self.store = store
        self._conn: Any = None  # the batch's connection while its plan runs
        self._spill_dir: str | None = None
        self.wrote = False
        if not store._read(owns_tables):
            raise ImportRefused(
                f"{store.where}: only the tables' owner (the administrator) may import; the "
                f"role {store.role} may not (an import's events name no agent, which row-level "
                "security refuses an agent's role). Nothing was read or written.")

    @property
    def spill_dir(self) -> Path:
        """A folder of the system's temp directory for the spill files, removed by close()."""
        if self._spill_dir is None:
            self._spill_dir = tempfile.mkdtemp(prefix="desk-import-")
        return Path(self._spill_dir)

    def close(self) -> None:
        if self._spill_dir is not None:
            shutil.rmtree(self._spill_dir, ignore_errors=True)
            self._spill_dir = None

    def _query(self, fn: Callable[[Any], Any]) -> Any:
        """fn(conn) on the batch's connection, or (outside a batch) on one of the pool's."""
        return fn(self._conn) if self._conn is not None else self.store._read(fn)

    def _one(self, sql: str, params: tuple) -> Any:
        return self._query(lambda conn: conn.execute(sql, params).fetchone())

    # -- what the landing looks up (importers/known.py) --------------------------------
    def ticket_by_source(self, source_id: str) -> tuple[str, bool] | None:
        """(desk ticket id, whether it is closed) of the ticket imported from `source_id`."""
        row = self._one("SELECT num, status FROM tickets WHERE doc->>'source_id' = %s "
                        "ORDER BY num LIMIT 1", (source_id,))
        return None if row is None else (f"T-{row[0]}", row[1] == "closed")

    def customer_id(self, key: str) -> str | None:
        """The customer whose source id, or else whose email (lower case), is `key` (of
        several, the last made), as the data directory's staging answers."""
        row = self._one(
            "SELECT num FROM (SELECT 1 AS o, num FROM customers WHERE doc->>'source_id' = %s "
            "UNION ALL SELECT 2, num FROM customers WHERE lower(doc->>'email') = %s) c "
            "ORDER BY o, num DESC LIMIT 1", (key, key))
        return None if row is None else f"C-{row[0]}"

    def has_purchase(self, key: tuple[str, str, str]) -> bool:
        """Whether a purchase of (customer id, product id, date) is held; dates compared in
        desk's form (a customer has few purchases: compared here)."""
        customer, product, _ = key
        wanted = purchase_key(*key)
        rows = self._query(lambda conn: conn.execute(
            "SELECT doc->>'date' FROM purchases WHERE customer = %s AND doc->>'product' = %s",
            (customer, product)).fetchall())
        return any(purchase_key(customer, product, date) == wanted for (date,) in rows)

    def records(self, table: str) -> Iterator[dict[str, Any]]:
        """Every customer, product or purchase document, in number order."""
        if table not in ("customers", "products", "purchases"):
            raise ValueError(table)
        rows = self._query(lambda conn: conn.execute(
            f"SELECT doc FROM {table} ORDER BY num").fetchall())
        for (doc,) in rows:
            yield doc

    def last_import_seq(self) -> int:
        """The highest `seq` of an import event in the log (a store migrated from a data
        directory, whose counters stayed behind)."""
        row = self._one("SELECT max((event->>'seq')::numeric) FROM events WHERE "
                        "event->>'src' = 'import' AND jsonb_typeof(event->'seq') = 'number'", ())
        return int(row[0] or 0)

    def current_ticket(self, tid: str) -> tuple[dict[str, Any], bool] | None:
        """The stored document of ticket `tid` and whether it is closed; in a batch, locked
        until the batch commits."""
        number = record_number(tid, "T")
        if number is None:
            return None
        lock = " FOR UPDATE" if self._conn is not None else ""
        row = self._one(f"SELECT doc FROM tickets WHERE num = %s{lock}", (number,))
        return None if row is None else (row[0], row[0].get("status") == "closed")

    # -- writing ------------------------------------------------------------------------
    def write_batch(self, plan: Plan) -> None:
        """One transaction: `plan(ids)` (its lookups on this connection) gives (ops, events);
        the ops' rows, their tickets' queue rows, the events (each once) and the counters."""
        def write(conn: Any) -> None:
            conn.execute(IMPORT_LOCK)
            row = conn.execute("SELECT value FROM desk_meta WHERE key = %s", (COUNTERS_KEY,)).fetchone()
            ids = SequenceIds(conn, dict(row[0]) if row else {})
            self._conn = conn
            try:
                ops, events = plan(ids)
            finally:
                self._conn = None
            if not ops:
                return
            _write_ops(conn, ops)
            with conn.cursor() as cur:
                cur.executemany(INSERT_NEW, [(e.get("ticket"), e["type"], jsonb(e)) for e in events])
            conn.execute("INSERT INTO desk_meta VALUES (%s, %s::jsonb) ON CONFLICT (key) "
                         "DO UPDATE SET value = excluded.value", (COUNTERS_KEY, jsonb(ids.counters)))
            self.wrote = True

        self.store._transaction(write, writing=True)

    def finish(self) -> None:
        """The planner's statistics of the tables written (schema.analyze_tables)."""
        if self.wrote:
            self.store._transaction(analyze_tables, writing=True)
            self.wrote = False


def _write_ops(conn: Any, ops: list) -> None:
    """The landing's (table, key, doc) ops as rows; then the queue rows of the tickets."""
    tickets: dict[int, tuple] = {}
    records: dict[str, list[tuple]] = {"customers": [], "products": [], "purchases": []}
    for table, key, doc in ops:
        if table in TICKET_TABLES:
            if doc is not None:  # None: off the active table, which is no table here
                row = stored_ticket(doc)[1]
                tickets[row[0]] = row  # the last of a ticket's ops wins, as in a journal
        elif table == "purchases":
            records[table].append((int(key), doc["customer"], jsonb(doc)))
        elif table in records:
            records[table].append((int(key), jsonb(doc)))
        else:
            raise StoreError(f"desk import: no table {table!r} on PostgreSQL")
    with conn.cursor() as cur:
        for table, rows in records.items():
            if rows:
                cur.executemany(upsert(table), rows)
        if tickets:
            cur.executemany(upsert("tickets"), list(tickets.values()))
    # New customers and products have no tickets but the batch's, whose rows are made here.
    sync_tickets(conn, list(tickets))
