"""The ticket queue: rows built once per ticket revision, views, filter and SLA sort.

Rows come from raw documents (`Repository.ticket_docs`) so that a store of
100k tickets is listed without validating each one. `QueueIndex` rebuilds
only the rows whose `_rev` changed since the last update.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time as dtime
from typing import Any, Callable, Iterable

from . import sla
from .filter import Filter, Searchable
from .models import OPEN_STATUSES, PRIORITY_RANK, RESOLVED_STATUSES
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
    doc: dict[str, Any] = field(repr=False)  # the stored document (never changed in place)
    lookups: "Lookups" = field(repr=False)
    _search: Searchable | None = field(default=None, repr=False)

    @property
    def search(self) -> Searchable:
        """The folded fields, made on first use: a queue without a filter never needs them."""
        if self._search is None:
            self._search = searchable(self.doc, self.lookups)
        return self._search

    @property
    def sort_key(self) -> tuple[int, float, int, float, str]:
        """SLA first (earliest breach first), then priority, then age (oldest first)."""
        due = self.sla.next_due
        return (due is None, due or 0.0, PRIORITY_RANK.get(self.priority, NO_RANK),
                self.created, self.id)


def _folded(*parts: Any) -> str:
    return fold(" ".join(str(p) for p in parts if p))


@dataclass(frozen=True, slots=True)
class Lookups:
    """Customers and products, folded once for every ticket that mentions them."""

    names: dict[str, str]  # customer id -> name as written
    customers: dict[str, tuple[str, str, str]]  # customer id -> (folded text, lang, region)
    products: dict[str, str]  # product id -> folded text

    @classmethod
    def build(cls, customers: dict[str, dict[str, Any]],
              products: dict[str, dict[str, Any]]) -> "Lookups":
        return cls(
            names={cid: c.get("name") or cid for cid, c in customers.items()},
            customers={cid: (_folded(cid, c.get("name"), c.get("company"), c.get("email")),
                             fold(c.get("language") or ""), _folded(c.get("region")))
                       for cid, c in customers.items()},
            products={pid: _folded(pid, p.get("name"), p.get("category"))
                      for pid, p in products.items()})


def searchable(doc: dict[str, Any], lookups: Lookups) -> Searchable:
    customer_id, product_id = doc.get("customer", ""), doc.get("product") or ""
    customer_text, lang, region = lookups.customers.get(customer_id, (fold(customer_id), "", ""))
    product_text = lookups.products.get(product_id, fold(product_id))
    tags = tuple(fold(t) for t in doc.get("tags", []))
    return Searchable(
        text=" ".join((fold(doc.get("id", "")), fold(doc.get("subject", "")), customer_text,
                       product_text, *tags)),
        status=doc.get("status", ""), priority=doc.get("priority", ""), tags=tags,
        customer=customer_text, product=product_text, channel=doc.get("channel", ""),
        lang=lang, region=region, assignee=fold(doc.get("assignee") or ""))


def build_row(doc: dict[str, Any], lookups: Lookups) -> QueueRow:
    customer_id = doc.get("customer", "")
    return QueueRow(
        id=doc.get("id", "?"), rev=doc.get("_rev", 0), subject=doc.get("subject", ""),
        customer_id=customer_id, customer_name=lookups.names.get(customer_id, customer_id),
        priority=doc.get("priority", ""), status=doc.get("status", ""),
        assignee=doc.get("assignee"), created=sla.epoch(doc.get("created")) or 0.0,
        solved=sla.epoch(doc.get("solved")), sla=sla.clock(doc), doc=doc, lookups=lookups)


class QueueIndex:
    """Rows by ticket id, kept across store generations."""

    def __init__(self) -> None:
        self._rows: dict[str, QueueRow] = {}
        self._sources: tuple[dict, dict] = ({}, {})
        self._lookups = Lookups({}, {}, {})

    def update(self, docs: Iterable[dict[str, Any]], customers: dict[str, dict[str, Any]],
               products: dict[str, dict[str, Any]]) -> list[QueueRow]:
        if (customers, products) != self._sources:
            self._sources = (customers, products)
            self._rows, self._lookups = {}, Lookups.build(customers, products)
        old, rows = self._rows, {}
        for doc in docs:
            row = old.get(doc.get("id", ""))
            if row is None or row.rev != doc.get("_rev", 0):
                row = build_row(doc, self._lookups)
            rows[row.id] = row
        self._rows = rows
        return list(rows.values())

    def rows(self) -> list[QueueRow]:
        """The rows of the last update."""
        return list(self._rows.values())


def by_id(records: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in records if "id" in r}


# -- views -------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ViewContext:
    agent: str
    now: float
    today_start: float  # local midnight, for "Solved today"

    @classmethod
    def at(cls, agent: str, now: datetime) -> "ViewContext":
        local = now.astimezone()
        midnight = datetime.combine(local.date(), dtime(0), tzinfo=local.tzinfo)
        return cls(agent, now.timestamp(), midnight.timestamp())


def _open(row: QueueRow) -> bool:
    return row.status in OPEN_STATUSES


@dataclass(frozen=True)
class View:
    key: str
    label: str
    test: Callable[[QueueRow, ViewContext], bool]
    needs_archive: bool = False


VIEWS: tuple[View, ...] = (
    View("mine", "My open", lambda r, c: _open(r) and r.assignee == c.agent),
    View("unassigned", "Unassigned", lambda r, c: _open(r) and not r.assignee),
    View("open", "All open", lambda r, c: _open(r)),
    View("sla", "SLA at risk/breached",
         lambda r, c: _open(r) and r.sla.risk_from is not None and r.sla.risk_from <= c.now),
    View("waiting", "Pending/On-hold", lambda r, c: r.status in ("pending", "on_hold")),
    View("solved_today", "Solved today",
         lambda r, c: r.status in RESOLVED_STATUSES and (r.solved or 0) >= c.today_start,
         needs_archive=True),
    View("all", "All", lambda r, c: True, needs_archive=True),
)
VIEWS_BY_KEY = {v.key: v for v in VIEWS}


@dataclass(frozen=True, slots=True)
class Selection:
    rows: list[QueueRow]  # the view, filtered and sorted
    in_view: int  # before the filter


def select(rows: Iterable[QueueRow], view: View, flt: Filter, ctx: ViewContext,
           cancelled: Callable[[], bool] = lambda: False) -> Selection | None:
    """The rows of `view` that match `flt`, in queue order; None if cancelled midway."""
    in_view, chosen = 0, []
    for n, row in enumerate(rows):
        if n % 4096 == 0 and cancelled():
            return None
        if view.test(row, ctx):
            in_view += 1
            if not flt or flt.matches(row.search, ctx.agent):
                chosen.append(row)
    chosen.sort(key=lambda r: r.sort_key)
    return Selection(chosen, in_view)
