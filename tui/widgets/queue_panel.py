"""The queue pane: the view bar, the filter line and the list, and the worker that fills it."""

from __future__ import annotations

import gc
import time
from datetime import datetime, timezone
from typing import Callable, Iterable, Self

from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.geometry import Region
from textual.widgets import Input, Static
from textual.worker import get_current_worker
from tinydb import Query

from ..core.bulk import bulk_objects
from ..core.filter import Filter, Term, parse
from ..core.queue import QueueIndex, QueueRow, Rows, by_id
from ..core.queue_views import VIEWS_BY_KEY, Selection, ViewContext, select
from ..core.textfold import fold
from ..ui.bindings import bindings
from ..ui.messages import STORE_ERRORS, MarksChanged, QueueSelected
from ..ui.text import line
from .queue import QueueList

WARM_AFTER_KEY_S = 0.5  # the search fields are folded once no key has come for this long


class FilterInput(Input):
    """`/` opens it; Enter keeps the filter, Escape clears it."""

    BINDINGS = bindings("Filter")

    _typing = False

    def _watch_value(self, value: str) -> None:
        # Input grows its virtual width with the text and asks for a layout of the whole
        # screen on every keystroke; this box never changes size (one row, the pane's width),
        # so the keystroke repaints the line only.
        self._typing = True
        try:
            super()._watch_value(value)
        finally:
            self._typing = False

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False,
                recompose: bool = False) -> Self:
        return super().refresh(*regions, repaint=repaint, layout=layout and not self._typing,
                               recompose=recompose)

    def action_done(self) -> None:
        self.screen.set_focus(self.screen.query_one(QueueList))

    def action_clear(self) -> None:
        self.value = ""
        self.screen.set_focus(self.screen.query_one(QueueList))

    def action_everywhere(self) -> None:
        """Hand the filter's free text to search everywhere (the screen's action)."""
        words = " ".join(t.values[0] for t in parse(self.value).terms if t.field is None
                         and not t.negate)
        self.screen.action_search_everywhere(words)  # type: ignore[attr-defined]


class QueuePanel(Vertical):
    def __init__(self, *, view: str = "open", id: str | None = None) -> None:
        super().__init__(id=id)
        self.view = view
        self.filter_text = ""
        self._index = QueueIndex()
        self.shown: tuple[str, str] | None = None  # the (view, filter) on screen
        self._warmed = False

    def compose(self) -> ComposeResult:
        yield Static(id="view-bar")
        yield FilterInput(placeholder="filter: text, status:open lang:fi -tag:spam …",
                          id="filter", compact=True)
        yield QueueList(id="queue")

    @property
    def queue(self) -> QueueList:
        return self.query_one(QueueList)

    def rows_for_search(self, text: str = "") -> Iterable[QueueRow]:
        """Every ticket loaded so far, whatever the view and filter; from a store that
        selects in SQL, the tickets whose queue text holds `text`, read as they are asked for."""
        if self.in_sql:
            ctx = ViewContext.at(self.app.agent, datetime.now(timezone.utc))
            words = Filter((Term(None, (fold(text),)),)) if text.strip() else Filter()
            return self.app.store.queue_selection(VIEWS_BY_KEY["all"], words, ctx)[0]
        return self._index.rows()

    def set_view(self, view: str) -> None:
        self.view = view
        self.reload()

    def open_filter(self) -> None:
        filter_input = self.query_one(FilterInput)
        filter_input.add_class("-open")
        # set_focus, not focus(): it takes effect at once, so keys that follow "/" in a
        # burst (a paste) can no longer run a, n or r on the queue
        self.screen.set_focus(filter_input)

    def set_filter(self, text: str) -> None:
        self.query_one(FilterInput).value = text
        self.filter_text = text
        self.query_one(FilterInput).set_class(bool(text), "-open")
        self.reload()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        # Each keystroke selects at once: the worker is exclusive (a newer keystroke cancels
        # it) and a narrower filter only tests what the previous one matched.
        self.filter_text = event.value
        self.reload()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if isinstance(event.widget, FilterInput):
            self.queue.hold_detail(True)

    @on(Input.Blurred, "#filter")
    def _filter_blurred(self) -> None:
        self.query_one(FilterInput).set_class(bool(self.filter_text), "-open")
        self.queue.hold_detail(False)

    def reload(self) -> None:
        """Select the rows of the current view and filter off the UI thread; but the first
        screen at once, so that its first frame has its rows. Nothing is on screen to act on
        before that; in a worker, the first frames of the app would compete with it for the
        interpreter: at 25k active tickets the queue showed ~0.4 s later."""
        if self.shown is None:
            selected = self._select_preview() or self._select(lambda: False)
            if selected is not None:
                self._show(selected)
            return
        self._select_in_worker()

    def _select_preview(self) -> QueueSelected | None:
        """The first screen from the queue summary, while the store is still to be read
        (about a second at 70k active tickets, in a worker: see MainScreen)."""
        store = self.app.store
        preview = store.take_queue_preview()
        if preview is None or store.loaded or VIEWS_BY_KEY[self.view].needs_archive:
            return None
        with bulk_objects():  # 70k rows that live as long as desk: no GC pass over them
            rows = self._index.seed(preview.entries, preview.names)
        return self._selection(rows, lambda: False)

    @work(thread=True, exclusive=True, group="queue")
    def _select_in_worker(self) -> None:
        worker = get_current_worker()
        selected = self._select(lambda: worker.is_cancelled)
        if selected is not None and not worker.is_cancelled:
            self.post_message(selected)

    def _select(self, cancelled: Callable[[], bool]) -> QueueSelected | None:
        view = VIEWS_BY_KEY[self.view]
        store = self.app.store
        if self.in_sql:
            return self._select_in_sql()
        try:
            everything = Query().noop()
            products = by_id(store.query("products", everything))
            tickets = None if view.needs_archive else store.queue_tickets()
            if tickets is not None:  # read on demand: no list of every document
                rows = self._index.update_on_demand(tickets, store.customers_by_id(), products)
            else:
                docs = store.ticket_docs(include_archive=view.needs_archive)
                customers = by_id(store.query("customers", everything))
                rows = self._index.update(docs, customers, products)
        except STORE_ERRORS as exc:
            self.app.say(f"Cannot list tickets: {exc}", "error")
            return None
        return self._selection(rows, cancelled)

    @property
    def in_sql(self) -> bool:
        """The store selects and pages the queue itself (PostgreSQL): nothing is held here."""
        return self.app.store.queue_in_store

    def _select_in_sql(self) -> QueueSelected | None:
        view, filter_text = VIEWS_BY_KEY[self.view], self.filter_text
        ctx = ViewContext.at(self.app.agent, datetime.now(timezone.utc))
        try:
            rows, in_view = self.app.store.queue_selection(view, parse(filter_text), ctx)
        except STORE_ERRORS as exc:
            self.app.say(f"Cannot list tickets: {exc}", "error")
            return None
        return QueueSelected(Selection(rows, in_view), view.key, filter_text, rows)

    def _selection(self, rows: Rows, cancelled: Callable[[], bool]) -> QueueSelected | None:
        view, filter_text = VIEWS_BY_KEY[self.view], self.filter_text
        ctx = ViewContext.at(self.app.agent, datetime.now(timezone.utc))
        selection = select(rows, view, parse(filter_text), ctx, cancelled)
        return None if selection is None else QueueSelected(selection, view.key, filter_text, rows)

    @on(QueueSelected)
    def _show(self, event: QueueSelected) -> None:
        event.stop()
        if event.view != self.view or event.filter_text != self.filter_text:
            return  # a newer request is on its way
        follow = self.shown != (event.view, event.filter_text)  # the agent asked for it
        self.shown = (event.view, event.filter_text)
        self.queue.set_rows(event.selection.rows, follow=follow, source=event.source or None)
        self._counts = (event.selection.in_view, len(event.selection.rows))
        self._show_counts(*self._counts)
        # Not on the summary's rows: their search fields are made again once the store's
        # customers arrive.
        if not self._warmed and self.app.store.loaded:
            self._warmed = True
            self._warm_search()

    @work(thread=True, exclusive=True, group="warm-search")
    def _warm_search(self) -> None:
        """Once the queue is on screen: prepare every row for filtering, so that the agent's
        first filter keystroke does not (about a second at 70k rows)."""
        worker = get_current_worker()
        pace = self.app.pace

        def cancelled() -> bool:
            # Keys first: this is seconds of work at 70k rows, and each slice of it that
            # runs while a key is handled delays that key's frame.
            while pace.since_input() < WARM_AFTER_KEY_S and not worker.is_cancelled:
                time.sleep(WARM_AFTER_KEY_S)
            return worker.is_cancelled

        if self._index.warm_search(cancelled):
            # The store, its rows and their search fields live as long as desk: out of the
            # cyclic GC's reach, whose full passes over them took 70 ms at 10k tickets and
            # 200 ms at 100k, every few seconds of use, in the middle of a Down.
            gc.freeze()

    @on(MarksChanged)
    def _marks_changed(self, event: MarksChanged) -> None:
        event.stop()
        self._show_counts(*getattr(self, "_counts", (len(self.queue.rows), len(self.queue.rows))))

    def _show_counts(self, in_view: int, matching: int) -> None:
        label = VIEWS_BY_KEY[self.view].label
        flt = parse(self.filter_text)
        if flt:
            capped = "+" if getattr(self.queue.rows, "capped", False) else ""
            bar = Content.assemble((label, "bold"), f" · {matching}{capped} of {in_view} match")
        else:
            bar = Content.assemble((label, "bold"), f" · {in_view} tickets")
        if self.queue.marked:
            bar = bar + Content.styled(f" · {len(self.queue.marked)} marked", "bold $accent")
        for note in flt.notes:
            bar = bar + Content(" · ") + line(note, "$text-warning")
        view_bar = self.query_one("#view-bar", Static)
        width = view_bar.content_region.width
        shown = view_bar.content
        one_row = bar.cell_length <= width and \
            (shown.cell_length if isinstance(shown, Content) else 0) <= width
        view_bar.update(bar, layout=not one_row)  # a keystroke's count: no layout of the screen
