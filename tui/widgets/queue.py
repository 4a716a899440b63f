"""The queue: a line-API list that renders only the rows in view.

Line 0 is the column header; row i is drawn on line i + 1. Rendered rows are
kept in an LRU cache of Strips keyed by ticket revision, cursor, width and the
current minute (SLA and age move with the clock).
"""

from __future__ import annotations

import time
from bisect import bisect_left
from dataclasses import dataclass
from itertools import compress
from operator import attrgetter
from typing import Callable

from rich.style import Style
from rich.text import Text
from textual import events
from textual.cache import LRUCache
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..core import humanize
from ..core.queue import QueueRow
from ..core.sla import SlaState
from ..ui.bindings import bindings
from ..ui.messages import STORE_ERRORS, MarksChanged, OpenTicket, TicketHighlighted
from ..ui.text import one_line

ROW_ID, ROW_CREATED, ROW_KEY = attrgetter("id"), attrgetter("created"), attrgetter("key")

STATUS_LABELS = {"on_hold": "on hold"}
SUBJECT_MIN = 20
ARRIVAL_SLACK_S = 5.0  # a ticket created this long before desk started still counts as new
HERE = {"replying": ("✎", "queue--replying"), "viewing": ("●", "queue--viewing")}  # other desks


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int
    cell: Callable[["QueueList", QueueRow, float], tuple[str, str]]  # (text, component class)


def _sla_cell(queue: "QueueList", row: QueueRow, now: float) -> tuple[str, str]:
    remaining = row.sla.remaining(now)
    if remaining is None:
        return "—", "queue--muted"
    state = row.sla.state(now)
    style = {SlaState.BREACHED: "queue--breached", SlaState.AT_RISK: "queue--at-risk"}
    return humanize.duration(remaining), style.get(state, "")


def _priority_cell(queue: "QueueList", row: QueueRow, now: float) -> tuple[str, str]:
    return one_line(row.priority), {"urgent": "queue--urgent", "high": "queue--high"}.get(row.priority, "")


def _here_cell(queue: "QueueList", row: QueueRow, now: float) -> tuple[str, str]:
    return HERE.get(queue.here.get(row.id, ""), (" ", ""))


COLUMNS = {c.key: c for c in (
    Column("id", "ID", 7, lambda q, r, n: (one_line(r.id), "queue--muted")),
    Column("here", " ", 1, _here_cell),
    Column("subject", "Subject", SUBJECT_MIN, lambda q, r, n: (one_line(r.subject), "")),
    Column("customer", "Customer", 16, lambda q, r, n: (one_line(r.customer_name), "")),
    Column("priority", "Prio", 6, _priority_cell),
    Column("status", "Status", 7, lambda q, r, n: (STATUS_LABELS.get(r.status) or one_line(r.status), "")),
    Column("sla", "SLA", 7, _sla_cell),
    Column("age", "Age", 4, lambda q, r, n: (humanize.age(n - r.created), "queue--muted")),
    Column("assignee", "Assignee", 10, lambda q, r, n: (one_line(r.assignee or "—"), "")),
)}
ORDER = ("id", "here", "subject", "customer", "priority", "status", "sla", "age", "assignee")
DROP_ORDER = ("assignee", "age", "customer", "status", "priority")  # first to go when narrow


def fit_columns(width: int, id_width: int) -> list[tuple[Column, int]]:
    """The columns that fit in `width` (after the 1-cell cursor gutter), subject taking the rest."""
    keys = list(ORDER)

    def fixed(ks: list[str]) -> int:
        return sum((id_width if k == "id" else COLUMNS[k].width) + 1 for k in ks if k != "subject")

    for key in DROP_ORDER:
        if fixed(keys) + SUBJECT_MIN < width - 1:
            break
        keys.remove(key)
    subject = max(1, width - 1 - fixed(keys) - 1)
    return [(COLUMNS[k], id_width if k == "id" else subject if k == "subject" else COLUMNS[k].width)
            for k in keys]


class QueueList(ScrollView, can_focus=True):
    COMPONENT_CLASSES = {"queue--header", "queue--cursor", "queue--cursor-blurred", "queue--muted",
                         "queue--breached", "queue--at-risk", "queue--urgent", "queue--high",
                         "queue--viewing", "queue--replying"}
    BINDINGS = bindings("Queue")

    cursor = reactive(0, repaint=False)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[QueueRow] = []
        self._positions: dict[str, int] | None = {}  # see _positions_by_id
        self._ordered = False  # rows are in queue order (set_rows had their source)
        self._paged = False  # rows read a page at a time (see set_rows)
        self._facts: tuple[object, tuple[int, list[QueueRow]]] = (None, (7, []))
        self._cache: LRUCache[tuple, Strip] = LRUCache(1024)
        self._highlighted: str | None = None  # the ticket the detail pane was told about
        self._holding = False
        # Told of a new cursor ticket before the message is posted: True if it showed the
        # ticket there and then (one frame for the cursor and the panes), see MainScreen.
        self.show_at_once: Callable[[str], bool] | None = None
        self._id_width = 7
        self._columns: tuple[int, list[tuple[Column, int]]] = (-1, [])
        self.here: dict[str, str] = {}  # ticket → "viewing" | "replying" by another desk
        self._since = time.time() - ARRIVAL_SLACK_S
        self._recent: set[str] | None = None  # tickets created since then, once shown
        self.marked: set[str] = set()  # tickets marked for bulk work, kept across views

    # -- data -------------------------------------------------------------
    @property
    def highlighted_id(self) -> str | None:
        return self.rows[self.cursor].id if 0 <= self.cursor < len(self.rows) else None

    def set_rows(self, rows: list[QueueRow], *, follow: bool,
                 source: list[QueueRow] | None = None) -> None:
        """Show `rows`, keeping the cursor on the same ticket if it is still there.

        With `follow` (the agent changed the view or filter) the detail pane follows the
        cursor; otherwise (another process changed the store) the open ticket stays open.
        `source`: every row `rows` were selected from, in queue order (a QueueIndex's), so
        that `rows` are too. A filter keystroke then costs what is drawn, not a loop over
        every row that matches (tens of ms at 70k rows in the UI thread): the widest id and
        the tickets created since desk started come from `source`, once per store change,
        and the kept ticket is found by its place in the queue order.
        """
        keep = self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None
        self.rows = rows
        # Rows read a page at a time (a PostgreSQL store's, core/store/postgres/queue_sql.py):
        # never walked whole; they answer positions, ids and facts themselves.
        self._paged = hasattr(rows, "position_of")
        self._ordered = source is not None
        self._positions = None
        self._id_width = self._source_facts(source if source is not None else rows)[0]
        self._note_arrivals(rows, source, quiet=follow)
        self._columns = (-1, [])
        self._set_length(len(rows) + 1)
        self._cache.clear()
        fallback = 0 if follow else min(self.cursor, len(rows) - 1)  # a new view starts at the top
        target = self._position_of(keep, same_rows=follow) if keep is not None else 0
        self.set_reactive(QueueList.cursor, max(0, fallback if target is None else target))
        self._scroll_to_cursor()
        self.refresh()
        if follow or self._highlighted is None:
            self._cursor_moved()
        elif not self._holding:
            self._highlighted = self.highlighted_id

    def _source_facts(self, source: list[QueueRow]) -> tuple[int, list[QueueRow]]:
        """(widest id, rows created since desk started) of `source`, kept while it is the same
        list (a QueueIndex hands out the same one until the store changes)."""
        if self._facts[0] is not source and hasattr(source, "facts"):
            facts = source.facts(self._since)
            self._facts = (source, (facts.id_width, facts.recent))
        elif self._facts[0] is not source:
            ids = list(map(ROW_ID, source))
            recent = list(compress(source, map(self._since.__le__, map(ROW_CREATED, source))))
            self._facts = (source, (max(map(len, ids), default=7), recent))
        return self._facts[1]

    def _positions_by_id(self) -> dict[str, int]:
        """Row number by ticket id, made when first asked for after set_rows."""
        if self._positions is None:
            ids = list(map(ROW_ID, self.rows))
            self._positions = dict(zip(ids, range(len(ids))))
        return self._positions

    def _position_of(self, row: QueueRow, *, same_rows: bool = True) -> int | None:
        """Where `row`'s ticket is now. In queue-ordered rows of the same source (`same_rows`:
        its key has not changed), a binary search; otherwise by id."""
        if self._paged:
            return self.rows.position_of(row)  # type: ignore[attr-defined]
        if self._ordered and same_rows and row.key:
            n = bisect_left(self.rows, row.key, key=ROW_KEY)
            return n if n < len(self.rows) and self.rows[n].id == row.id else None
        return self._positions_by_id().get(row.id)

    def _set_length(self, lines: int) -> None:
        """The new number of lines, without a layout of the whole screen (assigning
        `virtual_size` asks for one): a filter keystroke only repaints the list. A scrollbar
        that appears or goes still lays the screen out (Textual does that itself)."""
        size = Size(self.size.width, lines)
        if size != self.virtual_size:
            self.set_reactive(QueueList.virtual_size, size)
            self._scroll_update(size)

    def hold_detail(self, hold: bool) -> None:
        """While the agent types a filter the detail pane stays put (it would reload the
        ticket and its customer on every keystroke); on release it follows the cursor."""
        self._holding = hold
        if not hold:
            self._cursor_moved()

    def _note_arrivals(self, rows: list[QueueRow], source: list[QueueRow] | None,
                       quiet: bool) -> None:
        """A ticket created since desk started shows up in the view the agent is looking at:
        a toast (and the bell, if configured). Not on the first load, nor when the agent
        changed the view or the filter (`quiet`): then the rows are new to them anyway."""
        if source is None or self._paged:  # paged rows' facts are of these rows already
            recent = self._source_facts(source if source is not None else rows)[1]
        else:  # the few recent tickets of the whole queue that this view shows
            recent = [row for row in self._source_facts(source)[1]
                      if self._position_of(row) is not None]
        if self._recent is None or quiet:
            self._recent = (self._recent or set()) | {row.id for row in recent}
            return
        arrived = [row for row in recent if row.id not in self._recent]
        self._recent.update(row.id for row in arrived)
        if not arrived:
            return
        if len(arrived) == 1:
            text = f"New ticket in this view: {arrived[0].id} {arrived[0].subject}"
        else:
            more = " …" if len(arrived) > 5 else ""
            text = f"{len(arrived)} new tickets in this view: " + \
                ", ".join(r.id for r in arrived[:5]) + more
        self.app.say(text)
        if self.app.config.bell_on_new_ticket:
            self.app.bell()

    def set_here(self, here: dict[str, str]) -> None:
        """Mark the tickets other desks are on; only their rows are drawn again."""
        changed = {t for t in here.keys() | self.here.keys() if here.get(t) != self.here.get(t)}
        self.here = here
        if self._paged:  # only the rows on screen are looked at
            top = int(self.scroll_y)
            for index in range(top, min(len(self.rows), top + self.size.height)):
                if self.rows[index].id in changed:
                    self.refresh_line(index + 1)
            return
        positions = self._positions_by_id() if changed else {}
        for ticket_id in changed:
            if (index := positions.get(ticket_id)) is not None:
                self.refresh_line(index + 1)

    def move_to(self, ticket_id: str) -> bool:
        index = (self.rows.position_of_id(ticket_id) if self._paged  # type: ignore[attr-defined]
                 else self._positions_by_id().get(ticket_id))
        if index is not None:
            self.cursor = index
            return True
        return False

    # -- cursor ------------------------------------------------------------
    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.rows) - 1))

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh_line(old + 1)
        self.refresh_line(new + 1)
        self._cursor_moved()

    def _cursor_moved(self) -> None:
        self._scroll_to_cursor()
        if self.highlighted_id != self._highlighted and not self._holding:
            self._highlighted = self.highlighted_id
            if self._highlighted and self.show_at_once and self.show_at_once(self._highlighted):
                return
            # set_rows runs in the panel's handler: without a sender of its own,
            # the message would stop bubbling there
            self.post_message(TicketHighlighted(self._highlighted).set_sender(self))

    def _scroll_to_cursor(self) -> None:
        """Keep the cursor in view. Past an edge the list moves half a page, not a row: the
        whole list is redrawn when it moves, so Down through a long queue redraws it once
        every half page instead of on every key (and sends that much less over SSH)."""
        rows_visible = max(1, self.scrollable_content_region.height - 1)
        top = int(self.scroll_y)
        if top <= self.cursor < top + rows_visible:
            return
        half = rows_visible // 2
        if self.cursor < top:
            y = max(0, self.cursor - half)
        else:
            y = self.cursor - rows_visible + 1 + half
        self.scroll_to(y=y, animate=False, immediate=True)

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_cursor_top(self) -> None:
        self.cursor = 0

    def action_cursor_bottom(self) -> None:
        self.cursor = len(self.rows) - 1

    def action_page_down(self) -> None:
        self.cursor += max(1, self.scrollable_content_region.height - 2)

    def action_page_up(self) -> None:
        self.cursor -= max(1, self.scrollable_content_region.height - 2)

    def action_mark(self) -> None:
        """Mark or unmark the cursor's ticket for bulk work, and go to the next one."""
        ticket_id = self.highlighted_id
        if ticket_id is not None:
            self.marked ^= {ticket_id}
            self.refresh_line(self.cursor + 1)
            self.post_message(MarksChanged(len(self.marked)))
            self.cursor += 1

    def action_mark_all(self) -> None:
        """Mark every ticket shown (the view and filter); if all are marked, unmark them."""
        try:
            shown = set(self.rows.ids()) if self._paged else {row.id for row in self.rows}  # type: ignore[attr-defined]
        except STORE_ERRORS as exc:
            self.app.say(f"Cannot mark the tickets shown: {exc}", "error")
            return
        self.marked = self.marked - shown if shown <= self.marked else self.marked | shown
        self.unmark(set())

    def unmark(self, ticket_ids: set[str]) -> None:
        self.marked -= ticket_ids
        self._cache.clear()
        self.refresh()
        self.post_message(MarksChanged(len(self.marked)))

    def marked_in_order(self) -> list[str]:
        """The marked tickets, those shown first in queue order, then the others."""
        if self._paged:
            try:
                shown = self.rows.in_order(self.marked)  # type: ignore[attr-defined]
            except STORE_ERRORS:
                shown = []  # the server cannot say now: every marked ticket in id order
        else:
            shown = [row.id for row in self.rows if row.id in self.marked]
        return shown + sorted(self.marked - set(shown), key=lambda t: (len(t), t))

    def action_open(self) -> None:
        if self.highlighted_id:
            self.post_message(OpenTicket(self.highlighted_id))

    def on_click(self, event: events.Click) -> None:
        index = int(self.scroll_y) + event.y - 1
        if event.y >= 1 and 0 <= index < len(self.rows):
            self.cursor = index
            if event.chain > 1:
                self.action_open()

    # -- rendering -----------------------------------------------------------
    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.rows) + 1)
        self._cache.clear()
        self._scroll_to_cursor()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()

    def _on_focus(self, event: events.Focus) -> None:
        super()._on_focus(event)
        self.refresh_line(self.cursor + 1)

    def _on_blur(self, event: events.Blur) -> None:
        super()._on_blur(event)
        self.refresh_line(self.cursor + 1)

    def _fit(self, width: int) -> list[tuple[Column, int]]:
        if self._columns[0] != width:
            self._columns = (width, fit_columns(width, self._id_width))
        return self._columns[1]

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y == 0:
            return self._header(width)
        index = int(self.scroll_y) + y - 1
        if index >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        row = self.rows[index]
        now = time.time()
        on_cursor = index == self.cursor
        key = (row.id, row.rev, on_cursor, on_cursor and self.has_focus, width, int(now // 60),
               self.here.get(row.id), row.id in self.marked)
        strip = self._cache.get(key)
        if strip is None:
            strip = self._render_row(row, width, now, on_cursor)
            self._cache[key] = strip
        return strip

    def _header(self, width: int) -> Strip:
        style = self.get_component_rich_style("queue--header")
        text = Text(" ", style=style, no_wrap=True)
        for column, cells in self._fit(width):
            text.append(column.title.ljust(cells)[:cells] + " ")
        return self._strip(text, width, style)

    def _render_row(self, row: QueueRow, width: int, now: float, on_cursor: bool) -> Strip:
        base = self.rich_style
        if on_cursor:
            name = "queue--cursor" if self.has_focus else "queue--cursor-blurred"
            base = base + self.get_component_rich_style(name)
        gutter = "✓" if row.id in self.marked else "›" if on_cursor else " "
        text = Text(gutter, style=base, no_wrap=True)
        for column, cells in self._fit(width):
            value, component = column.cell(self, row, now)
            styled = component and not on_cursor  # the cursor row keeps the cursor's colours
            cell = Text(value, style=self._foreground(component) if styled else "")
            cell.truncate(cells, overflow="ellipsis", pad=True)
            text.append_text(cell)
            text.append(" ")
        return self._strip(text, width, base)

    def _foreground(self, component: str) -> Style:
        """A cell's colour and text style, leaving the row's background (the cursor) alone."""
        style = self.get_component_rich_style(component)
        return Style(color=style.color, bold=style.bold, italic=style.italic, dim=style.dim)

    def _strip(self, text: Text, width: int, style: Style) -> Strip:
        text.truncate(width, overflow="ellipsis", pad=True)
        strip = Strip(text.render(self.app.console), width).apply_style(style)  # no None styles
        return strip.adjust_cell_length(width, style)
