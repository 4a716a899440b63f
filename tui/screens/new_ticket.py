"""A new ticket from the keyboard: find the customer as you type (name, email or phone) or
add one, then channel, who opened it, product, subject and the first message. ctrl+s
creates it; for a customer's phone call the call log opens at once, its timer running
from when this form opened (the call was already on)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from ..core.customer_find import find_customers
from ..core.models import BCP47, Customer, Product, TicketChannel, format_ts
from ..ui.bindings import bindings
from ..ui.text import line, one_line

NEW = "+new"
SOURCES = [("the customer (they called or wrote)", "customer"), ("me (an outbound contact)", "agent")]


class CustomerInput(Input):
    """The customer search box: up and down move through the matches below it."""

    BINDINGS = [("down", "move(1)", "Next match"), ("up", "move(-1)", "Previous match")]

    def action_move(self, step: int) -> None:
        matches = self.screen.query_one("#matches", OptionList)
        if matches.option_count:
            current = matches.highlighted if matches.highlighted is not None else -step
            matches.highlighted = max(0, min(matches.option_count - 1, current + step))


@dataclass(frozen=True)
class NewTicket:
    """What the form gathered; `customer` is an id, or None with `new_customer` set."""

    customer: str | None
    new_customer: dict[str, str] | None
    channel: str
    source: str
    product: str | None
    subject: str
    body: str
    opened_at: str  # when the form opened: a phone call's start


class NewTicketScreen(ModalScreen[NewTicket | None]):
    BINDINGS = [*bindings("Dialogs", exclude=("dialog.down", "dialog.up")), *bindings("New ticket")]

    def __init__(self, customers: list[Customer], products: list[Product]) -> None:
        super().__init__()
        self.customers, self.products = customers, products
        self.chosen: Customer | None = None
        self.adding = False
        self.opened_at = format_ts(datetime.now(timezone.utc))

    def compose(self) -> ComposeResult:
        key = self.app.key_for
        with VerticalScroll(classes="dialog -new-ticket"):
            yield Static(Content.styled("New ticket", "bold"), classes="dialog-title")
            yield CustomerInput(placeholder="customer: name, email or phone (↑↓ Enter picks)",
                                id="customer", compact=True)
            yield OptionList(id="matches")
            with Horizontal(id="new-customer", classes="-hidden"):
                yield Input(placeholder="name", id="name", compact=True)
                yield Input(placeholder="email", id="email", compact=True)
                yield Input(placeholder="phone", id="phone", compact=True)
                yield Input("en", placeholder="language", id="language", compact=True)
            yield Static(Content(""), id="chosen")
            with Horizontal(classes="-pair"):
                yield Select([(c.value.replace("_", " "), c.value) for c in TicketChannel], value="phone",
                             allow_blank=False, id="channel", compact=True)
                yield Select(SOURCES, value="customer", allow_blank=False, id="source", compact=True)
            yield Select([(one_line(p.name), p.id) for p in self.products], prompt="product (none)",
                         id="product", compact=True)
            yield Input(placeholder="subject", id="subject", compact=True)
            yield TextArea(id="body", soft_wrap=True)
            yield Static(Content.assemble((key("new.create"), "bold"), " creates   ",
                                          (key("dialog.close"), "bold"), " cancels"),
                         id="new-hint")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#body", TextArea).border_title = "first message: what the customer said"
        self.query_one("#customer", Input).focus()

    # -- the customer ----------------------------------------------------------
    @on(Input.Changed, "#customer")
    def _typed(self, event: Input.Changed) -> None:
        matches = find_customers(self.customers, event.value, limit=6)
        options = [Option(Content.assemble(line(c.name, "bold"), "  ",
                                           line(" · ".join(filter(None, [c.email, c.phone, c.id])),
                                                "$text-muted")), id=c.id) for c in matches]
        if event.value.strip():
            options.append(Option(Content.assemble(("+ new customer: ", "$text-accent"),
                                                   line(event.value.strip())), id=NEW))
        matches = self.query_one("#matches", OptionList)
        matches.set_options(options)
        matches.highlighted = 0 if options else None

    @on(Input.Submitted, "#customer")
    def _highlighted_match(self) -> None:
        matches = self.query_one("#matches", OptionList)
        if matches.option_count:
            self._pick(matches.get_option_at_index(matches.highlighted or 0).id)

    @on(OptionList.OptionSelected, "#matches")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._pick(event.option.id)

    def _pick(self, option_id: str | None) -> None:
        typed = self.query_one("#customer", Input).value.strip()
        self.adding = option_id == NEW
        self.chosen = next((c for c in self.customers if c.id == option_id), None)
        self.query_one("#new-customer").set_class(not self.adding, "-hidden")
        if self.adding:
            name = self.query_one("#name", Input)
            if "@" in typed:
                self.query_one("#email", Input).value = typed
            elif typed.lstrip("+").replace(" ", "").replace("-", "").isdigit():
                self.query_one("#phone", Input).value = typed
            else:
                name.value = typed
            name.focus()
            shown = Content.styled("a new customer", "$text-accent")
        elif self.chosen is not None:
            self.query_one("#channel", Select).focus()
            shown = Content.assemble("customer ", line(self.chosen.name, "bold"), f" {self.chosen.id}")
        else:
            return
        self.query_one("#chosen", Static).update(shown)

    # -- creating ---------------------------------------------------------------
    def action_create(self) -> None:
        problem = self._problem()
        if problem:
            self.notify(problem, severity="warning", markup=False)
            return
        new_customer = None
        if self.adding:
            new_customer = {"name": self._value("name"), "email": self._value("email"),
                            "phone": self._value("phone"), "language": self._value("language") or "en"}
        product = self.query_one("#product", Select).value
        self.dismiss(NewTicket(
            customer=self.chosen.id if self.chosen and not self.adding else None,
            new_customer=new_customer, channel=str(self.query_one("#channel", Select).value),
            source=str(self.query_one("#source", Select).value),
            product=product if isinstance(product, str) else None, subject=self._value("subject"),
            body=self.query_one("#body", TextArea).text.strip(), opened_at=self.opened_at))

    def _value(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value.strip()

    def _problem(self) -> str:
        if not self.adding and self.chosen is None:
            return "Pick the customer first (type a name, email or phone, then Enter)."
        if self.adding and not self._value("name"):
            return "The new customer needs a name."
        if self.adding and not BCP47.match(self._value("language") or "en"):
            return f"{self._value('language')!r} is not a language tag (e.g. en, nb-NO)."
        if self.adding and self._value("email") and "@" not in self._value("email"):
            return f"{self._value('email')!r} is not an email address."
        if not self._value("subject"):
            return "The ticket needs a subject."
        return ""

    def action_close(self) -> None:
        self.dismiss(None)
