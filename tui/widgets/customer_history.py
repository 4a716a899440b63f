"""The customer pane: profile, loyalty at a glance, purchases and past tickets."""

from __future__ import annotations

from datetime import datetime, timezone

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from ..core import humanize
from ..core.loyalty import Loyalty, loyalty, outcome
from ..core.models import Product, TicketFields
from ..core.store.base import CustomerHistory
from ..ui.bindings import bindings
from ..ui.messages import OpenTicket
from ..ui.text import line
from .document import Block, Document, blank, cut_block, lines_block
from .flow import Line, flow_lines

NO_CUSTOMER = Content("No customer.")
TREND = {"up": "↑ improving", "down": "↓ falling", "steady": "→ steady"}


def _field(name: str, value: Content | str) -> Line:
    """A label and its value: the value moves under the label when both do not fit."""
    value = value if isinstance(value, Content) else Content(value)
    return [Content.styled(name, "$text-muted"), value]


def profile(history: CustomerHistory) -> list[Line]:
    c = history.customer
    return [
        [line(c.name, "bold $accent"), Content.styled(c.id, "$text-muted")],
        _field("company", line(c.company or "—")),
        _field("region", line(", ".join(x for x in (c.region, c.country) if x) or "—")),
        _field("language", line(c.language)),
        _field("tier", line(c.tier)),
        _field("customer since", humanize.local_date(c.customer_since)),
    ]


def loyalty_lines(summary: Loyalty) -> list[Line]:
    if summary.repeat_buyer:
        buying = [Content(f"{summary.purchases} purchases ·"),
                  Content.styled("repeat buyer", "bold $text-success")]
    elif summary.purchases:
        buying = [Content("1 purchase ·"), Content("one-time buyer")]
    else:
        buying = [Content.styled("no purchases", "$text-muted")]
    csat = [Content("no ratings")]
    if summary.csat_avg is not None:
        csat = [Content(f"{summary.csat_avg:.1f}/5 (n={summary.csat_n})")]
        if summary.csat_trend:
            csat.append(Content(TREND[summary.csat_trend]))
    amounts = [humanize.money(v, cur) for cur, v in summary.spend.items()] or ["—"]
    spend = [Content(a + ("," if n < len(amounts) - 1 else "")) for n, a in enumerate(amounts)]
    return [
        [Content.styled("Loyalty", "bold underline")],
        _field("tenure", humanize.tenure(summary.tenure_days)),
        buying,
        [Content.styled("lifetime spend", "$text-muted"), *spend],
        [Content.styled("CSAT", "$text-muted"), *csat],
    ]


def purchase_lines(history: CustomerHistory, products: dict[str, Product]) -> list[Line]:
    lines: list[Line] = [[Content.styled(f"Purchases ({len(history.purchases)})", "bold underline")]]
    for p in history.purchases:
        name = products[p.product].name if p.product in products else p.product
        lines.append([line(name, "bold")])
        lines.append([Content.styled("  " + humanize.local_date(p.date), "$text-muted"),
                      Content("· " + (humanize.money(p.amount, p.currency)
                                      if p.amount is not None and p.currency else "amount unknown")),
                      *([Content("· " + str(p.channel).replace("_", " "))] if p.channel else [])])
    if not history.purchases:
        lines.append([Content.styled("none", "$text-muted")])
    return lines


def past_ticket(ticket: TicketFields) -> Content:
    status = str(ticket.status).replace("_", " ")
    ended = outcome(ticket)
    facts = [status] + ([ended] if ended not in (str(ticket.status), "open") else [])
    facts.append(f"CSAT {ticket.satisfaction.score}" if ticket.satisfaction else "no CSAT")
    return Content("\n").join([
        Content.assemble((ticket.id, "bold"), " ", line(ticket.subject)),
        Content.assemble(("  " + humanize.local_date(ticket.created), "$text-muted"), " · ",
                         line(" · ".join(facts))),
    ])


class PastTickets(Document, can_focus=True):
    """The customer's tickets, two lines each, with a cursor; Enter opens one."""

    COMPONENT_CLASSES = {"past--cursor", "past--cursor-blurred"}
    BINDINGS = bindings("Past tickets")

    cursor: reactive[int | None] = reactive(None, repaint=False)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ticket_ids: list[str] = []
        self._tickets: list[TicketFields] = []

    def show(self, tickets: list[TicketFields], cursor: int | None) -> None:
        self._tickets = tickets
        self.ticket_ids = [t.id for t in tickets]
        self.set_reactive(PastTickets.cursor, self.validate_cursor(cursor))
        self._show(top=cursor is None)

    def _show(self, top: bool) -> None:
        focused = self.has_focus
        blocks = []
        for n, ticket in enumerate(self._tickets):
            style = ("past--cursor" if focused else "past--cursor-blurred") \
                if n == self.cursor else ""
            blocks.append(cut_block(lambda ticket=ticket: past_ticket(ticket).split("\n"), 2,
                                    style=style))
        self.set_blocks(blocks, top=top)
        self._scroll_to_cursor()

    @property
    def highlighted_id(self) -> str | None:
        return self.ticket_ids[self.cursor] if self.cursor is not None else None

    def validate_cursor(self, value: int | None) -> int | None:
        if not self.ticket_ids:
            return None
        return max(0, min(value or 0, len(self.ticket_ids) - 1)) if value is not None else None

    def watch_cursor(self) -> None:
        self._show(top=False)

    def _scroll_to_cursor(self) -> None:
        if self.cursor is None:
            return
        start, end = self.block_start(self.cursor), self.block_start(self.cursor + 1)
        view = self.scrollable_content_region.height
        if start < self.scroll_y:
            self.scroll_to(y=start, animate=False)
        elif end > self.scroll_y + view:
            self.scroll_to(y=end - view, animate=False)

    def _on_focus(self, event: events.Focus) -> None:
        super()._on_focus(event)
        if self.cursor is None and self.ticket_ids:
            self.cursor = 0
        else:
            self._show(top=False)

    def _on_blur(self, event: events.Blur) -> None:
        super()._on_blur(event)
        self._show(top=False)

    def action_cursor_down(self) -> None:
        self.cursor = 0 if self.cursor is None else self.cursor + 1

    def action_cursor_up(self) -> None:
        self.cursor = 0 if self.cursor is None else self.cursor - 1

    def action_select(self) -> None:
        if self.highlighted_id:
            self.post_message(OpenTicket(self.highlighted_id))

    def on_click(self, event: events.Click) -> None:
        y = int(self.scroll_y) + event.y
        for n in range(len(self.ticket_ids)):
            if self.block_start(n) <= y < self.block_start(n + 1):
                self.cursor = n
                if event.chain > 1:
                    self.action_select()


class CustomerInfo(Document, can_focus=True):
    """Profile, loyalty and purchases as one line-API view."""

    BINDINGS = bindings("Ticket and customer panes")

    def show(self, history: CustomerHistory | None, products: dict[str, Product],
             top: bool) -> None:
        if history is None:
            self.set_blocks([lines_block(lambda width: [NO_CUSTOMER])], top=True)
            return
        summary = loyalty(history.customer, history.purchases, history.tickets,
                          datetime.now(timezone.utc))
        sections = (profile(history), loyalty_lines(summary), purchase_lines(history, products))
        blocks: list[Block] = []
        for section in sections:
            if blocks:
                blocks.append(blank())
            blocks.extend(lines_block(lambda width, parts=parts: flow_lines(parts, width, " "),
                                      size=sum(part.cell_length + 1 for part in parts))
                          for parts in section)
        self.set_blocks(blocks, top=top)


class CustomerPane(Vertical):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.customer_id: str | None = None

    def compose(self) -> ComposeResult:
        yield CustomerInfo(id="customer-info")
        yield Static(Content.styled("Past tickets (Enter opens)", "bold underline"),
                     id="past-title")
        yield PastTickets(id="past-tickets")

    def on_mount(self) -> None:
        self.query_one(CustomerInfo).show(None, {}, top=True)

    def show(self, history: CustomerHistory, products: dict[str, Product]) -> None:
        same = history.customer.id == self.customer_id
        self.customer_id = history.customer.id
        self.query_one(CustomerInfo).show(history, products, top=not same)
        past = self.query_one(PastTickets)
        past.show(history.tickets, past.cursor if same else None)

    def text(self) -> str:
        """Profile, loyalty and purchases as laid out, plain (for tests)."""
        return "\n".join(self.query_one(CustomerInfo).lines())
