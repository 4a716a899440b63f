"""The TinyDB backend's reads: tickets, customers, products, purchases, search and the
customer history, each after picking up other processes' writes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Iterator

from ...models import (
    Customer,
    Product,
    Purchase,
    Ticket,
    validate,
)
from ...textfold import fold
from ..base import CustomerHistory, TicketHead
from ..errors import NotFound
from ...sync.ops import ALIAS
from .names import OUTBOX, doc_key


class StoreReads:
    """Mixed into TinyDBStore (see ArchiveMoves for the state it uses)."""

    def refresh(self) -> bool:
        with self._mutex:
            changed = self._active.refresh()
            if self._archive_loaded:
                changed = self._archive.refresh() or changed
            return changed

    @property
    def generation(self) -> int:
        return self._active.generation * 1_000_003 + self._archive.generation

    def _tickets(self, archive: bool) -> dict[str, dict[str, Any]]:
        coll = self._archive if archive else self._active
        docs = coll.tables.get("tickets", {})
        pending = self._active.tables.get(OUTBOX) if archive else None
        if pending:  # a move to the archive that is durable but not yet copied
            docs = dict(docs)
            for doc_id, doc in pending.items():
                if docs.get(doc_id, {}).get("_rev", -1) < doc.get("_rev", 0):
                    docs[doc_id] = doc
        return docs

    def _find_doc(self, ticket_id: str) -> tuple[dict[str, Any], bool]:
        try:
            doc_id = doc_key(ticket_id)
        except (IndexError, ValueError):
            raise NotFound(f"no ticket {ticket_id!r}: ticket ids look like T-1042") from None
        doc = self._tickets(False).get(doc_id)
        if doc is not None:
            return doc, False
        alias = self._active.tables.get(ALIAS, {}).get(doc_id)
        if alias is not None:  # a replica's ticket made offline, known by its team id since
            return self._find_doc(alias["id"])
        self._load_archive()
        doc = self._tickets(True).get(doc_id)
        if doc is None:
            raise NotFound(f"no ticket {ticket_id}")
        return doc, True

    def _file_of(self, archived: bool) -> str:
        return str((self._archive if archived else self._active).snapshot)

    def _ticket(self, doc: dict[str, Any], archived: bool) -> Ticket:
        return validate(Ticket, doc, file=self._file_of(archived), record=doc.get("id", "?"))  # type: ignore[return-value]

    def get_ticket(self, ticket_id: str) -> Ticket:
        self.refresh()
        doc, archived = self._find_doc(ticket_id)
        return self._ticket(doc, archived)

    def ticket_docs(self, *, include_archive: bool = False) -> list[dict[str, Any]]:
        self.refresh()
        docs = list(self._tickets(False).values())
        if include_archive:
            self._load_archive()
            docs.extend(self._tickets(True).values())
        return docs

    def query(self, table: str, cond: Any) -> list[dict[str, Any]]:
        """TinyDB's search; the answer is kept until the store's generation moves, so the
        queue's per-keystroke "every customer" costs a list copy instead of 40k Documents at
        100k. As with TinyDB's own query cache, the documents are shared between answers."""
        self.refresh()
        try:
            key = (table, cond) if cond.is_cacheable() else None
            hash(key)
        except (AttributeError, TypeError):
            key = None
        generation = self.generation
        if key is not None:
            hit = self._query_cache.get(key)
            if hit is not None and hit[0] == generation:
                return hit[1][:]
        found = self._db.table(table, cache_size=0).search(cond)
        if key is not None:
            if len(self._query_cache) >= 32:
                self._query_cache.clear()
            self._query_cache[key] = (generation, found)
            return found[:]
        return found

    def _folded_text(self, doc: dict[str, Any]) -> str:
        key = doc["id"]
        cached = self._search_cache.get(key)
        if cached and cached[0] == doc.get("_rev", 0):
            return cached[1]
        text = fold("\n".join([doc.get("subject", "")] + [m.get("body", "") for m in doc.get("messages", [])]))
        self._search_cache[key] = (doc.get("_rev", 0), text)
        return text

    def search(self, text: str, *, include_archive: bool = False) -> list[str]:
        needle = fold(text.strip())
        docs = self.ticket_docs(include_archive=include_archive)
        if not needle:
            return [d["id"] for d in docs]
        return [d["id"] for d in docs if needle in self._folded_text(d)]

    def search_everywhere(self, text: str, limit: int = 50) -> list[Any]:
        """Active and archived tickets whose subject or thread has every word (as a prefix),
        newest first, from the shared on-disk index (`search_index`), brought up to date.
        Not under the store's mutex but the index's own: the index takes the mutex only to
        copy what it derives from, so a first build does not stop other calls."""
        return self._search_index().find(text, limit)

    def warm_search_index(self) -> None:
        """Build or catch up the shared index now, so that the first search is quick."""
        self._search_index().warm()

    def _search_index(self) -> Any:
        from ...search_index import SearchIndex  # deferred: it reads the journal module

        with self._mutex:
            if self._everywhere is None:
                self._everywhere = SearchIndex(self)
            return self._everywhere

    def _table_records(self, table: str, model: type) -> list[Any]:
        self.refresh()
        file = str(self._active.snapshot)
        return [validate(model, doc, file=file, record=doc.get("id", doc_id))
                for doc_id, doc in self._active.tables.get(table, {}).items()]

    def get_customer(self, customer_id: str) -> Customer:
        self.refresh()
        try:
            doc = self._active.tables.get("customers", {})[doc_key(customer_id)]
        except (KeyError, IndexError, ValueError):
            raise NotFound(f"no customer {customer_id}") from None
        return validate(Customer, doc, file=str(self._active.snapshot), record=customer_id)  # type: ignore[return-value]

    def customers(self) -> list[Customer]:
        return self._table_records("customers", Customer)

    def products(self) -> list[Product]:
        return self._table_records("products", Product)

    def purchases(self) -> list[Purchase]:
        return self._table_records("purchases", Purchase)

    def queue_tickets(self) -> Any:
        """The active tickets as the queue reads them (QueueIndex.update_on_demand): a copy
        of the tickets table (heads by doc id; documents read when asked for)."""
        return self._table_copy("tickets", lambda table: table)

    def customers_by_id(self) -> Any:
        """Customers by id (`C-12`), read when asked for."""
        return self._table_copy("customers", RecordsById)

    def _table_copy(self, name: str, wrap: Any) -> Any:
        """`wrap(a copy of the active table `name`)`, safe to read in another thread; the same
        object while the table has not changed, so that a reader sees at once that nothing
        moved."""
        self.refresh()
        with self._mutex:
            table = self._active.table(name)
            cached = self._table_copies.get(name)
            if cached is None or cached[0] is not table or cached[1] != table.version:
                cached = self._table_copies[name] = (table, table.version, wrap(table.copy()))
            return cached[2]

    def customer_history(self, customer_id: str) -> CustomerHistory:
        customer = self.get_customer(customer_id)
        file = str(self._active.snapshot)
        with self._mutex:
            # By the tables' projections, scanned at C speed (~1 ms at 200k purchases).
            purchases_table = self._active.table("purchases")
            purchase_docs = [purchases_table[i] for i in purchases_table.ids_with(customer_id)]
            active = self._active.table("tickets")
            ticket_docs = [(active[i], False) for i in active.ids_with(customer_id, "customer")]
            ticket_docs += [(d, True) for d in self._archived_heads(customer_id).values()]
        purchases = [validate(Purchase, d, file=file, record=d.get("id", "?"))
                     for d in purchase_docs if d.get("customer") == customer_id]
        tickets = [validate(TicketHead, {**d, "archived": archived}, file=self._file_of(archived),
                            record=d.get("id", "?"))
                   for d, archived in ticket_docs if d.get("customer") == customer_id]
        purchases.sort(key=lambda p: p.date, reverse=True)
        tickets.sort(key=lambda t: (t.created, t.number), reverse=True)
        return CustomerHistory(customer, purchases, tickets)  # type: ignore[arg-type]

    def agents(self) -> list[str]:
        self.refresh()
        with self._mutex:
            heads = self._active.table("tickets").projections
            names = {head.assignee for head in heads.values()} | {self.agent}
        return sorted(n for n in names if n)


class RecordsById(Mapping):
    """A table's records by their id (`C-12` is doc 12), as `queue.by_id` gives them."""

    def __init__(self, table: Any):
        self._table = table

    def __getitem__(self, record_id: str) -> Any:
        try:
            doc = self._table[doc_key(record_id)]
        except (IndexError, ValueError):
            raise KeyError(record_id) from None
        if not isinstance(doc, dict) or doc.get("id") != record_id:
            raise KeyError(record_id)
        return doc

    def __iter__(self) -> Iterator[str]:
        return (record_id for record_id, _ in self.items())

    def __len__(self) -> int:
        return len(self._table)

    def names(self) -> dict[str, str]:
        """Customer id -> name (the id if there is none), from the table's projections:
        no record read."""
        return {cid: name or cid for cid, name in self._table.projections.values() if cid}

    def items(self) -> Any:
        return ((doc["id"], doc) for doc in self._table.values()
                if isinstance(doc, dict) and isinstance(doc.get("id"), str))
