"""`desk export`: the store's tickets (active and archived) with their threads, customers,
products and purchases, as records of the desk export format, streamed.

The format ("desk-export", version 1) is JSON Lines, UTF-8, one record a line:

    {"kind": "header", "format": "desk-export", "version": 1, "exported": "…Z", "filter": "…"}
    {"kind": "customer", "id": "C-3", "name": …, "source_id": "desk:C-3", …}   every customer field
    {"kind": "product", "id": "P-1", "name": …, "category": …}
    {"kind": "purchase", "id": "O-9", "customer": "C-3", "product": "P-1", "date": …, …}
    {"kind": "ticket", "id": "T-12", "customer": "C-3", "source_id": "desk:T-12", …,
     "messages": [{"id": …, "kind": …, "author": …, "body": …, "created": …}, …]}

The header comes first, then customers, products, purchases and tickets, each in id order.
Records carry the models' fields (tui/core/models.py) with times as RFC 3339 UTC; `_rev` and
`source_hash` (the store's own bookkeeping) are left out. `source_id` says where a record
comes from: the import's source id where it has one, else `desk:<id>`, so importing an export
(tui/core/importers/desk_format.py) twice, or an export of the imported store, finds the same
tickets and customers again. Ids refer to records of the same file; an import may renumber
them. DEL, C1 controls and bidi overrides are written as `\\uXXXX` (the same JSON data), so a
file shown in a terminal cannot drive it.

Without a filter every customer, product and purchase is exported; with one, the customers of
the chosen tickets, their purchases, and the products of those purchases and tickets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterator

import orjson

from .filter import Filter
from .models import Customer, Product, Purchase, Ticket, format_ts
from .queue import Lookups, build_row, searchable

FORMAT = "desk-export"
VERSION = 1
KINDS = ("customer", "product", "purchase", "ticket")
_BOOKKEEPING = ("_rev", "source_hash")
# UTF-8 of DEL, C1 controls and bidi overrides: JSON may carry them raw, a terminal obeys them.
_UNSAFE = re.compile(rb"\x7f|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]")


def number(record_id: str) -> int:
    """The number of `T-12`, `C-3`, … (records sort by it, not by their text)."""
    try:
        return int(record_id.split("-", 1)[1])
    except (IndexError, ValueError):
        return 0


@dataclass
class Selection:
    """What one export holds, each list in id order."""

    tickets: list[dict[str, Any]] = field(default_factory=list)
    customers: list[Customer] = field(default_factory=list)
    products: list[Product] = field(default_factory=list)
    purchases: list[Purchase] = field(default_factory=list)


def select(store, flt: Filter, agent: str = "") -> Selection:
    """The tickets of `store` (the archive too) that `flt` matches, and the records they need."""
    customers = {c.id: c for c in store.customers()}
    products = {p.id: p for p in store.products()}
    purchases = list(store.purchases())
    docs = store.ticket_docs(include_archive=True)
    if flt:
        lookups = Lookups.build({c.id: c.model_dump(mode="json") for c in customers.values()},
                                {p.id: p.model_dump(mode="json") for p in products.values()})
        matches = flt.predicate(agent)
        docs = [d for d in docs if matches(searchable(build_row(d, lookups), lookups))]
        wanted = {d.get("customer") for d in docs}
        purchases = [p for p in purchases if p.customer in wanted]
        used = {d.get("product") for d in docs} | {p.product for p in purchases}
        customers = {k: c for k, c in customers.items() if k in wanted}
        products = {k: p for k, p in products.items() if k in used}
    by_id = lambda r: number(r.id)  # noqa: E731
    return Selection(sorted(docs, key=lambda d: number(str(d.get("id", "")))),
                     sorted(customers.values(), key=by_id), sorted(products.values(), key=by_id),
                     sorted(purchases, key=by_id))


def header(filter_text: str, exported: datetime) -> dict[str, Any]:
    return {"kind": "header", "format": FORMAT, "version": VERSION,
            "exported": format_ts(exported), "filter": filter_text}


def ticket_record(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored ticket as an export record (validated: its fields in the models' order)."""
    out = Ticket.model_validate(doc).to_doc()
    for key in _BOOKKEEPING:
        out.pop(key, None)
    out["source_id"] = out.get("source_id") or f"desk:{out['id']}"
    return {"kind": "ticket", **out}


def customer_record(customer: Customer) -> dict[str, Any]:
    out = customer.model_dump(mode="json", exclude_none=True)
    out["source_id"] = customer.source_id or f"desk:{customer.id}"
    return {"kind": "customer", **out}


def records(selection: Selection, filter_text: str, exported: datetime) -> Iterator[dict[str, Any]]:
    """The export's records, header first."""
    yield header(filter_text, exported)
    for customer in selection.customers:
        yield customer_record(customer)
    for product in selection.products:
        yield {"kind": "product", **product.model_dump(mode="json", exclude_none=True)}
    for purchase in selection.purchases:
        yield {"kind": "purchase", **purchase.model_dump(mode="json", exclude_none=True)}
    for doc in selection.tickets:
        yield ticket_record(doc)


def json_line(record: dict[str, Any]) -> bytes:
    """One record as a line: orjson's JSON with what a terminal would obey escaped."""
    line = orjson.dumps(record)
    if _UNSAFE.search(line):
        line = _UNSAFE.sub(lambda m: b"\\u%04x" % ord(m.group().decode()), line)
    return line + b"\n"


def json_lines(selection: Selection, filter_text: str, exported: datetime) -> Iterator[bytes]:
    for record in records(selection, filter_text, exported):
        yield json_line(record)
