"""`desk import desk FILE`: desk's own export (`desk export --format json`, the format
described in tui/core/exporting.py) back into a store. Two streamed passes: the first reads
the customers, products and purchases (small beside the tickets) and which source id each
ticket id stands for; the second yields the tickets. Every record is checked against desk's
models; a problem names the file, the line and the field.

Ids are this file's: the landing gives the records ids of the store they land in, finds
customers and tickets it has already by their source ids, and turns links between tickets
(`link.original`, `merged_into`) into the new ids. Message ids are kept as they are."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import orjson
from pydantic import ValidationError

from ..exporting import FORMAT, KINDS, VERSION
from ..models import Customer, Product, Purchase, Ticket, record_errors
from .records import (InCustomer, InCustomerRecord, InDeskTicket, InMessage, InProduct,
                      InPurchase, Problem)
from .textfile import Counted

Item = InCustomerRecord | InProduct | InPurchase | InDeskTicket | Problem
# Stored ticket fields the landing writes as the export gives them (None: not set).
KEPT = ("messages", "updated", "solved", "first_replied", "first_reply_due", "resolution_due",
        "flags", "issue_key", "resolution_code")


class DeskSource:
    """Reads one desk export; `progress()` is (bytes read, file size)."""

    def __init__(self, path: Path):
        self.path = path
        self.size = path.stat().st_size
        self._counted: Counted | None = None
        self._passes_done = 0

    def progress(self) -> tuple[int, int]:
        """Both passes count: the first is half of the work."""
        done = self._counted.done if self._counted else 0
        return (self._passes_done * self.size + done, 2 * self.size)

    def _lines(self) -> Iterator[tuple[int, dict[str, Any] | Problem]]:
        """(line number, record) for every non-empty line; a Problem for one that is no record."""
        import io

        with open(self.path, "rb") as raw:  # a file the user names: read as given
            self._counted = Counted(raw)
            for number, line in enumerate(io.BufferedReader(self._counted, 1 << 16), 1):
                if not line.strip():
                    continue
                try:
                    record = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    yield number, self._problem(number, "(record)", f"not JSON ({exc})")
                    continue
                if not isinstance(record, dict):
                    yield number, self._problem(number, "(record)", "not a JSON object")
                    continue
                yield number, record

    def _problem(self, line: int | str, column: str, reason: str, warning: bool = False) -> Problem:
        return Problem(str(self.path), line, column, reason, warning)

    def _invalid(self, line: int, model, record: dict[str, Any]) -> tuple[Any, list[Problem]]:
        fields = {k: v for k, v in record.items() if k != "kind"}
        try:
            return model.model_validate(fields), []
        except ValidationError as exc:
            return None, [self._problem(line, e.field, e.reason)
                          for e in record_errors(exc, str(self.path), str(fields.get("id")))]

    def items(self) -> Iterator[Item]:
        customers: dict[str, tuple[str, Customer]] = {}  # file id -> (source id, record)
        products: dict[str, Product] = {}
        purchases: list[tuple[int, Purchase]] = []
        tickets: dict[str, str] = {}  # file id -> source id
        lines = self._lines()
        first = next(lines, None)
        problem = self._header(first)
        if problem:
            yield problem
            return
        for line, record in lines:
            if isinstance(record, Problem):
                yield record
                continue
            kind = record.get("kind")
            if kind not in KINDS:
                yield self._problem(line, "kind", f"{kind!r} is not a record kind ({', '.join(KINDS)})")
                continue
            rid = str(record.get("id"))
            if kind == "ticket":
                if rid in tickets:
                    yield self._problem(line, "id", f"ticket {rid} is in the file twice")
                    continue
                tickets[rid] = str(record.get("source_id") or f"desk:{rid}")
                continue
            model = {"customer": Customer, "product": Product, "purchase": Purchase}[kind]
            found, problems = self._invalid(line, model, record)
            yield from problems
            if found is None:
                continue
            if kind == "customer":
                customers[found.id] = (found.source_id or f"desk:{found.id}", found)
            elif kind == "product":
                products[found.id] = found
            else:
                purchases.append((line, found))
        for key, customer in customers.values():
            fields = customer.model_dump(mode="json", exclude={"id", "source_id"})
            yield InCustomerRecord(key, fields)
        for product in products.values():
            yield InProduct(product.name, product.category)
        for line, purchase in purchases:
            if purchase.customer not in customers or purchase.product not in products:
                what, rid = (("customer", purchase.customer) if purchase.customer not in customers
                             else ("product", purchase.product))
                yield self._problem(line, what, f"{what} {rid} is not in the file")
                continue
            yield InPurchase(customers[purchase.customer][0], products[purchase.product].name,
                             purchase.model_dump(mode="json", include={"date", "amount", "currency",
                                                                       "channel"}))
        self._passes_done = 1
        for line, record in self._lines():
            if isinstance(record, dict) and record.get("kind") == "ticket":
                yield from self._ticket(line, record, customers, products, tickets)

    def _header(self, first: tuple[int, Any] | None) -> Problem | None:
        if first is None:
            return self._problem(1, "(header)", "the file is empty")
        line, record = first
        if isinstance(record, Problem):
            return record
        if record.get("kind") != "header" or record.get("format") != FORMAT:
            return self._problem(line, "(header)", f"not a desk export (its first line is no "
                                 f"{FORMAT} header; make one with `desk export`)")
        if record.get("version") != VERSION:
            return self._problem(line, "version", f"version {record.get('version')!r} is not one "
                                 f"this desk reads ({VERSION})")
        return None

    def _ticket(self, line: int, record: dict[str, Any], customers, products,
                tickets: dict[str, str]) -> Iterator[InDeskTicket | Problem]:
        found, problems = self._invalid(line, Ticket, {k: v for k, v in record.items()
                                                      if k not in ("_rev", "source_hash")})
        if found is None:
            yield from problems
            return
        ticket: Ticket = found
        if ticket.customer not in customers:
            yield self._problem(line, "customer", f"customer {ticket.customer} is not in the file")
            return
        if ticket.product and ticket.product not in products:
            yield self._problem(line, "product", f"product {ticket.product} is not in the file")
            return
        key, customer = customers[ticket.customer]
        t = InDeskTicket(source_id=tickets[ticket.id], where=(str(self.path), line))
        t.subject, t.status, t.priority, t.channel = (ticket.subject, ticket.status,
                                                      ticket.priority, ticket.channel)
        t.created, t.updated, t.solved = ticket.created, ticket.updated, ticket.solved
        t.first_replied = ticket.first_replied
        t.customer = InCustomer(name=customer.name, email=customer.email, key=key,
                                phone=customer.phone, company=customer.company)
        if ticket.product:
            t.product, t.category = products[ticket.product].name, products[ticket.product].category
        t.tags, t.assignee, t.group = list(ticket.tags), ticket.assignee, ticket.group
        t.messages = [InMessage(m.id, m.kind, m.author_kind, m.author, m.body, m.created)
                      for m in ticket.messages]
        if ticket.satisfaction:
            s = ticket.satisfaction
            t.csat = (s.score, s.comment, s.date)
        t.kept = {name: record.get(name) for name in KEPT}  # the landing validates them again
        if ticket.link:
            original = tickets.get(ticket.link.original)
            if original is None:
                yield self._problem(line, "link.original", f"{ticket.link.original} is not in the "
                                    "file; the link is left out", warning=True)
            else:
                t.link = (ticket.link.kind, original)
        if ticket.merged_into:
            target = tickets.get(ticket.merged_into)
            if target is None:
                yield self._problem(line, "merged_into", f"{ticket.merged_into} is not in the "
                                    "file; left out", warning=True)
            else:
                t.merged_into = target
        yield t
