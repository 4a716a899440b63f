"""Flags and links from the keyboard: `x` flags a ticket spam / test / not L1 resolvable (and
again clears it), `L` links it to an earlier ticket of the same customer as a repeat or a
follow-up. The ticket shows it, the event log has it, and the metrics count it."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from tui.core.eventlog import EVENTS_FILE
from tui.core.metrics import MetricsConfig, compute, read_event_files
from textual.widgets import OptionList

from tui.screens.pickers import PickerScreen

from .conftest import events, fresh, ready, screen_text, until


async def choose(pilot, app, option_id: str) -> None:
    await until(pilot, lambda: isinstance(app.screen, PickerScreen))
    picker = app.screen
    ids = [key for key, _ in picker.options]
    await pilot.pause()
    steps = ids.index(option_id) - (picker.query_one(OptionList).highlighted or 0)
    for _ in range(abs(steps)):
        await pilot.press("down" if steps > 0 else "up")
    await pilot.press("enter")
    await until(pilot, lambda: app.screen is not picker)


def metrics(data_dir) -> dict:
    log = read_event_files([data_dir / EVENTS_FILE])[0]
    return compute(log, MetricsConfig(), datetime.now(timezone.utc) + timedelta(days=8))["tickets"]


async def test_flag_spam_then_clear_it(make_app, data_dir, size):
    app = make_app()
    spam = app.store.insert_ticket(customer="C-3", subject="WIN A PRIZE", body="click here").id
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot, spam)
        await pilot.press("x")
        await choose(pilot, app, "spam")
        await until(pilot, lambda: fresh(data_dir, spam).flags == ["spam"])
        await until(pilot, lambda: "flag spam" in screen_text(app))
        assert metrics(data_dir)[spam]["flags"] == ["spam"]
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, PickerScreen))
        assert "✓ spam" in screen_text(app)
        await choose(pilot, app, "spam")
        await until(pilot, lambda: fresh(data_dir, spam).flags == [])
        await until(pilot, lambda: "flag spam" not in screen_text(app))
        assert screen.ticket.flags == []
    assert [e["data"]["value"] for e in events(data_dir, spam, "mark")] == [True, False]
    assert metrics(data_dir)[spam]["flags"] == []


async def test_link_a_repeat_to_the_customers_earlier_ticket(make_app, data_dir, size):
    app = make_app()
    store = app.store
    first = store.insert_ticket(customer="C-5", subject="Monitor flickers", body="It flickers.")
    store.append_message(first.id, kind="public_reply", body="Update the firmware.")
    store.update_ticket(first.id, {"status": "solved"}, expected_rev=store.get_ticket(first.id).rev)
    time.sleep(0.01)  # a repeat contact comes after the solve, not in its millisecond (§B.3.5)
    again = store.insert_ticket(customer="C-5", subject="Still flickering", body="Again.").id
    async with app.run_test(size=size) as pilot:
        await ready(pilot, again)
        await pilot.press("L")
        await until(pilot, lambda: isinstance(app.screen, PickerScreen))
        assert "Monitor flickers" in screen_text(app)
        await choose(pilot, app, first.id)
        await choose(pilot, app, "repeat")
        await until(pilot, lambda: fresh(data_dir, again).link is not None)
        await until(pilot, lambda: f"repeat of {first.id}" in screen_text(app))
        await pilot.press("L")
        await until(pilot, lambda: "already repeat of" in " ".join(
            str(n.message) for n in app._notifications))
    (event,) = events(data_dir, again, "link_repeat")
    assert event["data"] == {"original": first.id, "kind": "repeat"}
    facts = metrics(data_dir)[first.id]
    assert facts["fcr_team"] == "not_fcr", facts
    assert "repeat_contact" in str(facts), facts


async def test_no_earlier_ticket_to_link_says_so(make_app, data_dir):
    app = make_app()
    solo = app.store.insert_customer(name="Solo Caller").id
    alone = app.store.insert_ticket(customer=solo, subject="First time", body="Hello.").id
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, alone)
        await pilot.press("L")
        await until(pilot, lambda: "no earlier ticket" in " ".join(
            str(n.message) for n in app._notifications))
        assert not isinstance(app.screen, PickerScreen)


async def test_merge_a_duplicate_into_the_customers_open_ticket(make_app, data_dir, size):
    app = make_app()
    store = app.store
    target = store.insert_ticket(customer="C-4", subject="Printer offline", body="It is offline.").id
    duplicate = store.insert_ticket(customer="C-4", subject="Printer still offline",
                                    body="Same printer, wrote again.").id
    async with app.run_test(size=size) as pilot:
        await ready(pilot, duplicate)
        await pilot.press("M")
        await choose(pilot, app, target)
        await until(pilot, lambda: "no undo" in screen_text(app))
        await choose(pilot, app, "merge")
        await until(pilot, lambda: fresh(data_dir, duplicate).merged_into == target)
        await until(pilot, lambda: app.screen.ticket is not None and app.screen.ticket.id == target)
        await until(pilot, lambda: "Same printer, wrote again." in screen_text(app))
    assert fresh(data_dir, duplicate).status == "solved"
    (event,) = events(data_dir, duplicate, "merge")
    assert event["data"] == {"into": target}
    facts = metrics(data_dir)
    assert "merged" in str(facts[duplicate]), facts[duplicate]
    store.append_message(target, kind="public_reply", body="Restarted the print server.")
    store.update_ticket(target, {"status": "solved"}, expected_rev=store.get_ticket(target).rev)
    facts = metrics(data_dir)
    assert facts[target]["fcr_team"] == "fcr", facts[target]  # both contacts before h1 collapse


async def test_merge_asks_first_and_cancel_changes_nothing(make_app, data_dir):
    app = make_app()
    target = app.store.insert_ticket(customer="C-4", subject="A", body="a").id
    duplicate = app.store.insert_ticket(customer="C-4", subject="B", body="b").id
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, duplicate)
        await pilot.press("M")
        await choose(pilot, app, target)
        await choose(pilot, app, "cancel")
    assert fresh(data_dir, duplicate).merged_into is None
    assert not events(data_dir, duplicate, "merge")
