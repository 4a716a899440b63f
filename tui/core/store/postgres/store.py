"""The PostgreSQL backend: the same repository as the TinyDB store, for a team on one
database server (issue 17). Opened with a `postgresql://` URL; see schema.py for the tables.

Every write is one transaction, committed when the call returns, with its ticket events
(events.py). A revision-checked change is refused by the UPDATE that writes it (`WHERE
rev = <the revision the agent saw>`), so two desks can never both win; a change that
commutes (a message, tags, a flag) locks the row (SELECT ... FOR UPDATE), applies itself to
whatever is current, and so never conflicts. The rules of each change are the shared ones
(ticket_writes.py).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterable, Iterator, TypeVar

from ...eventlog import EventWriter, RunContext
from ...identity import AgentNameError, safe_agent_name
from ...models import MODELS_BY_TABLE, Customer, Ticket, now_utc, validate
from ...textfold import fold
from ..errors import ConflictError, StoreError, StoreWriteError
from ..ticket_writes import Mutation, TicketWrites, new_ticket, revise
from .connection import (connection_lost, database_errors, describe, jsonb, open_pool,
                         reached_no_server, rights_hint, storable)
from .changes import ChangeListener, channel_of, presence_channel_of
from .events import LoggedEvents, TableEventWriter, event_log, insert_events
from .grants import Granted, grant_agents
from .presence import PostgresPresence
from .log_reads import PostgresLogReads
from .reads import PostgresReads
from .sql_values import record_number
from .queue_table import sync_records, sync_ticket
from .search import PostgresSearch
from .schema import RECORD_TABLES, SCHEMA_VERSION, SEQUENCES, ensure_schema, owns_tables

T = TypeVar("T")
TICKET_COLUMNS = "(num, rev, status, customer, folded, doc) VALUES (%s, %s, %s, %s, %s, %s::jsonb)"
_ROW_OF = {"tickets": (TICKET_COLUMNS, ("rev", "status", "customer", "folded", "doc")),
           "purchases": ("VALUES (%s, %s, %s::jsonb)", ("customer", "doc"))}


def upsert(table: str, only_if: str = "") -> str:
    """The INSERT of a ticket's or record's row that replaces the row of its number, where
    `only_if` (over `table` and `excluded`) holds, if given."""
    values, columns = _ROW_OF.get(table, ("VALUES (%s, %s::jsonb)", ("doc",)))
    sets = ", ".join(f"{c} = excluded.{c}" for c in columns)
    return (f"INSERT INTO {table} {values} ON CONFLICT (num) DO UPDATE SET {sets}"
            + (f" WHERE {only_if}" if only_if else ""))
PREFIXES = {"customers": "C", "products": "P", "purchases": "O"}


def folded_text(doc: dict[str, Any]) -> str:
    """What search matches: subject and thread, folded as the TinyDB store folds them."""
    return fold("\n".join([doc.get("subject", "")] + [m.get("body", "") for m in doc.get("messages", [])]))


def ticket_row(doc: dict[str, Any]) -> tuple[Any, ...]:
    return stored_ticket(doc)[1]


def stored_ticket(doc: dict[str, Any]) -> tuple[dict[str, Any], tuple[Any, ...]]:
    """(the document as the table holds it, its row of TICKET_COLUMNS)."""
    doc, text = storable(doc)  # a NUL as ␀, in the columns as in the document
    return doc, (int(doc["id"][2:]), doc.get("_rev", 0), doc["status"], doc["customer"],
                 folded_text(doc), text)


class PostgresStore(PostgresReads, PostgresLogReads, PostgresSearch, TicketWrites):

    def __init__(self, url: str, *, agent: str | None = None, events: EventWriter | None = None,
                 defer_load: bool = False, data_dir: Path | None = None, pool_size: int = 4):
        """Connect to `url` and make the tables in an empty schema. `events`, if given, lends
        its run (session, run, seq counter); the ticket events go to the events table.
        `defer_load` is accepted for the app's sake: nothing is read up front anyway.

        The agent is the database role that logged in (`session_user`), whatever `agent`
        says: the server authenticated it, and its row-level security holds every other role
        to it (schema.py). Only the tables' owner, the administrator, whom the database lets
        write anything anyway, may name the agent it acts for (a test, a script)."""
        self.url = url
        self.where = describe(url)
        self.data_dir = Path(data_dir) if data_dir is not None else None  # type: ignore[assignment]
        self.role: str | None = None
        self.agent = agent
        self._generation = 0
        self._changes: ChangeListener | None = None
        self._pool_size, self._server_lost = pool_size, False
        self._pool = open_pool(url, max_size=pool_size)
        try:
            self.role = self._read(lambda conn: conn.execute("SELECT session_user").fetchone()[0])
            try:
                version, schema = self._transaction(ensure_schema, writing=True)
            except LookupError as exc:
                raise StoreError(f"{self.where}: {exc}; create a schema for desk first") from None
            except PermissionError as exc:
                raise StoreError(f"{self.where}: {exc}: {rights_hint(self.role)}") from None
            if version != SCHEMA_VERSION:
                remedy = ("the administrator brings them up to date with `desk init --store URL "
                          "--agents-role ROLE`" if version < SCHEMA_VERSION
                          else "a newer desk made them: update this one")
                raise StoreError(f"{self.where}: the tables are of schema {version}; this desk "
                                 f"knows schema {SCHEMA_VERSION}. Nothing was changed; {remedy}.")
            self.agent = self._acting_agent(agent)
            context = events.context if events is not None else RunContext(agent=self.agent)
            context.agent = self.agent
            # The work stream's events change no record: the app need not read anything again.
            self.events = TableEventWriter(
                lambda fn: self._transaction(fn, writing=True, records=False), context)
            with database_errors(url, writing=False):
                self._changes = ChangeListener(url, channel_of(schema), presence_channel_of(schema))
        except BaseException:
            self.close()
            raise

    def _acting_agent(self, claimed: str | None) -> str:
        """The role that logged in, or for the tables' owner the agent it names."""
        name = claimed if claimed and self._read(owns_tables) else self.role
        try:
            return safe_agent_name(name)
        except AgentNameError as exc:
            raise StoreError(f"{self.where}: the role that logged in: {exc}") from None

    # -- transactions ----------------------------------------------------------
    def _transaction(self, fn: Callable[[Any], T], *, writing: bool, records: bool = True) -> T:
        """fn(conn) in one transaction, committed if it returns, rolled back if it raises;
        database errors come out as StoreError (StoreWriteError for a write). A write that
        changes `records` moves the generation, as another desk's heard change does."""
        def attempt(conn: Any, began: list[bool]) -> T:
            with conn.transaction():
                began.append(True)
                return fn(conn)

        with database_errors(self.url, writing=writing, role=self.role):
            result = self._on_a_live_connection(attempt, writing)
        if writing and records:
            self._generation += 1
        return result

    def _read(self, fn: Callable[[Any], T]) -> T:
        """fn(conn) outside a transaction (the pool's connections autocommit): one round
        trip for a one-statement read. A read of several statements that must agree uses
        `_transaction(fn, writing=False)`."""
        with database_errors(self.url, writing=False, role=self.role):
            return self._on_a_live_connection(lambda conn, began: fn(conn), False)

    def _on_a_live_connection(self, run: Callable[[Any, list[bool]], T], writing: bool) -> T:
        """run(conn, began) on a connection of the pool, once more on a new one if the first
        turns out to have lost its server before anything was done: a read that failed, or
        a transaction whose BEGIN did (`began` still empty). The pool lends a connection
        the server has ended only in the moment before the end reaches its socket."""
        import psycopg

        for last in (False, True):
            began: list[bool] = []
            try:
                with self._lent(writing) as conn:
                    return run(conn, began)
            except psycopg.OperationalError as exc:
                if last or began or not connection_lost(exc):
                    raise
        raise AssertionError("unreachable")

    @contextmanager
    def _lent(self, writing: bool) -> Iterator[Any]:
        """A connection of the pool. Once the server was lost (a call found no connection,
        or the listener lost its session), the next call starts a new pool, which connects
        at once or says at once that it cannot, rather than wait on the old pool's retries."""
        if self._server_lost:
            self._reopen_pool(writing)
        try:
            with self._pool.connection() as conn:
                yield conn
        except BaseException as exc:
            if reached_no_server(exc):
                self._server_lost = True
            raise

    def _reopen_pool(self, writing: bool) -> None:
        try:
            pool = open_pool(self.url, max_size=self._pool_size)
        except StoreError as exc:
            if writing:
                raise StoreWriteError(f"{exc} Nothing was changed.") from None
            raise
        old, self._pool, self._server_lost = self._pool, pool, False
        # Its workers may be waiting out a retry's delay: let them end on their own time.
        threading.Thread(target=old.close, name="desk-old-pool", daemon=True).start()

    def event_log(self) -> ContextManager[LoggedEvents]:
        """`with store.event_log() as events:` the log as of now, streamed in log order."""
        return event_log(self.url, self._pool)

    def _file(self, table: str) -> str:
        return f"{self.where}, table {table}"

    def _records_file(self) -> str:
        return self._file("tickets")

    def _stored(self, doc: dict[str, Any]) -> Ticket:
        return validate(Ticket, doc, file=self._records_file(), record=doc.get("id", "?"))  # type: ignore[return-value]

    # -- change polling --------------------------------------------------------------
    def refresh(self) -> bool:
        """True if another desk (or this one) committed a change since the last call, as
        heard on the schema's channel (changes.py): reading it sends nothing to the server."""
        return self.wait_for_change(0.0)

    def wait_for_change(self, timeout: float) -> bool:
        """Like `refresh`, but waits up to `timeout` seconds for a change (idle meanwhile:
        a thread can wait here instead of polling)."""
        losses = self._changes.losses if self._changes is not None else 0
        changed = self._changes is not None and self._changes.poll(timeout)
        if self._changes is not None and self._changes.losses != losses:
            self._server_lost = True  # the pool's connections are likely gone with it
        if changed:
            self._generation += 1
        return changed

    def take_changed(self) -> set[str]:
        """The ids of the records changed since the last call, as far as `refresh` has heard."""
        return set() if self._changes is None else self._changes.take()

    @property
    def generation(self) -> int:
        return self._generation

    # -- writes ---------------------------------------------------------------
    def _next_number(self, conn: Any, table: str) -> int:
        return conn.execute("SELECT nextval(%s)", (SEQUENCES[table],)).fetchone()[0]

    def _customer_region(self, conn: Any, customer_id: str) -> str | None:
        number = record_number(customer_id, "C")
        row = None if number is None else conn.execute(
            "SELECT doc->>'region' FROM customers WHERE num = %s", (number,)).fetchone()
        return row[0] if row else None

    def insert_ticket(self, *, customer: str, subject: str, body: str, channel: str = "email",
                      priority: str = "normal", product: str | None = None,
                      source: str = "customer", **fields: Any) -> Ticket:
        author = self.agent if source == "agent" else customer

        def write(conn: Any) -> Ticket:
            region = self._customer_region(conn, customer)
            while True:  # a number a bulk load already holds is skipped, never overwritten
                number = self._next_number(conn, "tickets")
                doc = new_ticket(number, customer=customer, subject=subject, body=body,
                                 channel=channel, priority=priority, product=product,
                                 source=source, author=author, file=self._records_file(),
                                 **fields).to_doc()  # type: ignore[attr-defined]
                stored, row = stored_ticket(doc)
                if conn.execute(f"INSERT INTO tickets {TICKET_COLUMNS} ON CONFLICT (num) DO NOTHING",
                                row).rowcount:
                    break
            sync_ticket(conn, stored)
            logged[:] = self._new_ticket_events(doc, source, region)
            insert_events(conn, logged)
            return self._stored(doc)

        logged: list[dict[str, Any]] = []
        ticket = self._transaction(write, writing=True)
        self._committed(logged)
        return ticket

    def insert_customer(self, *, name: str, email: str | None = None, phone: str | None = None,
                        language: str = "en", **fields: Any) -> Customer:
        def write(conn: Any) -> Customer:
            while True:
                number = self._next_number(conn, "customers")
                customer = validate(Customer, {
                    "id": f"C-{number}", "name": name, "email": email or None,
                    "phone": phone or None, "language": language or "en",
                    "customer_since": now_utc(), **fields},
                    file=self._file("customers"), record=f"C-{number}")
                doc = customer.model_dump(mode="json", by_alias=True, exclude_none=True)
                if conn.execute("INSERT INTO customers VALUES (%s, %s::jsonb) ON CONFLICT (num) "
                                "DO NOTHING", (number, jsonb(doc))).rowcount:
                    sync_records(conn, "customers", [doc["id"]])  # tickets made before it
                    return customer  # type: ignore[return-value]

        return self._transaction(write, writing=True)

    def load_records(self, table: str, docs: Iterable[dict[str, Any]]) -> int:
        """Put customers, products or purchases with their own ids (a seed, an import, a
        migration), each validated first, in one transaction; a record with the same id is
        replaced. The table's sequence moves past the highest id. No events, as for a store
        file written in bulk. How many records were written (new or changed)."""
        if table not in RECORD_TABLES:
            raise StoreError(f"load_records: {table!r} is not one of {', '.join(RECORD_TABLES)}")
        model, prefix = MODELS_BY_TABLE[table], PREFIXES[table]
        rows = []
        for doc in docs:
            record = validate(model, doc, file=self._file(table), record=str(doc.get("id", "?")))
            clean = record.model_dump(mode="json", by_alias=True, exclude_none=True)
            rows.append((record_number(clean["id"], prefix), clean))

        # A record already stored as it is is left alone: not rewritten, not notified.
        sql = upsert(table, only_if=f"{table}.doc IS DISTINCT FROM excluded.doc")

        def write(conn: Any) -> int:
            with conn.cursor() as cur:
                if table == "purchases":
                    cur.executemany(sql, [(n, d["customer"], jsonb(d)) for n, d in rows])
                else:
                    cur.executemany(sql, [(n, jsonb(d)) for n, d in rows])
                written = max(cur.rowcount, 0)  # summed over the rows; skipped ones not counted
            sync_records(conn, table, [d["id"] for _, d in rows])
            conn.execute(f"SELECT setval(%s, greatest((SELECT max(num) FROM {table}), "
                         "(SELECT last_value FROM " + SEQUENCES[table] + ")))", (SEQUENCES[table],))
            return written

        return self._transaction(write, writing=True)

    def _write_ticket(self, ticket_id: str, mutate: Mutation, expected_rev: int | None,
                      events: Callable[[dict, dict], Iterable[tuple[str, dict[str, Any]]]]
                      ) -> tuple[dict, dict]:
        """One transaction: read the ticket (locked if the change commutes), make the next
        revision, write it with `WHERE rev = ` the revision it was made from, and insert its
        events. A revision-checked change that lost the race updates no row: ConflictError,
        with the ticket as it is now, and nothing written."""
        def write(conn: Any) -> tuple[dict, dict]:
            old = self._ticket_doc(conn, ticket_id, lock=expected_rev is None)
            new = revise(ticket_id, old, mutate, expected_rev, self._stored)
            doc = self._stored(new).to_doc()
            # Compared in the same stored form: a field the document lacks (written before
            # it had a default) is not a change.
            before = self._stored(old).to_doc()
            logged = self._ticket_events(ticket_id, events(before, doc))
            seen = old.get("_rev", 0) if expected_rev is None else expected_rev
            stored, (number, rev, status, customer, folded, body) = stored_ticket(doc)
            updated = conn.execute(
                "UPDATE tickets SET rev = %s, status = %s, customer = %s, folded = %s, "
                "doc = %s::jsonb WHERE num = %s AND rev = %s",
                (rev, status, customer, folded, body, number, seen)).rowcount
            if updated != 1:
                raise ConflictError(ticket_id, seen, self._stored(self._ticket_doc(conn, ticket_id)))
            sync_ticket(conn, stored)
            insert_events(conn, logged)
            committed[:] = logged
            return old, doc

        committed: list[dict[str, Any]] = []
        result = self._transaction(write, writing=True)
        self._committed(committed)
        return result

    def _committed(self, events: list[dict[str, Any]]) -> None:
        """A change's ticket events are in the log: tell whoever watches the run's writer
        (the app's live handling clock, as a data directory's writer does when it writes them)."""
        tell = getattr(self.events, "written", None)
        if tell is not None and events:
            tell(events)

    def close(self) -> None:
        if self._changes is not None:
            self._changes.close()
        self._pool.close()

    # -- rights and presence ----------------------------------------------------
    def grant_agents(self, role: str) -> Granted:
        """Give the agents' group role its rights (grants.py), as the tables' owner."""
        return self._transaction(lambda conn: grant_agents(conn, role), writing=True)

    def presence_board(self) -> PostgresPresence:
        """This desk's presence, as the store's agent (presence.py)."""
        return PostgresPresence(self.url, self.agent, self.role, listener=self._changes)
