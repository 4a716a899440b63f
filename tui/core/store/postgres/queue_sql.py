"""The queue in SQL: a view and a filter become one WHERE on the `queue` table
(queue_table.py), in the in-memory queue's order, and the queue reads only the rows it shows
plus a count (issue 17, item 4).

The conditions are those of `core.queue_views.VIEWS` and `core.filter`, term by term, over
the same folded columns; tests/core/test_queue_sql.py holds the two to the same answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ...filter import UNASSIGNED, Filter, Term, norm
from ...models import RESOLVED_STATUSES
from ...queue import Lookups, QueueRow, _sort_key
from ...queue_views import View, ViewContext
from ...sla import SlaClock
from ...textfold import fold
from ..errors import StoreError
from .queue_table import OPEN as _OPEN
from .sql_values import like_pattern, record_number

ROW_COLUMNS = ("id", "rev", "subject", "customer_id", "customer_name", "priority", "status",
               "assignee", "created", "solved", "next_due", "risk_from", "product", "channel",
               "tags")
ORDER = "no_due, due_key, prio_rank, created, id"
# Rows before a key in ORDER. A row comparison bounds a btree scan by its first column only
# (PostgreSQL 15), so it is a filter here (IS TRUE), under plain bounds that let the scan stop
# at the key: a row near the top is found by reading a few pages.
_EARLIER = f"(({ORDER}) < (%s, %s, %s, %s, %s)) IS TRUE"
_BEFORE_DUE = f"NOT no_due AND due_key <= %s AND {_EARLIER}"  # a row with an SLA clock
_BEFORE_UNDUE = f"(NOT no_due OR {_EARLIER})"  # one without: every row with a clock is before
PAGE = 100
MATCH_CAP = 1000  # a filter's matches are counted up to here ("1000+"): a count is a scan

_RESOLVED = "status IN (" + ", ".join(f"'{s}'" for s in sorted(RESOLVED_STATUSES)) + ")"
_NO_LOOKUPS = Lookups({}, {})


@dataclass(frozen=True)
class Where:
    sql: str
    params: tuple[Any, ...] = ()

    def __and__(self, other: "Where") -> "Where":
        return Where(f"({self.sql}) AND ({other.sql})", self.params + other.params)


def run(conn: Any, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> Any:
    """Execute never prepared: a prepared statement may switch to a generic plan, which
    cannot see that a needle is short (the trigram index then reads all of itself: seconds
    at 1M tickets for 'r'), nor which partial index a view's values allow."""
    return conn.execute(sql, params, prepare=False)


def view_where(view: View, ctx: ViewContext) -> Where:
    """The condition of one of core.queue_views.VIEWS."""
    key = view.key
    if key == "mine":
        return Where(f"{_OPEN} AND assignee = %s", (ctx.agent,))
    if key == "unassigned":
        return Where(f"{_OPEN} AND (assignee IS NULL OR assignee = '')")
    if key == "open":
        return Where(_OPEN)
    if key == "sla":
        return Where(f"{_OPEN} AND risk_from IS NOT NULL AND risk_from <= %s", (ctx.now,))
    if key == "waiting":
        return Where("status IN ('on_hold', 'pending')")
    if key == "solved_today":
        return Where(f"{_RESOLVED} AND coalesce(solved, 0) >= %s", (ctx.today_start,))
    if key == "all":
        return Where("TRUE")
    raise ValueError(f"no SQL for the view {key!r}")


def _prefix(text: str) -> str:
    return like_pattern(text)[1:]  # the value's wildcards escaped, then "anything after"


def _value(name: str | None, value: str, agent: str) -> Where:
    """One value of a term, as core.filter._match tests it."""
    if name is None:
        return Where("f_text LIKE %s", (like_pattern(value),))
    if name in ("status", "priority", "channel"):
        return Where(f"f_{name} LIKE %s", (_prefix(norm(value)),))
    if name == "tag":
        return Where("f_tags @> ARRAY[%s]::text[]", (value,))
    if name == "lang":
        return Where("(f_lang = %s OR f_lang LIKE %s)", (value, _prefix(value + "-")))
    if name == "assignee":
        if value in UNASSIGNED:
            return Where("f_assignee = ''")
        if value == "me":
            return Where("f_assignee = %s", (fold(agent),))
        return Where("(f_assignee <> '' AND f_assignee LIKE %s)", (_prefix(value),))
    if name in ("customer", "product", "region"):
        return Where(f"f_{name} LIKE %s", (like_pattern(value),))
    raise ValueError(f"no SQL for the filter field {name!r}")


def _term(term: Term, agent: str) -> Where:
    parts = [_value(term.field, value, agent) for value in term.values]
    sql = " OR ".join(f"({p.sql})" for p in parts)
    params = tuple(p for part in parts for p in part.params)
    return Where(f"NOT ({sql})" if term.negate else sql, params)


def filter_where(flt: Filter, agent: str) -> Where | None:
    """The filter's condition; None for an empty filter."""
    if not flt:
        return None
    where = _term(flt.terms[0], agent)
    for term in flt.terms[1:]:
        where = where & _term(term, agent)
    return where


def row_of(values: tuple[Any, ...]) -> QueueRow:
    """A QueueRow from ROW_COLUMNS (no document: the detail pane reads the ticket)."""
    (id_, rev, subject, customer_id, customer_name, priority, status, assignee, created, solved,
     next_due, risk_from, product, channel, tags) = values
    row = QueueRow(id_, rev, subject, customer_id, customer_name, priority, status, assignee,
                   created, solved, SlaClock(next_due, risk_from), _NO_LOOKUPS, product,
                   channel, tuple(tags))
    row.key = _sort_key(row)
    return row


Read = Callable[[Callable[[Any], Any]], Any]  # the store's _read: fn(conn), errors as StoreError


@dataclass
class Facts:
    id_width: int
    recent: list[QueueRow]


@dataclass(eq=False)
class SqlRows:
    """The rows of one view and filter, read a page at a time: `len()` is their count (up to
    MATCH_CAP with a filter: `capped` then), `rows[i]` reads the page that holds row i."""

    read: Read
    where: Where
    length: int
    capped: bool = False
    _pages: dict[int, list[QueueRow]] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return self.length

    def __bool__(self) -> bool:
        return self.length > 0

    def __iter__(self):
        for start in range(0, self.length, PAGE):
            yield from self._page(start // PAGE)[:self.length - start]

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.length))]
        if index < 0:
            index += self.length
        if not 0 <= index < self.length:
            raise IndexError(index)
        page = self._page(index // PAGE)
        offset = index % PAGE
        return page[offset] if offset < len(page) else page[-1]  # the table shrank since

    def _page(self, number: int) -> list[QueueRow]:
        found = self._pages.get(number)
        if found is None:
            length = None if self.capped else self.length
            try:
                found = self.read(lambda conn: read_page(conn, self.where, number * PAGE, PAGE,
                                                         length))
            except StoreError as exc:  # drawn in the UI's thread: a row says so, and the next
                return [_gone_row(f"(not read: {exc})")]  # draw asks again
            if not found:
                found = [_gone_row()]
            if len(self._pages) >= 64:
                self._pages.clear()
            self._pages[number] = found
        return found

    def prefetch(self) -> None:
        """Read the first page now (in the worker), so that the first frame needs no read."""
        if self.length and 0 not in self._pages:
            self._page(0)

    def position_of(self, row: QueueRow) -> int | None:
        """Where `row`'s ticket is in these rows, or None if it is not among them (or the
        server cannot say now: the list then keeps its place)."""
        return self.position_of_id(row.id)

    def position_of_id(self, ticket_id: str) -> int | None:
        for page, rows in self._pages.items():  # read already (a filter keystroke: the top)
            for offset, found in enumerate(rows):
                if found.id == ticket_id and page * PAGE + offset < self.length:
                    return page * PAGE + offset
        number = record_number(ticket_id, "T")
        if number is None:
            return None

        def find(conn: Any) -> int | None:
            at = run(
                conn, f"SELECT {ORDER} FROM queue WHERE num = %s AND ({self.where.sql})",  # by its key
                (number, *self.where.params)).fetchone()
            if at is None:
                return None
            with conn.transaction():  # a count of a few rows: no parallel workers to start
                run(conn, "SET LOCAL max_parallel_workers_per_gather = 0")
                bound, params = (_BEFORE_UNDUE, at) if at[0] else (_BEFORE_DUE, (at[1], *at))
                before = run(
                    conn, f"SELECT count(*) FROM queue WHERE ({self.where.sql}) AND {bound}",
                    (*self.where.params, *params)).fetchone()[0]
            return before if before < self.length else None

        try:
            return self.read(find)
        except StoreError:
            return None

    def ids(self) -> list[str]:
        """Every ticket id of these rows, in queue order (mark all)."""
        return self.read(lambda conn: [r[0] for r in run(conn,
            f"SELECT id FROM queue WHERE {self.where.sql} ORDER BY {ORDER} LIMIT %s",
            (*self.where.params, self.length)).fetchall()])

    def in_order(self, ticket_ids: set[str]) -> list[str]:
        """Those of `ticket_ids` that are among these rows, in queue order (StoreError if
        the server cannot say)."""
        return self.read(lambda conn: [r[0] for r in run(conn,
            f"SELECT id FROM queue WHERE ({self.where.sql}) AND id = ANY(%s) ORDER BY {ORDER}",
            (*self.where.params, sorted(ticket_ids))).fetchall()])

    def facts(self, since: float) -> Facts:
        """The widest id (the highest ticket number's, as the in-memory queue's widest id of
        its rows) and the rows created since `since`."""
        def read(conn: Any) -> Facts:
            top = run(conn, "SELECT max(num) FROM queue").fetchone()[0]
            recent = run(
                conn, f"SELECT {', '.join(ROW_COLUMNS)} FROM queue WHERE ({self.where.sql}) "
                f"AND created >= %s ORDER BY {ORDER} LIMIT 200",
                (*self.where.params, since)).fetchall()
            return Facts(len(f"T-{top}") if top else 7, [row_of(r) for r in recent])
        try:
            return self.read(read)
        except StoreError:  # asked by the list in the UI's thread: no arrivals told this time
            return Facts(7, [])


def _gone_row(subject: str = "") -> QueueRow:
    """A row that could not be read, or that left the view since it was counted."""
    return QueueRow("…", 0, subject, "", "", "", "", None, 0.0, None, SlaClock(None, None),
                    _NO_LOOKUPS)


def read_page(conn: Any, where: Where, offset: int, limit: int, length: int | None
              ) -> list[QueueRow]:
    """Rows offset..offset+limit in queue order. Past the middle of `length` rows (None:
    not known), read from the end in the reverse order, so that End does not walk the whole
    index."""
    select = f"SELECT {', '.join(ROW_COLUMNS)} FROM queue WHERE {where.sql}"
    if length is not None and offset > length // 2 and length > 4 * limit:
        take = min(limit, length - offset)
        descending = ", ".join(f"{c} DESC" for c in ORDER.split(", "))
        found = run(conn, f"{select} ORDER BY {descending} LIMIT %s OFFSET %s",
                    (*where.params, take, length - offset - take)).fetchall()
        return [row_of(r) for r in reversed(found)]
    found = run(conn, f"{select} ORDER BY {ORDER} LIMIT %s OFFSET %s",
                (*where.params, limit, offset)).fetchall()
    return [row_of(r) for r in found]


def count(conn: Any, where: Where, cap: int | None = None) -> int:
    if cap is None:
        return run(conn, f"SELECT count(*) FROM queue WHERE {where.sql}",
                   where.params).fetchone()[0]
    return run(conn, f"SELECT count(*) FROM (SELECT 1 FROM queue WHERE {where.sql} LIMIT %s) s",
               (*where.params, cap + 1)).fetchone()[0]


class QueueCounts:
    """A view's count, kept while the store's generation stays: each filter keystroke only
    counts its own matches."""

    def __init__(self) -> None:
        self._kept: dict[tuple, int] = {}

    def in_view(self, conn: Any, where: Where, generation: int) -> int:
        key = (where.sql, where.params, generation)
        found = self._kept.get(key)
        if found is None:
            if len(self._kept) > 32:
                self._kept.clear()
            found = self._kept[key] = count(conn, where)
        return found


def select(read: Read, view: View, flt: Filter, ctx: ViewContext, counts: QueueCounts,
           generation: int) -> tuple[SqlRows, int]:
    """The rows of `view` that match `flt` (read a page at a time) and the view's count."""
    base = view_where(view, ctx)
    matching = filter_where(flt, ctx.agent)

    def selecting(conn: Any) -> tuple[SqlRows, int]:
        in_view = counts.in_view(conn, base, generation)
        if matching is None:
            return SqlRows(read, base, in_view), in_view
        where = base & matching
        # The first page first: a filter that matches less than a page needs no count (a
        # rare word is a scan, and would be two).
        first = read_page(conn, where, 0, PAGE, None)
        found = len(first) if len(first) < PAGE else count(conn, where, MATCH_CAP)
        rows = SqlRows(read, where, min(found, MATCH_CAP), capped=found > MATCH_CAP)
        rows._pages[0] = first
        return rows, in_view

    rows, in_view = read(selecting)
    rows.prefetch()  # read already, with a filter
    return rows, in_view
