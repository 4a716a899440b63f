"""The PostgreSQL store's tables, made in the connection's schema (the first of its
search_path) the first time a store opens an empty one.

Records are the same JSON documents as in the TinyDB files (JSONB), keyed by their number
(`T-1042` is ticket 1042). Ticket rows carry, beside the document, the columns the store
filters on: its revision (checked by the UPDATE that writes it), status, customer and the
folded text that search matches. New numbers come from sequences. `events` is insert-only:
a trigger refuses every UPDATE, DELETE and TRUNCATE, whoever asks. A write to a table of
records notifies the channel `desk:<schema>` with the record's id (changes.py).
"""

from __future__ import annotations

from typing import Any

SCHEMA_VERSION = 1
RECORD_TABLES = ("customers", "products", "purchases")
SEQUENCES = {"tickets": "ticket_numbers", "customers": "customer_numbers",
             "products": "product_numbers", "purchases": "purchase_numbers"}

DDL = """
CREATE TABLE desk_meta (key text PRIMARY KEY, value jsonb NOT NULL);
CREATE SEQUENCE ticket_numbers;
CREATE SEQUENCE customer_numbers;
CREATE SEQUENCE product_numbers;
CREATE SEQUENCE purchase_numbers;
CREATE TABLE tickets (
    num bigint PRIMARY KEY,
    rev integer NOT NULL,
    status text NOT NULL,
    customer text NOT NULL,
    folded text NOT NULL,
    doc jsonb NOT NULL
);
CREATE INDEX tickets_customer ON tickets (customer);
CREATE INDEX tickets_open ON tickets (num) WHERE status <> 'closed';
CREATE TABLE customers (num bigint PRIMARY KEY, doc jsonb NOT NULL);
CREATE TABLE products (num bigint PRIMARY KEY, doc jsonb NOT NULL);
CREATE TABLE purchases (num bigint PRIMARY KEY, customer text, doc jsonb NOT NULL);
CREATE INDEX purchases_customer ON purchases (customer);
CREATE TABLE events (
    pos bigserial PRIMARY KEY,
    ticket text,
    type text NOT NULL,
    event jsonb NOT NULL
);
CREATE INDEX events_ticket ON events (ticket, pos);
CREATE UNIQUE INDEX events_id ON events ((event->>'id'));  -- an event is in the log once
CREATE FUNCTION desk_events_insert_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the desk event log is insert-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER events_insert_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION desk_events_insert_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION desk_events_insert_only();
CREATE FUNCTION desk_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('desk:' || TG_TABLE_SCHEMA, NEW.doc->>'id');
    RETURN NULL;
END $$;
CREATE TRIGGER tickets_changed AFTER INSERT OR UPDATE ON tickets
    FOR EACH ROW EXECUTE FUNCTION desk_notify_change();
CREATE TRIGGER customers_changed AFTER INSERT OR UPDATE ON customers
    FOR EACH ROW EXECUTE FUNCTION desk_notify_change();
CREATE TRIGGER products_changed AFTER INSERT OR UPDATE ON products
    FOR EACH ROW EXECUTE FUNCTION desk_notify_change();
CREATE TRIGGER purchases_changed AFTER INSERT OR UPDATE ON purchases
    FOR EACH ROW EXECUTE FUNCTION desk_notify_change();
"""


def ensure_schema(conn: Any) -> tuple[int, str]:
    """Make the tables if the schema has none (under an advisory lock, so two desks opening
    a new database at once make them once); the stored schema version and the schema."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.desk'))")
        schema = conn.execute("SELECT current_schema()").fetchone()[0]
        found = conn.execute(
            "SELECT to_regclass(quote_ident(current_schema()) || '.desk_meta') IS NOT NULL"
        ).fetchone()[0]
        if not found:
            if schema is None:
                raise LookupError("no schema to create the tables in (search_path)")
            conn.execute(DDL)
            conn.execute("INSERT INTO desk_meta VALUES ('schema', %s::jsonb)", (str(SCHEMA_VERSION),))
        version = conn.execute("SELECT value FROM desk_meta WHERE key = 'schema'").fetchone()[0]
        return int(version), schema
