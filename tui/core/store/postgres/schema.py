"""The PostgreSQL store's tables, made in the connection's schema (the first of its
search_path) the first time a store opens an empty one.

Records are the same JSON documents as in the TinyDB files (JSONB), keyed by their number
(`T-1042` is ticket 1042). Ticket rows carry, beside the document, the columns the store
filters on: its revision (checked by the UPDATE that writes it), status, customer and the
folded text that search matches. New numbers come from sequences. `events` is insert-only:
a trigger refuses every UPDATE, DELETE and TRUNCATE, whoever asks. A write to a table of
records notifies the channel `desk:<schema>` with the record's id (changes.py).

Schema 2 adds who may write as whom: `presence` (presence.py), and row-level security on it
and on `events`, so that a role other than the tables' owner (an agent: grants.py) inserts
events and presence only under its own name (`session_user`). The owner, the administrator,
is not bound by them (a migration copies every agent's events).

Schema 3 adds `queue`, a narrow row per ticket that the queue lists, sorts and filters on in
SQL (queue_table.py, queue_sql.py); schema 4, its indexes over the open tickets alone.
Schema 5 notifies a change of presence; schema 6 adds the indexes of `desk import`'s lookups
(import_indexes.py).
"""

from __future__ import annotations

from typing import Any, Callable

from . import import_indexes, queue_table

SCHEMA_VERSION = 6
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

# The advisory lock (PRESENCE_LOCK, backend pid) that a desk's presence connection holds while
# it lives: a row whose lock nobody holds belongs to a connection that has ended.
PRESENCE_LOCK = 1684370283

# What each version adds to the one before it.
UPGRADES: dict[int, str | Callable[[Any], Any]] = {2: f"""
CREATE TABLE presence (
    backend integer PRIMARY KEY,  -- pg_backend_pid() of the connection that holds it
    agent text NOT NULL DEFAULT session_user,
    ticket text,
    state text NOT NULL,
    since timestamptz NOT NULL DEFAULT now()
);
CREATE FUNCTION desk_presence_alive(backend integer) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
                   AND classid = {PRESENCE_LOCK}::oid AND objid = backend::oid AND objsubid = 2
                   AND pid = backend)
$$;
ALTER TABLE presence ENABLE ROW LEVEL SECURITY;
CREATE POLICY presence_read ON presence FOR SELECT USING (true);
CREATE POLICY presence_own ON presence FOR INSERT WITH CHECK (agent = session_user);
CREATE POLICY presence_update ON presence FOR UPDATE USING (agent = session_user)
    WITH CHECK (agent = session_user);
CREATE POLICY presence_leave ON presence FOR DELETE
    USING (agent = session_user OR NOT desk_presence_alive(backend));
ALTER TABLE events ENABLE ROW LEVEL SECURITY;
CREATE POLICY events_read ON events FOR SELECT USING (true);
CREATE POLICY events_own ON events FOR INSERT WITH CHECK (
    event->>'agent' = session_user AND type = event->>'type'
    AND ticket IS NOT DISTINCT FROM event->>'ticket');
"""}
# Schema 3: the queue's rows (queue_table.py), made and filled from the tickets.
UPGRADES[3] = queue_table.create
# Schema 4: the queue's indexes over open tickets alone.
UPGRADES[4] = queue_table.add_open_indexes
# Schema 5: a change of presence is heard (changes.py), not polled: one notification per
# statement on the schema's presence channel, which says only "look again".
UPGRADES[5] = """
CREATE OR REPLACE FUNCTION desk_presence_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('desk-presence:' || TG_TABLE_SCHEMA, '');
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS presence_changed ON presence;
CREATE TRIGGER presence_changed AFTER INSERT OR UPDATE OR DELETE ON presence
    FOR EACH STATEMENT EXECUTE FUNCTION desk_presence_changed();
"""
# Schema 6: the indexes desk import looks records up by (import_indexes.py).
UPGRADES[6] = import_indexes.UPGRADE


def analyze_tables(conn: Any) -> None:
    """The planner's statistics of every table, after a bulk write (a migration, an import),
    now rather than at autovacuum's next round: a filter planned on an empty table's figures
    would scan instead of using its index."""
    conn.execute("ANALYZE tickets, customers, products, purchases, events, queue")


def ensure_schema(conn: Any) -> tuple[int, str]:
    """Make the tables if the schema has none (under an advisory lock, so two desks opening
    a new database at once make them once), or bring older tables up to date if this role
    owns them; the stored schema version and the schema."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.desk'))")
        schema = conn.execute("SELECT current_schema()").fetchone()[0]
        found = conn.execute(
            "SELECT to_regclass(quote_ident(current_schema()) || '.desk_meta') IS NOT NULL"
        ).fetchone()[0]
        if not found:
            if schema is None:
                blocked = unusable_schema(conn)
                if blocked is not None:
                    raise PermissionError(f"permission denied for schema {blocked}")
                raise LookupError("no schema to create the tables in (search_path)")
            conn.execute(DDL)
            conn.execute("INSERT INTO desk_meta VALUES ('schema', '1'::jsonb)")
        version = int(conn.execute("SELECT value FROM desk_meta WHERE key = 'schema'").fetchone()[0])
        if version < SCHEMA_VERSION and owns_tables(conn):
            for step in range(version + 1, SCHEMA_VERSION + 1):
                upgrade = UPGRADES[step]
                if callable(upgrade):
                    upgrade(conn)
                else:
                    conn.execute(upgrade)
            conn.execute("UPDATE desk_meta SET value = %s::jsonb WHERE key = 'schema'",
                         (str(SCHEMA_VERSION),))
            version = SCHEMA_VERSION
        return version, schema


def owns_tables(conn: Any) -> bool:
    """Whether the role that logged in owns desk's tables (or is a superuser): the
    administrator, whom row-level security does not bind."""
    return conn.execute(
        "SELECT pg_has_role(session_user, relowner, 'USAGE') FROM pg_class "
        "WHERE oid = 'desk_meta'::regclass").fetchone()[0]


def unusable_schema(conn: Any) -> str | None:
    """The first schema of the search_path that exists but that this role may not use (an
    agent not granted the agents' role), or None."""
    path = conn.execute("SELECT current_setting('search_path')").fetchone()[0]
    names = [name.strip().strip('"') for name in path.split(",")]
    row = conn.execute(
        "SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s) "
        "AND NOT has_schema_privilege(oid, 'USAGE') LIMIT 1", (names,)).fetchone()
    return row[0] if row else None
