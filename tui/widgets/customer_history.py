"""The customer pane: profile, loyalty at a glance, purchases and past tickets."""

from __future__ import annotations

from datetime import datetime, timezone

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ..bindings import bindings
from ..core import humanize
from ..core.loyalty import Loyalty, loyalty, outcome
from ..core.models import Product, Ticket
from ..core.store.base import CustomerHistory
from ..messages import OpenTicket
from ..text import line
from .flow import Flow, Line

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
                      Content("· " + humanize.money(p.amount, p.currency)),
                      Content("· " + str(p.channel).replace("_", " "))])
    if not history.purchases:
        lines.append([Content.styled("none", "$text-muted")])
    return lines


def past_ticket(ticket: Ticket) -> Content:
    status = str(ticket.status).replace("_", " ")
    ended = outcome(ticket)
    facts = [status] + ([ended] if ended not in (str(ticket.status), "open") else [])
    facts.append(f"CSAT {ticket.satisfaction.score}" if ticket.satisfaction else "no CSAT")
    return Content("\n").join([
        Content.assemble((ticket.id, "bold"), " ", line(ticket.subject)),
        Content.assemble(("  " + humanize.local_date(ticket.created), "$text-muted"), " · ",
                         line(" · ".join(facts))),
    ])


class PastTickets(OptionList):
    BINDINGS = bindings("Past tickets")


class CustomerInfo(VerticalScroll, can_focus=True):
    BINDINGS = bindings("Ticket and customer panes")


class CustomerPane(Vertical):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.customer_id: str | None = None

    def compose(self) -> ComposeResult:
        with CustomerInfo(id="customer-info"):
            yield Flow([[Content("No customer.")]], gap=" ", id="profile")
            yield Flow(gap=" ", id="loyalty")
            yield Flow(gap=" ", id="purchases")
        yield Static(Content.styled("Past tickets (Enter opens)", "bold underline"),
                     id="past-title")
        yield PastTickets(id="past-tickets")

    def show(self, history: CustomerHistory, products: dict[str, Product]) -> None:
        same = history.customer.id == self.customer_id
        self.customer_id = history.customer.id
        summary = loyalty(history.customer, history.purchases, history.tickets,
                          datetime.now(timezone.utc))
        self.query_one("#profile", Flow).set_lines(profile(history))
        self.query_one("#loyalty", Flow).set_lines(loyalty_lines(summary))
        self.query_one("#purchases", Flow).set_lines(purchase_lines(history, products))
        past = self.query_one(PastTickets)
        highlighted = past.highlighted if same else None
        past.set_options(Option(past_ticket(t), id=t.id) for t in history.tickets)
        if highlighted is not None and highlighted < len(history.tickets):
            past.highlighted = highlighted
        if not same:
            self.query_one(CustomerInfo).scroll_home(animate=False)

    @on(OptionList.OptionSelected, "#past-tickets")
    def _open(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(OpenTicket(event.option.id))
