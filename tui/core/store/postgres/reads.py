"""The PostgreSQL store's reads. Nothing is cached: each call reads the committed rows, so
another desk's write is seen by the next read. Closed tickets are rows like any other (the
"archive" is `status = 'closed'`), so the archive is always loaded and costs nothing."""

from __future__ import annotations

from typing import Any

from ...models import Customer, Product, Purchase, Ticket, validate
from ...textfold import fold
from ..base import CustomerHistory, TicketHead
from ..errors import NotFound
from . import queue_sql
from .like import like_pattern

OPEN_ONLY = "status <> 'closed'"


def record_number(record_id: str, prefix: str) -> int | None:
    """`T-1042` -> 1042; None if `record_id` is not one of `prefix`'s ids."""
    head, _, digits = record_id.partition("-")
    if head != prefix or not digits.isdigit():
        return None
    return int(digits)


class PostgresReads:
    """Mixed into PostgresStore, which supplies `_read(fn)` (fn(conn), database errors as
    StoreError), `_transaction`, `_file(table)` and `agent`."""

    # -- tickets ---------------------------------------------------------------
    def _ticket_doc(self, conn: Any, ticket_id: str, *, lock: bool = False) -> dict[str, Any]:
        number = record_number(ticket_id, "T")
        if number is None:
            raise NotFound(f"no ticket {ticket_id!r}: ticket ids look like T-1042")
        row = conn.execute("SELECT doc FROM tickets WHERE num = %s" + (" FOR UPDATE" if lock else ""),
                           (number,)).fetchone()
        if row is None:
            raise NotFound(f"no ticket {ticket_id}")
        return row[0]

    def get_ticket(self, ticket_id: str) -> Ticket:
        doc = self._read(lambda conn: self._ticket_doc(conn, ticket_id))
        return self._stored(doc)

    def ticket_docs(self, *, include_archive: bool = False) -> list[dict[str, Any]]:
        where = "" if include_archive else f" WHERE {OPEN_ONLY}"
        return self._read(lambda conn: [row[0] for row in conn.execute(
            f"SELECT doc FROM tickets{where} ORDER BY num").fetchall()])

    def ticket_fields(self) -> list[dict[str, Any]]:
        """Every ticket, closed ones too, without its thread (what a report segments by)."""
        return self._read(lambda conn: [row[0] for row in conn.execute(
            "SELECT doc - 'messages' FROM tickets ORDER BY num").fetchall()])

    def query(self, table: str, cond: Any) -> list[dict[str, Any]]:
        """A TinyDB `Query` (a predicate on one document) over one table of the active set:
        evaluated here, on every document of the table (the queue's own filters move into SQL
        with issue 17's item 4)."""
        if table == "tickets":
            docs = self.ticket_docs()
        elif table in ("customers", "products", "purchases"):
            docs = self._documents(table)
        else:
            return []
        return [doc for doc in docs if cond(doc)]

    def search(self, text: str, *, include_archive: bool = False) -> list[str]:
        """The same folding as the TinyDB store (textfold.fold), kept in the `folded` column
        at each write, so both backends find the same tickets."""
        needle = fold(text.strip())
        where = [] if include_archive else [OPEN_ONLY]
        params: list[Any] = []
        if needle:
            where.append("folded LIKE %s")
            params.append(like_pattern(needle))
        sql = "SELECT doc->>'id' FROM tickets" + (" WHERE " + " AND ".join(where) if where else "")
        return self._read(lambda conn: [row[0] for row in conn.execute(
            sql + " ORDER BY num", params).fetchall()])

    queue_in_store = True

    def queue_selection(self, view: Any, flt: Any, ctx: Any) -> tuple[queue_sql.SqlRows, int]:
        """The queue's rows for a view and filter, read in SQL a page at a time, and the
        view's count (queue_sql.py): the app never reads every open ticket."""
        counts = self.__dict__.setdefault("_queue_counts", queue_sql.QueueCounts())
        return queue_sql.select(self._read, view, flt, ctx, counts, self.generation)

    # -- customers, products, purchases -------------------------------------------
    def _documents(self, table: str) -> list[dict[str, Any]]:
        return self._read(lambda conn: [row[0] for row in conn.execute(
            f"SELECT doc FROM {table} ORDER BY num").fetchall()])

    def _records(self, table: str, model: type) -> list[Any]:
        return [validate(model, doc, file=self._file(table), record=doc.get("id", "?"))
                for doc in self._documents(table)]

    def get_customer(self, customer_id: str) -> Customer:
        number = record_number(customer_id, "C")
        row = None if number is None else self._read(lambda conn: conn.execute(
            "SELECT doc FROM customers WHERE num = %s", (number,)).fetchone())
        if row is None:
            raise NotFound(f"no customer {customer_id}")
        return validate(Customer, row[0], file=self._file("customers"), record=customer_id)  # type: ignore[return-value]

    def customers(self) -> list[Customer]:
        return self._records("customers", Customer)

    def products(self) -> list[Product]:
        return self._records("products", Product)

    def purchases(self) -> list[Purchase]:
        return self._records("purchases", Purchase)

    def customer_history(self, customer_id: str) -> CustomerHistory:
        customer = self.get_customer(customer_id)

        def read(conn: Any) -> tuple[list, list]:
            purchases = conn.execute("SELECT doc FROM purchases WHERE customer = %s",
                                     (customer_id,)).fetchall()
            heads = conn.execute("SELECT doc - 'messages', status = 'closed' FROM tickets "
                                 "WHERE customer = %s", (customer_id,)).fetchall()
            return purchases, heads

        purchase_rows, head_rows = self._transaction(read, writing=False)  # one snapshot
        purchases = [validate(Purchase, row[0], file=self._file("purchases"), record=row[0].get("id", "?"))
                     for row in purchase_rows]
        tickets = [validate(TicketHead, {**doc, "archived": archived}, file=self._file("tickets"),
                            record=doc.get("id", "?")) for doc, archived in head_rows]
        purchases.sort(key=lambda p: p.date, reverse=True)
        tickets.sort(key=lambda t: (t.created, t.number), reverse=True)  # as the TinyDB store
        return CustomerHistory(customer, purchases, tickets)  # type: ignore[arg-type]

    def agents(self) -> list[str]:
        rows = self._read(lambda conn: conn.execute(
            f"SELECT DISTINCT assignee FROM queue WHERE {OPEN_ONLY}").fetchall())
        names = {row[0] for row in rows} | {self.agent}
        return sorted(n for n in names if n)

    # -- the archive: rows like the others ---------------------------------------
    @property
    def archive_loaded(self) -> bool:
        return True

    @property
    def archive_bytes(self) -> int:
        return 0

    @property
    def archive_index_ready(self) -> bool:
        return True
