"""A new ticket from the keyboard (N): the customer is found as the agent types a name, an
email or a phone number, or added on the spot; a customer's phone call opens the call log at
once with its timer running from when the form opened, and solving it counts as FCR."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from textual.widgets import Input, OptionList, Select, TextArea

from tui.core.eventlog import EVENTS_FILE
from tui.core.metrics import MetricsConfig, compute, read_event_files
from tui.core.store import TinyDBStore
from tui.screens.compose import ComposeScreen
from tui.screens.new_ticket import NewTicketScreen
from tui.screens.pickers import PickerScreen

from .conftest import events, ready, screen_text, until


async def open_form(pilot, app) -> NewTicketScreen:
    await pilot.press("N")
    await until(pilot, lambda: isinstance(app.screen, NewTicketScreen))
    return app.screen


async def type_text(pilot, text: str) -> None:
    await pilot.press(*("space" if ch == " " else ch for ch in text))


def all_tickets(data_dir) -> dict:
    store = TinyDBStore(data_dir, agent="check")
    try:
        return {d["id"]: store.get_ticket(d["id"]) for d in store.ticket_docs(include_archive=True)}
    finally:
        store.close()


async def test_an_existing_customer_found_by_typing_part_of_the_name(make_app, data_dir, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        before = set(all_tickets(data_dir))
        form = await open_form(pilot, app)
        await type_text(pilot, "nov")
        await until(pilot, lambda: "Jana Nováková" in screen_text(app))
        await pilot.press("enter")  # the first match
        assert form.chosen is not None and form.chosen.id == "C-4"
        form.query_one("#channel", Select).value = "email"
        form.query_one("#subject", Input).value = "Printer jams on page 2"
        form.query_one("#body", TextArea).text = "It jams every time."
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, NewTicketScreen))
        await until(pilot, lambda: set(all_tickets(data_dir)) - before)
        (new_id,) = set(all_tickets(data_dir)) - before
        await until(pilot, lambda: app.screen.detail.ticket and app.screen.detail.ticket.id == new_id)
        assert "Printer jams on page 2" in screen_text(app)
    ticket = all_tickets(data_dir)[new_id]
    assert (ticket.customer, ticket.channel) == ("C-4", "email")
    assert ticket.messages[0].body == "It jams every time."
    (created,) = events(data_dir, new_id, "ticket_created")
    assert created["data"]["source"] == "customer" and created["data"]["channel"] == "email"


async def test_found_by_email_or_phone(make_app, data_dir):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        form = await open_form(pilot, app)
        await type_text(pilot, "c-5@exa")
        await until(pilot, lambda: "Mette Sørensen" in screen_text(app))
        options = form.query_one("#matches", OptionList)
        assert options.get_option_at_index(0).id == "C-5"


async def test_down_then_enter_picks_the_second_match(make_app, data_dir):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        form = await open_form(pilot, app)
        await type_text(pilot, "example.com")  # every customer's email
        await until(pilot, lambda: form.query_one("#matches", OptionList).option_count > 2)
        second = form.query_one("#matches", OptionList).get_option_at_index(1).id
        await pilot.press("down", "enter")
        assert form.chosen is not None and form.chosen.id == second


async def test_a_call_from_someone_new_is_created_logged_solved_and_first_contact_resolved(
        make_app, data_dir, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        before = set(all_tickets(data_dir))
        form = await open_form(pilot, app)
        await type_text(pilot, "Zoë Quinn")
        await until(pilot, lambda: "+ new customer: Zoë Quinn" in screen_text(app))
        await pilot.press("enter")  # no match: the only choice is a new customer
        assert form.adding and form.query_one("#name", Input).value == "Zoë Quinn"
        assert form.query_one("#channel", Select).value == "phone"  # a call is the default
        form.query_one("#email", Input).value = "zoe@example.org"
        form.query_one("#subject", Input).value = "Cannot pair the keyboard"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ComposeScreen))
        assert "on the call" in screen_text(app)  # the call log, its timer already running
        (new_id,) = set(all_tickets(data_dir)) - before
        await pilot.press("ctrl+r")  # hang up
        app.screen.query_one(TextArea).insert("Walked her through pairing; works now.")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, ComposeScreen))
        await until(pilot, lambda: all_tickets(data_dir)[new_id].messages[-1].kind == "call_log")
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, PickerScreen))
        app.screen.dismiss("solved")
        await until(pilot, lambda: all_tickets(data_dir)[new_id].status == "solved")
    ticket = all_tickets(data_dir)[new_id]
    store = TinyDBStore(data_dir, agent="check")
    try:
        customer = store.get_customer(ticket.customer)
    finally:
        store.close()
    assert (customer.name, customer.email, customer.language) == ("Zoë Quinn", "zoe@example.org", "en")
    call = ticket.messages[-1]
    assert call.call_start <= ticket.created + timedelta(seconds=1)  # from when the form opened
    log = read_event_files([data_dir / EVENTS_FILE])[0]
    doc = compute(log, MetricsConfig(), datetime.now(timezone.utc) + timedelta(days=8))
    assert doc["tickets"][new_id]["fcr_team"] == "fcr", doc["tickets"][new_id]


async def test_nothing_is_created_without_a_customer_a_subject_or_a_valid_language(make_app, data_dir):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        before = set(all_tickets(data_dir))
        form = await open_form(pilot, app)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any("Pick the customer" in n for n in _notices(app)))
        await type_text(pilot, "New Person")
        await until(pilot, lambda: "+ new customer" in screen_text(app))
        await pilot.press("enter")
        form.query_one("#language", Input).value = "not a tag"
        form.query_one("#subject", Input).value = "Hello"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any("not a language tag" in n for n in _notices(app)))
        assert isinstance(app.screen, NewTicketScreen)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, NewTicketScreen))
    assert set(all_tickets(data_dir)) == before


async def test_a_customer_name_with_markup_shows_literally(make_app, data_dir):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await open_form(pilot, app)
        await type_text(pilot, "brace")
        await until(pilot, lambda: "{ticket.id} [b]Brace[/b] Person" in screen_text(app))


def _notices(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_the_palette_starts_a_new_ticket(make_app, data_dir):
    from .test_keyboard import palette

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await palette(pilot, "new ticket")
        await until(pilot, lambda: isinstance(app.screen, NewTicketScreen))
