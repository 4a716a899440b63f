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
from ..text import line, unbroken

TREND = {"up": "↑ improving", "down": "↓ falling", "steady": "→ steady"}


def _field(name: str, value: Content | str) -> Content:
    value = value if isinstance(value, Content) else Content(unbroken(value))
    return Content.assemble((unbroken(name) + "\u00a0", "$text-muted"), value)


def profile(history: CustomerHistory) -> Content:
    c = history.customer
    return Content("\n").join([
        Content.assemble(line(c.name, "bold $accent"), ("  " + c.id, "$text-muted")),
        _field("company", line(c.company or "—")),
        _field("region", line(", ".join(x for x in (c.region, c.country) if x) or "—")),
        _field("language", line(c.language)) + Content("  ") + _field("tier", line(c.tier)),
        _field("customer since", humanize.local_date(c.customer_since)),
    ])


def loyalty_text(summary: Loyalty) -> Content:
    spend = ", ".join(unbroken(humanize.money(v, cur)) for cur, v in summary.spend.items()) or "—"
    if summary.repeat_buyer:
        buying = Content.assemble(unbroken(f"{summary.purchases} purchases") + " · ",
                                  (unbroken("repeat buyer"), "bold $text-success"))
    elif summary.purchases:
        buying = Content("1 purchase · one-time buyer")
    else:
        buying = Content.styled("no purchases", "$text-muted")
    csat = "no ratings"
    if summary.csat_avg is not None:
        csat = unbroken(f"{summary.csat_avg:.1f}/5 (n={summary.csat_n})")
        if summary.csat_trend:
            csat += " " + unbroken(TREND[summary.csat_trend])
    return Content("\n").join([
        Content.styled("Loyalty", "bold underline"),
        _field("tenure", humanize.tenure(summary.tenure_days)),
        buying,
        _field("lifetime spend", Content(spend)),
        _field("CSAT", Content(csat)),
    ])


def purchases_text(history: CustomerHistory, products: dict[str, Product]) -> Content:
    rows = [Content.styled(f"Purchases ({len(history.purchases)})", "bold underline")]
    for p in history.purchases:
        name = products[p.product].name if p.product in products else p.product
        rows.append(Content.assemble(line(name, "bold")))
        rows.append(Content.assemble(
            "  ", (humanize.local_date(p.date), "$text-muted"), " · ",
            unbroken(humanize.money(p.amount, p.currency)), " · ",
            unbroken(str(p.channel).replace("_", " "))))
    if not history.purchases:
        rows.append(Content.styled("none", "$text-muted"))
    return Content("\n").join(rows)


def past_ticket(ticket: Ticket) -> Content:
    rating = f"CSAT {ticket.satisfaction.score}" if ticket.satisfaction else "no CSAT"
    return Content("\n").join([
        Content.assemble((ticket.id, "bold"), " ", line(ticket.subject)),
        Content.assemble(("  " + humanize.local_date(ticket.created), "$text-muted"),
                         f" · {str(ticket.status).replace('_', ' ')} · ", line(outcome(ticket)),
                         f" · {rating}"),
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
            yield Static("No customer.", id="profile")
            yield Static(id="loyalty")
            yield Static(id="purchases")
        yield Static(Content.styled("Past tickets (Enter opens)", "bold underline"),
                     id="past-title")
        yield PastTickets(id="past-tickets")

    def show(self, history: CustomerHistory, products: dict[str, Product]) -> None:
        same = history.customer.id == self.customer_id
        self.customer_id = history.customer.id
        summary = loyalty(history.customer, history.purchases, history.tickets,
                          datetime.now(timezone.utc))
        self.query_one("#profile", Static).update(profile(history))
        self.query_one("#loyalty", Static).update(loyalty_text(summary))
        self.query_one("#purchases", Static).update(purchases_text(history, products))
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
