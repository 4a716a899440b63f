"""The landing of whole records (desk's own export, desk_format.py): customers with every
field, products, purchases, and links between tickets turned into this store's ids. A part
of `landing.Landing`, which holds the maps used here (customers by email and source id,
products by name, purchases by customer, product and date, tickets by source id) and makes
the import's events (`import_event`)."""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable, Iterator

from ..models import Customer, Purchase, format_ts
from ..store.tinydb.names import OUTBOX
from .records import InCustomerRecord, InDeskTicket, InProduct, InPurchase, InTicket, Record


class WholeRecords:
    store: Any
    counts: Any  # landing.Counts
    import_event: Callable[..., dict[str, Any]]  # landing.import_event
    _current: Callable[[str], dict[str, Any] | None]
    _number: Callable[[list, Any], None]
    _customers: Any  # known.KnownCustomers
    _products: dict[str, str]
    _purchases: Any  # known.KnownPurchases
    _by_source: Any  # known.KnownTickets
    writer: Any  # an ImportWriter (store/tinydb/ or store/postgres/import_writer.py)
    _pending: list[tuple[str, str, Any]]
    _stored_purchases: Counter | None  # every field of each purchase in the store, read once
    _file_purchases: Counter  # the same, of the purchases of this file so far
    _made_here_held: dict[str, Any] | None  # customers desk made (not imported), by id

    def _whole_records_start(self) -> None:
        self._stored_purchases, self._file_purchases = None, Counter()
        self._made_here_held = None

    def _staged(self, table: str, model) -> Iterator[Any]:
        for doc in self.writer.records(table):
            yield model.model_validate(doc)

    @property
    def _made_here(self) -> dict[str, Any]:
        if self._made_here_held is None:
            self._made_here_held = {c.id: c for c in self._staged("customers", Customer) if not c.source_id}
        return self._made_here_held

    # -- an export of this very store ----------------------------------------------------
    # Its `desk:T-12` is this store's T-12 if that ticket was made here (it has no source id)
    # and its thread starts with the same message (message ids are ULIDs: no other store
    # has it); `desk:C-3` is C-3 if made here with the same name and customer_since. desk's
    # own records are left as they are, so importing a store's export into it changes nothing.
    def _own_ticket(self, t: InTicket) -> bool:
        if not isinstance(t, InDeskTicket) or not t.source_id.startswith("desk:T-"):
            return False
        tid = t.source_id.removeprefix("desk:")
        messages = t.kept.get("messages") or []
        doc = self._current(tid) if messages else None
        if doc is None or doc.get("source_id") or not doc.get("messages") \
                or doc["messages"][0].get("id") != messages[0].get("id"):
            return False
        self._by_source.alias(t.source_id, (tid, doc.get("status") == "closed"))
        return True

    def _own_customer(self, r: InCustomerRecord) -> str | None:
        here = self._made_here.get(r.key.removeprefix("desk:")) if r.key.startswith("desk:C-") else None
        if here is None or here.name != r.fields.get("name") \
                or format_ts(here.customer_since) != r.fields.get("customer_since"):
            return None
        return here.id

    def _whole_record(self, record: Record, ids, ops: list) -> None:
        if isinstance(record, InCustomerRecord):
            self._customer_record(record, ids, ops)
        elif isinstance(record, InProduct):
            self._product_record(record.name, record.category, ids, ops)
        elif isinstance(record, InPurchase):
            self._purchase_record(record, ids, ops)

    def _customer_record(self, r: InCustomerRecord, ids, ops: list) -> None:
        """A customer desk has already (by source id or email) is kept as it is."""
        email = (r.fields.get("email") or "").lower()
        own = self._own_customer(r)
        if own:
            self._customers.alias(r.key, own)
            return
        if r.key in self._customers or (email and email in self._customers):
            self._customers.setdefault(r.key, self._customers.get(email, ""))
            return
        number = ids.take("customers")
        doc = Customer.model_validate({**r.fields, "id": f"C-{number}", "source_id": r.key}
                                      ).model_dump(mode="json", exclude_none=True)
        ops.append(("customers", str(number), doc))
        for key in (r.key, email, r.fields.get("email")):
            if key:
                self._customers[key] = doc["id"]
        self.counts.customers += 1

    def _product_record(self, name: str, category: str, ids, ops: list) -> str:
        pid = self._products.get(name.lower())
        if pid is None:
            number = ids.take("products")
            pid = f"P-{number}"
            ops.append(("products", str(number), {"id": pid, "name": name, "category": category}))
            self._products[name.lower()] = pid
            self.counts.products += 1
        return pid

    def _purchase_record(self, r: InPurchase, ids, ops: list) -> None:
        customer, product = self._customers.get(r.customer), self._products.get(r.product.lower())
        if not customer or not product:  # the source checked both are in the file
            return
        purchase = Purchase.model_validate({**r.fields, "id": "O-0", "customer": customer,
                                            "product": product})
        # Two equal purchases in the file are two purchases: the n-th is new if the store
        # holds fewer than n of them (so a second import of the file adds none).
        key = (customer, product, format_ts(purchase.date), purchase.amount, purchase.currency,
               purchase.channel)
        if self._stored_purchases is None:
            self._stored_purchases = Counter(map(_full_key, self._staged("purchases", Purchase)))
        seen = self._file_purchases[key]
        self._file_purchases[key] += 1
        if seen < self._stored_purchases[key]:
            return
        self._stored_purchases[key] += 1
        self._purchases.add(key[:3])
        number = ids.take("purchases")
        doc = purchase.model_dump(mode="json", exclude_none=True)
        doc["id"] = f"O-{number}"
        ops.append(("purchases", str(number), doc))
        self.counts.purchases += 1

    # -- links between tickets -------------------------------------------------------
    def _links(self, t: InTicket, doc: dict[str, Any]) -> None:
        """`link` and `merged_into` of a desk export's ticket, in this store's ids; one to a
        ticket not landed yet is set at the end (`_late_links`)."""
        if not isinstance(t, InDeskTicket):
            return
        for name, value in (("link", t.link), ("merged_into", t.merged_into)):
            if value is None:
                continue
            target = self._by_source.get(value[1] if name == "link" else value)
            if target is None:
                self._pending.append((t.source_id, name, value))
            else:
                doc[name] = _link_value(name, value, target[0])

    def _marks(self, t: InTicket, doc: dict[str, Any]) -> list[dict[str, Any]]:
        """A new ticket's flags, link and merge as events (§B.3.3 `mark`, `link_repeat`,
        `merge`), so the metrics see them; the export does not say when they were made, so
        they are dated at the ticket's last update."""
        if not isinstance(t, InDeskTicket):
            return []
        out = [self._event(t.source_id, doc, "mark", {"flag": flag, "value": True}, f"mark/{flag}")
               for flag in doc.get("flags", [])]
        for name in ("link", "merged_into"):
            if doc.get(name):
                out.append(self._link_event(t.source_id, doc, name))
        return out

    def _event(self, source_id: str, doc: dict[str, Any], type_: str, data: dict[str, Any],
               key: str) -> dict[str, Any]:
        return self.import_event(doc["id"], source_id, doc["updated"], type_, data, key)

    def _link_event(self, source_id: str, doc: dict[str, Any], name: str) -> dict[str, Any]:
        if name == "link":
            return self._event(source_id, doc, "link_repeat", dict(doc["link"]), "link")
        return self._event(source_id, doc, "merge", {"into": doc["merged_into"]}, "merge")

    def _late_links(self, ids) -> tuple[list, list]:
        ops: list = []
        events: list[dict[str, Any]] = []
        changed: dict[str, dict[str, Any]] = {}
        for source_id, name, value in self._pending:
            own, target = self._by_source.get(source_id), \
                self._by_source.get(value[1] if name == "link" else value)
            if own is None or target is None:
                continue
            doc = changed.get(own[0]) or self._current(own[0])
            if doc is None:
                continue
            if own[0] not in changed:  # a new revision: the archive keeps the higher one
                doc = dict(doc, _rev=doc.get("_rev", 0) + 1)
            doc[name] = _link_value(name, value, target[0])
            changed[own[0]] = doc
            events.append(self._link_event(source_id, doc, name))
        for tid, doc in changed.items():
            closed = doc.get("status") == "closed"
            ops.append((OUTBOX if closed else "tickets", tid[2:], doc))
        self._pending.clear()
        self._number(events, ids)
        return ops, events


def _link_value(name: str, value: Any, target: str) -> Any:
    return {"original": target, "kind": value[0]} if name == "link" else target


def _full_key(p: Purchase) -> tuple:
    return (p.customer, p.product, format_ts(p.date), p.amount, p.currency, p.channel)
