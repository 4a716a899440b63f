"""The ticket queue: rows built once per ticket revision, in SLA-first order (views and
the selection a filter makes are in queue_views.py).

Rows come from raw documents (`Repository.ticket_docs`) so that a store of
100k tickets is listed without validating each one. `QueueIndex` rebuilds
only the rows whose `_rev` changed since the last update, and keeps them in
queue order, so that `select` (run on every filter keystroke) never sorts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, Callable, Iterable, Iterator, Mapping

from . import sla
from .filter import Searchable
from .interning import shared
from .models import PRIORITY_RANK, RESOLVED_STATUSES
from .textfold import fold

NO_RANK = len(PRIORITY_RANK)


@dataclass(slots=True)
class QueueRow:
    id: str
    rev: int
    subject: str
    customer_id: str
    customer_name: str
    priority: str
    status: str
    assignee: str | None
    created: float
    solved: float | None
    sla: sla.SlaClock
    lookups: "Lookups" = field(repr=False)
    product: str = ""
    channel: str = ""
    tags: tuple[str, ...] | list[str] = ()
    # the stored document (never changed in place); None for a row from the queue summary
    doc: dict[str, Any] | None = field(default=None, repr=False)
    key: tuple = field(default=(), repr=False)  # the queue order, see sort_key
    _search: Searchable | None = field(default=None, repr=False)

    @property
    def search(self) -> Searchable:
        """The folded fields, made on first use: a queue without a filter never needs them."""
        if self._search is None:
            self._search = searchable(self, self.lookups)
        return self._search

    @property
    def sort_key(self) -> tuple[bool, float, int, float, str]:
        """SLA first (earliest breach first), then priority, then age (oldest first)."""
        return self.key or _sort_key(self)

    def relink(self, lookups: "Lookups") -> None:
        """Use new customers and products (the store reloaded them) for the same ticket."""
        self.lookups, self._search = lookups, None
        self.customer_name = lookups.names.get(self.customer_id, self.customer_id)


def _sort_key(row: QueueRow) -> tuple[bool, float, int, float, str]:
    due = row.sla.next_due
    return (due is None, due or 0.0, PRIORITY_RANK.get(row.priority, NO_RANK), row.created, row.id)


_KEY = attrgetter("key")


def _folded(*parts: Any) -> str:
    return fold(" ".join([str(p) for p in parts if p]))


_WORDS: dict[str, str] = {}  # tags and agent names repeat across tickets: folded once


def _fold_word(text: str) -> str:
    found = _WORDS.get(text)
    if found is None:
        found = fold(text)
        if len(_WORDS) < 100_000:
            _WORDS[text] = found
    return found


class Lookups:
    """Customers and products, each folded once, on first use, for every ticket that mentions
    them (a queue that is never filtered only needs the names)."""

    __slots__ = ("names", "_customers", "_products", "_folded_customers", "_folded_products")

    def __init__(self, customers: dict[str, dict[str, Any]],
                 products: dict[str, dict[str, Any]]) -> None:
        names = getattr(customers, "names", None)  # a store's view knows them unread
        self.names = names() if callable(names) else {
            cid: c.get("name") or cid for cid, c in customers.items()}
        self._customers, self._products = customers, products
        self._folded_customers: dict[str, tuple[str, str, str]] = {}
        self._folded_products: dict[str, str] = {}

    @classmethod
    def build(cls, customers: dict[str, dict[str, Any]],
              products: dict[str, dict[str, Any]]) -> "Lookups":
        return cls(customers, products)

    @classmethod
    def from_names(cls, names: dict[str, str]) -> "Lookups":
        """Customer names only (the queue summary's): enough to list, not to filter by
        company or region. `names` itself is used (read-only), not copied: the first
        screen waits for this."""
        return cls(_NamesOnly(names), {})  # type: ignore[arg-type]

    def customer(self, cid: str) -> tuple[str, str, str]:
        """(folded id, name, company and email; folded language; folded region)."""
        found = self._folded_customers.get(cid)
        if found is None:
            c = self._customers.get(cid)
            found = ((_folded(cid, c.get("name"), c.get("company"), c.get("email")),
                      _fold_word(c.get("language") or ""), _fold_word(str(c.get("region") or "")))
                     if c is not None else (fold(cid), "", ""))
            self._folded_customers[cid] = found
        return found

    def product(self, pid: str) -> str:
        found = self._folded_products.get(pid)
        if found is None:
            p = self._products.get(pid)
            found = _folded(pid, p.get("name"), p.get("category")) if p is not None else fold(pid)
            self._folded_products[pid] = found
        return found


class _NamesOnly(Mapping):
    """Customers known by name alone, as Lookups reads customers."""

    def __init__(self, names: dict[str, str]):
        self._names = names

    def names(self) -> dict[str, str]:
        return self._names

    def __getitem__(self, cid: str) -> dict[str, str]:
        return {"name": self._names[cid]}

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def searchable(row: QueueRow, lookups: Lookups) -> Searchable:
    customer_text, lang, region = lookups.customer(row.customer_id)
    product_text = lookups.product(row.product or "")
    tags = tuple(map(_fold_word, row.tags or ()))
    return Searchable(
        text=" ".join((fold(row.id), fold(row.subject), customer_text, product_text, *tags)),
        status=row.status, priority=row.priority, tags=tags,
        customer=customer_text, product=product_text, channel=row.channel,
        lang=lang, region=region, assignee=_fold_word(row.assignee or ""))


_NO_CLOCK = sla.SlaClock(None, None)
_TARGETS = (("first_reply_due", "first_replied"), ("resolution_due", "solved"))


def _clock(doc: dict[str, Any], start: float | None) -> sla.SlaClock:
    """`sla.clock(doc)` with `created` parsed once (by the caller) and no intermediate
    SlaTarget objects: the queue builds 70k of these at start. Same answer for every document:
    a target runs if its due time and `created` are readable and its event has not happened;
    an open ticket's resolution is done only once `solved` is set."""
    status = doc.get("status")
    if status in RESOLVED_STATUSES or start is None:
        return _NO_CLOCK
    next_due = risk_from = None
    for due_field, done_field in _TARGETS:
        due = sla.epoch(doc.get(due_field))
        if due is None or sla.epoch(doc.get(done_field)) is not None:
            continue
        risk = start + sla.AT_RISK_FRACTION * max(0.0, due - start)
        if next_due is None or due < next_due:
            next_due = due
        if risk_from is None or risk < risk_from:
            risk_from = risk
    return _NO_CLOCK if next_due is None else sla.SlaClock(next_due, risk_from)


def _shared_tags(tags: Any) -> Any:
    return tuple(map(shared, tags)) if isinstance(tags, list) else tags


def build_row(doc: dict[str, Any], lookups: Lookups) -> QueueRow:
    customer_id = shared(doc.get("customer", ""))
    created = sla.epoch(doc.get("created"))
    tags = doc.get("tags") or ()
    row = QueueRow(
        id=doc.get("id", "?"), rev=doc.get("_rev", 0), subject=doc.get("subject", ""),
        customer_id=customer_id, customer_name=lookups.names.get(customer_id, customer_id),
        priority=shared(doc.get("priority", "")), status=shared(doc.get("status", "")),
        assignee=shared(doc.get("assignee")), created=created or 0.0,
        solved=sla.epoch(doc.get("solved")), sla=_clock(doc, created), lookups=lookups,
        product=shared(doc.get("product") or ""), channel=shared(doc.get("channel", "")),
        tags=_shared_tags(tags), doc=doc)
    row.key = _sort_key(row)
    return row


# -- the queue summary: rows without their documents ---------------------------
# One list per row, in this order; the store writes them beside the active snapshot so that
# the first screen is listed before the snapshot is parsed (see store/queue_summary.py).
SUMMARY_FIELDS = ("id", "rev", "subject", "customer_id", "product", "status", "priority",
                  "channel", "assignee", "tags", "created", "solved", "next_due", "risk_from")


def summary_entry(row: QueueRow) -> list[Any]:
    return [row.id, row.rev, row.subject, row.customer_id, row.product, row.status,
            row.priority, row.channel, row.assignee, row.tags, row.created, row.solved,
            row.sla.next_due, row.sla.risk_from]


def row_from_summary(entry: list[Any], lookups: Lookups) -> QueueRow:
    """The row of a summary entry: [doc id, *SUMMARY_FIELDS]."""
    (_, id_, rev, subject, customer_id, product, status, priority, channel, assignee, tags,
     created, solved, next_due, risk_from) = entry
    clock = _NO_CLOCK if next_due is None else sla.SlaClock(next_due, risk_from)
    customer_id = shared(customer_id)
    row = QueueRow(id_, rev, subject, customer_id, lookups.names.get(customer_id, customer_id),
                   shared(priority), shared(status), shared(assignee), created, solved, clock,
                   lookups, shared(product), shared(channel),
                   _shared_tags(tags))
    row.key = _sort_key(row)
    return row


class Rows(list):
    """The rows of a QueueIndex update, in queue order; `select` remembers its answers here.

    The same object comes back from `update` while nothing changed, so those answers
    outlive one keystroke. Read-only, like the documents it is built from."""

    __slots__ = ("answers",)

    def __init__(self, rows: Iterable[QueueRow] = ()) -> None:
        super().__init__(rows)
        self.answers: dict[tuple, tuple[list[QueueRow], int]] = {}


class QueueIndex:
    """Rows by ticket id, kept across store generations."""

    def __init__(self) -> None:
        self._rows: dict[str, QueueRow] = {}
        self._sources: tuple[dict | None, dict | None] = ({}, {})
        self._lookups = Lookups({}, {})
        self._ordered = Rows()
        self._docs: list[dict[str, Any]] = []
        self._tickets: Any = None  # the store's queue_tickets() of the last update_on_demand

    def seed(self, entries: Iterable[list[Any]], names: dict[str, str]) -> Rows:
        """Rows from the queue summary ([doc id, *SUMMARY_FIELDS] each), before the store is
        read; the first `update` then keeps every row whose ticket is at the same revision."""
        self._lookups = Lookups.from_names(names)
        self._sources, self._docs, self._tickets = (None, None), [], None
        rows = [row_from_summary(entry, self._lookups) for entry in entries]
        self._rows = {row.id: row for row in rows}
        self._ordered = Rows(sorted(rows, key=_KEY))
        return self._ordered

    def update(self, docs: Iterable[dict[str, Any]], customers: dict[str, dict[str, Any]],
               products: dict[str, dict[str, Any]]) -> Rows:
        """The rows of `docs` in queue order: the previous list itself if nothing changed."""
        docs = docs if isinstance(docs, list) else list(docs)
        self._tickets = None
        same_sources = (customers, products) == self._sources
        # The same documents as last time (list == compares identical objects by identity,
        # in C: ~1 ms at 70k): nothing to look at.
        if same_sources and len(docs) == len(self._docs) and docs == self._docs:
            return self._ordered
        self._docs = docs
        if not same_sources:
            self._sources = (customers, products)
            self._lookups = Lookups.build(customers, products)
        # New customers or products: the rows stand, but what was matched against the old
        # ones is asked again (a new list forgets its answers).
        lookups, changed = self._lookups, not same_sources
        old, rows = self._rows, {}
        for doc in docs:
            row = old.get(doc.get("id", ""))
            if row is None or row.doc is not doc and row.rev != doc.get("_rev", 0):
                row = build_row(doc, lookups)
                changed = True
            else:
                # Same revision: the row stands (a reload's new copy of the document, or
                # the summary's row, takes its place: the old copy is let go).
                row.doc = doc
                if row.lookups is not lookups:
                    row.relink(lookups)
            rows[row.id] = row
        return self._settle(rows, changed)

    def _settle(self, rows: dict[str, QueueRow], changed: bool, relinked: bool = False) -> Rows:
        """Keep `rows`; in queue order anew only if a row changed, came or went. Rows only
        relinked to new customers keep their order (it does not depend on them) in a new
        list, which forgets what was matched against the old customers."""
        changed = changed or len(rows) != len(self._rows)
        self._rows = rows
        if changed:
            self._ordered = Rows(sorted(rows.values(), key=_KEY))
        elif relinked:
            self._ordered = Rows(self._ordered)
        return self._ordered

    def update_on_demand(self, tickets: Any, customers: Mapping[str, dict[str, Any]],
                         products: dict[str, dict[str, Any]]) -> Rows:
        """`update` from a store's `queue_tickets()`: each ticket's head (id, revision) by doc
        id, its document read only for a row that is new or at another revision, and let
        go once the row is made. The previous list itself while nothing changed."""
        # Customers by identity (comparing contents would read every one); the few
        # products by value, as `update` does.
        same_sources = customers is self._sources[0] and products == self._sources[1]
        if same_sources and tickets is self._tickets:
            return self._ordered
        self._tickets, self._docs = tickets, []
        if not same_sources:
            self._sources = (customers, products)
            self._lookups = Lookups.build(customers, products)  # type: ignore[arg-type]
        lookups, changed = self._lookups, False
        old, rows = self._rows, {}
        for doc_id, head in tickets.projections.items():
            # A record the open's check would refuse (written since by another desk) has no
            # head: listed from its document, as the queue lists what it is given.
            row = old.get(head.id) if head.id is not None else None
            if row is None or row.rev != head.rev:
                doc = tickets[doc_id]
                if not isinstance(doc, dict):
                    continue
                row = build_row(doc, lookups)
                row.doc = None
                changed = True
            elif row.lookups is not lookups:
                row.relink(lookups)
            rows[row.id] = row
        return self._settle(rows, changed, relinked=not same_sources)

    def rows(self) -> list[QueueRow]:
        """The rows of the last update."""
        return list(self._rows.values())

    def warm_search(self, cancelled: Callable[[], bool] = lambda: False) -> bool:
        """Fold every row's search fields now (~1 s at 70k rows on 2 cores), so that the first
        filter keystroke does not: meant for a worker after the first paint. `cancelled` is
        asked every 512 rows (it may also wait there, e.g. while the agent types). False if
        cancelled midway (what was folded stays folded)."""
        for n, row in enumerate(list(self._ordered)):
            if n % 512 == 0 and cancelled():
                return False
            row.search
        return True


_BY_ID: list[tuple[list, dict[str, dict[str, Any]]]] = []


def by_id(records: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Records by their `id`. The queue asks for every customer at each keystroke: for the
    same records (the store's cached query answer: `==` on lists compares identical objects
    without looking inside) the previous dict comes back, so that QueueIndex.update sees at
    once that nothing moved. Read-only."""
    records = records if isinstance(records, list) else list(records)
    if len(records) < 1000:
        return {r["id"]: r for r in records if "id" in r}
    for seen, found in _BY_ID:
        if len(seen) == len(records) and seen == records:
            return found
    found = {r["id"]: r for r in records if "id" in r}
    _BY_ID[:] = [*_BY_ID[-3:], (records, found)]
    return found
