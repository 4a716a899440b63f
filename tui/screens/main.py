"""The workspace: queue | ticket detail | customer, kept in step with the store."""

from __future__ import annotations

import threading

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import get_current_worker

from ..core.audit import describe
from ..core.handling import HandlingClock
from ..core.models import Product, Ticket
from ..core.presence import marks
from ..core.store import StoreCorrupt
from ..core.store.base import CustomerHistory
from ..ui.bindings import bindings
from ..ui.messages import (
    STORE_ERRORS,
    AuditLoaded,
    CustomerLoaded,
    OpenTicket,
    PresenceChanged,
    StoreChanged,
    TicketChanged,
    TicketHighlighted,
    TicketLoaded,
)
from ..ui.text import one_line
from ..ui.textual_private import paint_now, vertical_scrollbar
from ..widgets import CustomerPane, QueuePanel, StatusBar, TicketDetail
from .bulk_actions import BulkActions
from .relations import RelationActions
from .sync_actions import SyncActions
from .palette import PROVIDERS
from .search import SearchScreen

READ_AHEAD_KEPT = 8
READ_AHEAD_AFTER_S = 0.05  # after the frame is written: the writer thread needs the GIL
TOO_SMALL = Content.assemble(
    ("Terminal too small", "bold $text-error"),
    "\n\ndesk needs at least 60 × 20 characters.\nMake the window larger, or press ctrl+q to quit.")


class MainScreen(SyncActions, RelationActions, BulkActions, Screen):
    HORIZONTAL_BREAKPOINTS = [(0, "-tiny"), (60, "-narrow"), (110, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (20, "-tall")]
    BINDINGS = [*bindings("Workspace"), *bindings("Ticket")]
    COMMANDS = PROVIDERS

    def __init__(self) -> None:
        super().__init__()
        self.ticket: Ticket | None = None  # in the detail pane
        self.wanted: str | None = None  # asked for, maybe still being read
        self.opened_aside: str | None = None  # the last ticket opened from a search
        # ticket id -> (store generation, what was read): the rows around the cursor
        self._read_ahead: dict[str, tuple[int, TicketLoaded]] = {}
        self.search_index_warmed = False  # the one background build has ended
        self._poll_wake: threading.Event | None = None
        self.clock = HandlingClock()

    def compose(self) -> ComposeResult:
        with Horizontal(id="workspace"):
            yield QueuePanel(id="queue-panel")
            yield TicketDetail(id="detail")
            yield CustomerPane(id="customer")
        yield Static(TOO_SMALL, id="too-small")
        yield StatusBar(self.app.agent, self.clock, id="status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.products: dict[str, Product] = {}  # read with the first ticket
        self.queue_panel.reload()
        self.set_focus(self.queue_panel.queue)
        self.queue_panel.queue.show_at_once = self.show_read_ahead
        if not self.app.store.loaded:  # the queue came from its summary; the store follows
            self.detail.show_waiting("Reading the store…")
        # After the first frame: the poll's first look reads the store if it is not yet
        # (the queue came from its summary), and that frame must not wait for it.
        self.call_after_refresh(self._poll, self.app.store.generation)
        self.app.presence.start(self)
        if self.app.store.loaded:
            self.refresh_sync_status()

    @property
    def queue_panel(self) -> QueuePanel:
        return self.query_one(QueuePanel)

    @property
    def detail(self) -> TicketDetail:
        return self.query_one(TicketDetail)

    # -- following the store ---------------------------------------------------
    @work(thread=True, exclusive=True, group="poll")
    def _poll(self, seen: int) -> None:
        """Stat the store every poll_seconds (less often while the agent is idle, see
        PollPace), or on PostgreSQL wait for a change to be heard; say so when its generation
        moves. The first look reads the store if it
        was opened from its queue summary."""
        worker = get_current_worker()
        store, busy, pace = self.app.store, self.app.config.poll_seconds, self.app.pace
        failing, warmed = "", False
        self._poll_wake = wake = pace.sleeper()
        # The first look comes at once: a store opened from its queue summary is read by it,
        # or was read since `seen` by the first ticket's read; its rows follow now, not
        # in the middle of the agent's first keys.
        while not worker.is_cancelled:
            wake.clear()
            opening = not store.loaded
            try:
                store.refresh()
            except STORE_ERRORS as exc:
                if opening and isinstance(exc, StoreCorrupt):
                    # what desk says at start about a broken store, and it ends
                    self.app.call_from_thread(self.app.refuse_store, str(exc))
                    return
                if str(exc) != failing:  # say it once, keep trying
                    failing = str(exc)
                    self.app.say(f"Cannot read the store: {exc}", "error")
            else:
                failing = ""
                if store.generation != seen:
                    seen = store.generation
                    self.post_message(StoreChanged(seen))
                if store.summary_due:  # once: the next start lists the queue before reading
                    store.save_queue_summary()
                if not warmed and store.loaded:  # once: the first search finds it ready
                    warmed = True
                    self._warm_search_index()
            if store.waits_for_changes:  # PostgreSQL: idle on its LISTEN socket till news
                store.wait_for_change(pace.interval(busy))
            else:
                wake.wait(pace.interval(busy))

    @work(thread=True, group="search-index")
    def _warm_search_index(self) -> None:
        """Build or catch up the shared search index once, beside the poll (a first build
        at 100k takes a while, and live updates must not wait for it)."""
        try:
            self.app.store.warm_search_index()
        except STORE_ERRORS:
            pass  # a search says why, when the agent asks for one
        finally:
            self.search_index_warmed = True

    def on_unmount(self) -> None:
        if self._poll_wake is not None:
            self._poll_wake.set()  # the poll sees it is cancelled now, not at its next look

    @on(StoreChanged)
    def _store_changed(self) -> None:
        if self.detail.waiting and self.app.store.loaded:
            self.detail.show_waiting(None)
        self.queue_panel.reload()
        if self.wanted is not None:
            self.load_ticket(self.wanted)
        self.refresh_sync_status()

    # -- the current ticket ------------------------------------------------------
    @on(TicketHighlighted)
    def _highlighted(self, event: TicketHighlighted) -> None:
        if event.ticket_id is None:
            if self.wanted is not None and self.wanted == self.opened_aside:
                return  # opened from a search, not from this queue: an empty queue keeps it
            self.wanted = None
            self._show_ticket(None, False)
        elif event.ticket_id != self.wanted:
            self.load_ticket(event.ticket_id)

    @on(OpenTicket)
    def open_ticket(self, event: OpenTicket | str) -> None:
        ticket_id = event if isinstance(event, str) else event.ticket_id
        self.set_class(False, "-show-customer")
        self.queue_panel.queue.move_to(ticket_id)
        self.load_ticket(ticket_id)
        self.set_focus(self.detail)

    def load_ticket(self, ticket_id: str) -> None:
        """Show `ticket_id` in the detail pane once it is read; a later call wins."""
        if not self.show_read_ahead(ticket_id):
            self.wanted = ticket_id
            self._read_ticket(ticket_id)

    def show_read_ahead(self, ticket_id: str) -> bool:
        """Show `ticket_id` now if it was read ahead (the rows around the cursor are) and
        the store has not moved since: the queue calls this as its cursor moves, so that the
        cursor and both panes are painted in one frame, with no worker to wait for."""
        ahead = self._read_ahead.get(ticket_id)
        if ahead is None or ahead[0] != self.app.store.peek_generation:
            return False
        self.wanted = ticket_id
        ticket, history = ahead[1].ticket, ahead[1].history
        self._ticket_loaded(TicketLoaded(ticket, self.app.drafts.path(ticket_id).exists(), history))
        return True

    def _read(self, ticket_id: str, *, quiet: bool = False) -> TicketLoaded | None:
        """In a worker: the ticket and its customer's history; errors said unless `quiet`."""
        try:
            self._read_products()
            ticket = self.app.store.get_ticket(ticket_id)
        except STORE_ERRORS as exc:
            if not quiet:
                self.app.say(str(exc), "error")
            return None
        try:
            history = self.app.store.customer_history(ticket.customer)
        except STORE_ERRORS as exc:
            if not quiet:
                self.app.say(str(exc), "error")
            history = None
        return TicketLoaded(ticket, self.app.drafts.path(ticket_id).exists(), history)

    @work(thread=True, exclusive=True, group="detail")
    def _read_ticket(self, ticket_id: str) -> None:
        loaded = self._read(ticket_id)
        if loaded is not None:
            self.post_message(loaded)
        else:
            self.app.call_from_thread(self._unreadable, ticket_id)

    def _unreadable(self, ticket_id: str) -> None:
        """The cursor's ticket could not be read (a damaged record, say): show no ticket,
        so that no key acts on the one shown before while the cursor is on this one. One shown
        already stays as last read (a lost server, say: changes are revision-checked anyway)."""
        if self.ticket is not None and self.ticket.id == ticket_id:
            return
        if ticket_id == self.wanted:
            self.detail.show_waiting(f"{one_line(ticket_id)} cannot be shown (see the message); "
                                     "`desk check` names what is wrong with it.")
            self._show_ticket(None, False)

    def _read_around(self) -> None:
        """After a ticket is shown: read the rows next to the cursor, so that the next Up or
        Down shows its ticket in the frame that moves the cursor (no worker to wait for)."""
        queue = self.queue_panel.queue
        rows, at = queue.rows, queue.cursor
        ids = [rows[i].id for i in (at + 1, at + 2, at - 1) if 0 <= i < len(rows)]
        generation = self.app.store.peek_generation
        wanted = [i for i in ids if self._read_ahead.get(i, (None,))[0] != generation]
        if wanted:
            self._read_ahead_worker(wanted, generation)

    @work(thread=True, exclusive=True, group="read-ahead")
    def _read_ahead_worker(self, ticket_ids: list[str], generation: int) -> None:
        worker = get_current_worker()
        for ticket_id in ticket_ids:
            if worker.is_cancelled:
                return
            loaded = self._read(ticket_id, quiet=True)  # a real read says its errors
            if loaded is not None:
                self._read_ahead[ticket_id] = (generation, loaded)
        while len(self._read_ahead) > READ_AHEAD_KEPT:
            self._read_ahead.pop(next(iter(self._read_ahead)), None)

    @on(TicketLoaded)
    def _ticket_loaded(self, event: TicketLoaded) -> None:
        if event.ticket.id != self.wanted:
            return  # read for a ticket the agent has since moved away from
        shown = self.ticket
        if shown and shown.id == event.ticket.id and shown.rev == event.ticket.rev \
                and self.detail.has_draft == event.has_draft:
            self.set_timer(READ_AHEAD_AFTER_S, self._read_around)  # the store moved: read again
            return
        self._show_ticket(event.ticket, event.has_draft, event.history)
        self._paint_now()
        self.set_timer(READ_AHEAD_AFTER_S, self._read_around)

    def _paint_now(self) -> None:
        """Paint the queue, the panes and the status bar now, in one frame (see paint_now)."""
        if not self.is_current:
            return
        panes = [self.queue_panel.queue, self.detail, *self.query_one(CustomerPane).children]
        bars = [bar for bar in map(vertical_scrollbar, panes) if bar is not None]
        paint_now(self, [*panes, *bars, self.query_one(StatusBar)])

    def _show_ticket(self, ticket: Ticket | None, has_draft: bool,
                     history: CustomerHistory | None = None) -> None:
        """Fill the detail pane, and the customer pane with `history` if it is the ticket's
        customer's (else it is read in a worker): in one handler, both in one frame."""
        previous, self.ticket = self.ticket, ticket
        product = self.products.get(ticket.product or "") if ticket else None
        self.detail.show(ticket, product.name if product else None, has_draft)
        self.clock.focus(ticket.id if ticket else None)
        self.app.presence.show(ticket.id if ticket else None)
        self.query_one(StatusBar).tick()  # painted with the panes (see _paint_now)
        if ticket is None:
            return
        self.detail.show_waiting(None)
        if self.detail.showing_audit and previous and previous.id == ticket.id:
            self.load_audit(ticket.id)
        if history is not None and history.customer.id == ticket.customer:
            self._show_customer(history)
        else:
            self.load_customer(ticket.customer)

    @on(TicketChanged)
    def _ticket_changed(self, event: TicketChanged) -> None:
        self.app.say(f"{event.ticket.id}: {event.what}")
        if event.ticket.id == self.wanted:
            self._show_ticket(event.ticket, self.app.drafts.path(event.ticket.id).exists())
        self.queue_panel.reload()

    @on(PresenceChanged)
    def _presence_changed(self, event: PresenceChanged) -> None:
        self.detail.show_presence(event.entries)
        self.queue_panel.queue.set_here(marks(event.entries))

    # -- customer and audit trail -----------------------------------------------
    def _read_products(self) -> None:
        """In a worker: the products, once (the store may not be read before)."""
        if not self.products:
            self.products = {p.id: p for p in self.app.store.products()}

    @work(thread=True, exclusive=True, group="customer")
    def load_customer(self, customer_id: str) -> None:
        try:
            self._read_products()
            history = self.app.store.customer_history(customer_id)
        except STORE_ERRORS as exc:
            self.app.say(str(exc), "error")
            return
        self.post_message(CustomerLoaded(history))

    @on(CustomerLoaded)
    def _customer_loaded(self, event: CustomerLoaded) -> None:
        self._show_customer(event.history)

    def _show_customer(self, history: CustomerHistory) -> None:
        self.query_one(CustomerPane).show(history, self.products)

    @work(thread=True, exclusive=True, group="audit")
    def load_audit(self, ticket_id: str) -> None:
        try:
            events = self.app.store.ticket_events(ticket_id)
        except (OSError, *STORE_ERRORS) as exc:
            self.app.say(f"Cannot read the ticket history: {exc}", "error")
            return
        self.post_message(AuditLoaded(ticket_id, [describe(e) for e in events]))

    @on(AuditLoaded)
    def _audit_loaded(self, event: AuditLoaded) -> None:
        if self.ticket and self.ticket.id == event.ticket_id:
            self.detail.show_audit(event.lines)

    # -- navigation ----------------------------------------------------------------
    def action_filter(self) -> None:
        self.queue_panel.open_filter()

    def action_search_everywhere(self, words: str = "") -> None:
        self.app.push_screen(SearchScreen(words), self._open_found)

    def _open_found(self, ticket_id: str | None) -> None:
        if ticket_id:
            self.opened_aside = ticket_id
            self.open_ticket(ticket_id)

    def action_view(self, key: str) -> None:
        self.set_view(key)

    def set_view(self, key: str) -> None:
        self.queue_panel.set_view(key)
        self.set_focus(self.queue_panel.queue)

    def action_toggle_customer(self) -> None:
        if self.has_class("-wide"):
            info = self.query_one("#customer-info")
            self.set_focus(self.queue_panel.queue if info.has_focus else info)
            return
        showing = not self.has_class("-show-customer")
        self.set_class(showing, "-show-customer")
        self.set_focus(self.query_one("#customer-info") if showing else self.detail)

    def show_customer(self, customer_id: str) -> None:
        self.load_customer(customer_id)
        self.set_class(not self.has_class("-wide"), "-show-customer")
        self.set_focus(self.query_one("#customer-info"))

    def action_toggle_audit(self) -> None:
        if self.ticket is None:
            return
        if self.detail.showing_audit:
            self.detail.hide_audit()
        else:
            self.load_audit(self.ticket.id)
        self.set_class(False, "-show-customer")
        self.set_focus(self.detail)

    def action_next_pane(self) -> None:
        self.focus_next()

    def action_previous_pane(self) -> None:
        self.focus_previous()

    def action_focus_queue(self) -> None:
        self.set_class(False, "-show-customer")
        self.detail.hide_audit()
        self.set_focus(self.queue_panel.queue)
