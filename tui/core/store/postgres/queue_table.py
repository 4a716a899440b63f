"""The `queue` table: one narrow row per ticket with what the queue lists, sorts and filters
on, so that a desk on PostgreSQL reads only the rows it shows (queue_sql.py), never the
documents of every open ticket.

Each row is computed by the in-memory queue's own code (`core.queue.build_row` and its
folded search fields), from the ticket and its customer and product, so both backends sort
and match alike. It is written in the transaction that writes its ticket, and again for the
tickets of a customer or product whose record changes.
"""

from __future__ import annotations

from typing import Any, Iterable

from ...filter import norm
from ...models import OPEN_STATUSES, PRIORITY_RANK
from ...queue import NO_RANK, Lookups, build_row
from .sql_values import record_number

QUEUE_DDL = """
CREATE TABLE queue (
    num bigint PRIMARY KEY REFERENCES tickets (num) ON DELETE CASCADE,
    id text COLLATE "C" NOT NULL,
    rev integer NOT NULL,
    subject text NOT NULL,
    customer_id text NOT NULL,
    customer_name text NOT NULL,
    product text NOT NULL,
    status text NOT NULL,
    priority text NOT NULL,
    channel text NOT NULL,
    assignee text,
    tags text[] NOT NULL,
    created double precision NOT NULL,
    solved double precision,
    next_due double precision,
    risk_from double precision,
    -- the queue order (core.queue._sort_key): SLA first, then priority, then age, then id
    no_due boolean NOT NULL,
    due_key double precision NOT NULL,
    prio_rank smallint NOT NULL,
    -- folded as core.filter matches them
    f_text text NOT NULL,
    f_status text NOT NULL,
    f_priority text NOT NULL,
    f_channel text NOT NULL,
    f_tags text[] NOT NULL,
    f_customer text NOT NULL,
    f_product text NOT NULL,
    f_lang text NOT NULL,
    f_region text NOT NULL,
    f_assignee text NOT NULL
);
CREATE INDEX queue_order ON queue (no_due, due_key, prio_rank, created, id);
CREATE INDEX queue_open_order ON queue (no_due, due_key, prio_rank, created, id)
    WHERE status IN ('new', 'open', 'pending', 'on_hold');
CREATE INDEX queue_assignee ON queue (assignee, no_due, due_key, prio_rank, created, id);
CREATE INDEX queue_created ON queue (created);
CREATE INDEX queue_solved ON queue (solved) WHERE status IN ('solved', 'closed');
CREATE INDEX queue_tags ON queue USING gin (f_tags);
"""

# Substring matches (free text, customer) use trigram indexes when pg_trgm can be had: a
# trusted extension, which the database's owner may create. It lives in one schema of the
# database, whichever made it first, so its operator class is named with that schema.
TRIGRAM_INDEXES = """
CREATE INDEX queue_text ON queue USING gin (f_text {ops});
CREATE INDEX queue_customer ON queue USING gin (f_customer {ops});
"""


COLUMNS = ("num", "id", "rev", "subject", "customer_id", "customer_name", "product", "status",
           "priority", "channel", "assignee", "tags", "created", "solved", "next_due",
           "risk_from", "no_due", "due_key", "prio_rank", "f_text", "f_status", "f_priority",
           "f_channel", "f_tags", "f_customer", "f_product", "f_lang", "f_region", "f_assignee")
_UPSERT = (f"INSERT INTO queue ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))}) "
           "ON CONFLICT (num) DO UPDATE SET "
           + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:]))
BATCH = 2000


def queue_values(doc: dict[str, Any], customer: dict[str, Any] | None,
                 product: dict[str, Any] | None) -> tuple[Any, ...]:
    """The queue row of a ticket document, in COLUMNS order."""
    cid, pid = doc.get("customer", ""), doc.get("product") or ""
    lookups = Lookups({cid: customer} if customer is not None else {},
                      {pid: product} if product is not None else {})
    row = build_row(doc, lookups)
    found = row.search
    due = row.sla.next_due
    return (int(row.id[2:]), row.id, row.rev, row.subject, row.customer_id, row.customer_name,
            row.product, row.status, row.priority, row.channel, row.assignee, list(row.tags),
            row.created, row.solved, due, row.sla.risk_from, due is None, due or 0.0,
            PRIORITY_RANK.get(row.priority, NO_RANK), _clean(found.text), norm(row.status),
            norm(row.priority), norm(row.channel), [_clean(t) for t in found.tags],
            _clean(found.customer), _clean(found.product), _clean(found.lang),
            _clean(found.region), _clean(found.assignee))


def _clean(text: str) -> str:
    """PostgreSQL text holds no NUL: a ticket's NUL matches nothing typed anyway."""
    return text.replace("\x00", "") if "\x00" in text else text


def _record_key(column: str, prefix: str) -> str:
    """`C-12` in `column` -> 12, the record table's key (NULL for any other text)."""
    return (f"CASE WHEN {column} ~ '^{prefix}-[0-9]{{1,18}}$' "
            f"THEN substr({column}, {len(prefix) + 2})::bigint END")


_PRODUCT = "(t.doc->>'product')"


def documents_select(columns: str = "") -> str:
    """Each ticket's document with its customer's and product's (then `columns`)."""
    return (f"SELECT t.doc, c.doc, p.doc{columns} FROM tickets t "
            f"LEFT JOIN customers c ON c.num = {_record_key('t.customer', 'C')} "
            f"LEFT JOIN products p ON p.num = {_record_key(_PRODUCT, 'P')}")


def sync_queue(conn: Any, where: str = "", params: Iterable[Any] = ()) -> int:
    """Write the queue rows of the tickets `where` picks (an SQL condition on `t`, the
    tickets table; every ticket if empty) from their documents as they are now. How many."""
    sql = documents_select() + (f" WHERE {where}" if where else "") + " ORDER BY t.num"
    written = 0
    with conn.cursor(name="desk_queue_sync") if not where else conn.cursor() as read:
        read.execute(sql, list(params))
        while True:
            found = read.fetchmany(BATCH)
            if not found:
                return written
            with conn.cursor() as cur:
                cur.executemany(_UPSERT, [queue_values(t, c, p) for t, c, p in found])
            written += len(found)


def sync_ticket(conn: Any, doc: dict[str, Any]) -> None:
    """Write the queue row of one ticket being written, from `doc` as stored (see
    connection.storable): its customer and product are read, the ticket is not read back."""
    customer = record_number(str(doc.get("customer", "")), "C")
    product = record_number(str(doc.get("product") or ""), "P")
    found = conn.execute("SELECT (SELECT doc FROM customers WHERE num = %s), "
                         "(SELECT doc FROM products WHERE num = %s)", (customer, product)).fetchone()
    conn.execute(_UPSERT, queue_values(doc, *found))


def sync_tickets(conn: Any, numbers: list[int]) -> int:
    return sync_queue(conn, "t.num = ANY(%s)", [numbers]) if numbers else 0


def sync_records(conn: Any, table: str, ids: list[str]) -> int:
    """After customers or products were written: their tickets' rows again."""
    if not ids or table not in ("customers", "products"):
        return 0
    column = "t.customer" if table == "customers" else "t.doc->>'product'"
    return sync_queue(conn, f"{column} = ANY(%s)", [ids])


OPEN = "status IN (" + ", ".join(f"'{s}'" for s in sorted(OPEN_STATUSES)) + ")"
# Schema 4: indexes over the open tickets alone, which the views an agent works in (open,
# mine, unassigned, SLA) select: a filter there reads an index of half the table or less
# (measured at 1M tickets, 449k open: a tag 147 -> 15 ms, 'ref' 85 -> 17 ms, the open
# view's count 90 -> 51 ms). The whole-table ones stay for the views of every ticket.
OPEN_INDEXES = f"""
CREATE INDEX queue_open_num ON queue (num) WHERE {OPEN};
CREATE INDEX queue_open_tags ON queue USING gin (f_tags) WHERE {OPEN};
"""
OPEN_TRIGRAM_INDEXES = f"""
CREATE INDEX queue_open_text ON queue USING gin (f_text {{ops}}) WHERE {OPEN};
CREATE INDEX queue_open_customer ON queue USING gin (f_customer {{ops}}) WHERE {OPEN};
"""


def _trigram_ops(conn: Any) -> str | None:
    """pg_trgm's operator class, named with the schema that holds it; None without it."""
    found = conn.execute("SELECT extnamespace::regnamespace::text FROM pg_extension "
                         "WHERE extname = 'pg_trgm'").fetchone()
    return f"{found[0]}.gin_trgm_ops" if found else None


def add_open_indexes(conn: Any) -> None:
    conn.execute(OPEN_INDEXES)
    ops = _trigram_ops(conn)
    if ops is not None:
        conn.execute(OPEN_TRIGRAM_INDEXES.format(ops=ops))
    conn.execute("ANALYZE queue")


def create(conn: Any) -> bool:
    """Make the table and fill it from the tickets; True if the trigram indexes were made."""
    import psycopg  # only with a PostgreSQL store: the app on a data directory never loads it

    conn.execute(QUEUE_DDL)
    trigrams = True
    try:
        with conn.transaction():  # a savepoint: without pg_trgm the queue still works
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            conn.execute(TRIGRAM_INDEXES.format(ops=_trigram_ops(conn)))
    except psycopg.Error:  # no contrib files, or no right to create it: no such index
        trigrams = False
    sync_queue(conn)
    conn.execute("ANALYZE queue")
    return trigrams
