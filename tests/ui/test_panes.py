"""The detail and customer panes, drawn as lines: the thread in order with its kinds, long
bodies wrapped and scrollable, the header's presence and draft lines, the ticket's history,
past tickets, and threads too large to lay out at once."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson
import pytest

from tui.app import DeskApp
from tui.core.drafts import Draft
from tui.core.presence import Presence
from tui.core.store import TinyDBStore
from tui.ui.messages import PresenceChanged
from tui.widgets import TicketDetail

from .conftest import AGENT, ready, screen_text, until

KIND_LABELS = ["Customer", "Public reply", "Internal note", "Call log"]


def detail_rows(app) -> list[str]:
    """The lines the detail pane paints in its view (what the agent reads there)."""
    detail = app.screen_stack[0].query_one(TicketDetail)
    return [detail.render_line(y).text.rstrip()
            for y in range(detail.scrollable_content_region.height)]


def shown(app) -> str:
    """The detail pane's lines as one text, wrapped words joined again."""
    return " ".join(" ".join(detail_rows(app)).split())


def bar_colour(detail: TicketDetail, label: str):
    """The colour of the bar beside the message titled `label`, as painted."""
    for y in range(detail.scrollable_content_region.height):
        strip = detail.render_line(y)
        if label in strip.text:
            first = next(segment for segment in strip if segment.text.strip())
            assert first.text.startswith("▎")
            return first.style.color
    raise AssertionError(f"{label!r} is not in view")


async def test_thread_in_order_with_kinds(make_app, store, size):
    start = datetime.now(timezone.utc) - timedelta(minutes=5)
    store.append_message("T-2", kind="public_reply", body="Tarkistan raportin.")
    store.append_message("T-2", kind="internal_note", body="Raportti puuttuu tietokannasta.")
    store.append_message("T-2", kind="call_log", body="Soitin asiakkaalle.",
                         call_start=start, call_end=start + timedelta(seconds=185))
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot, "T-2")
        screen.set_focus(screen.detail)
        text = shown(app)
        while "Soitin asiakkaalle." not in text:  # the small terminal: scroll on
            await pilot.press("pagedown")
            text += " " + shown(app)
        bodies = ["Nu văd raportul de vânzări.", "Tarkistan raportin.",
                  "Raportti puuttuu tietokannasta.", "Soitin asiakkaalle."]
        positions = [text.index(body) for body in bodies]
        assert positions == sorted(positions)
        titles = [text.index(label + " ·") for label in KIND_LABELS]
        assert titles == sorted(titles)
        assert "call 3:05" in text
        # each kind its own bar colour
        await pilot.press("home")
        colours = set()
        for label in KIND_LABELS:
            while label + " ·" not in shown(app):
                await pilot.press("down")
            colours.add(bar_colour(screen.detail, label + " ·"))
        assert len(colours) == 4


async def test_long_body_wraps_and_scrolls(make_app, store, size):
    words = " ".join(f"sana{n:04d}" for n in range(1500))
    store.append_message("T-3", kind="public_reply", body=f"ALKU {words} LOPPU")
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot, "T-3")
        rows = detail_rows(app)
        width = screen.detail.content_region.width
        assert all(len(row) <= width for row in rows)
        assert not any("LOPPU" in row for row in rows)
        wrapped = [row for row in rows if "sana0" in row]
        assert len(wrapped) >= 3  # the body goes on over several rows, word by word
        assert all(row.split()[-1].startswith("sana") for row in wrapped[:-1])
        screen.set_focus(screen.detail)
        await pilot.press("end")
        await until(pilot, lambda: any("LOPPU" in row for row in detail_rows(app)))
        await pilot.press("home")
        await until(pilot, lambda: any("Kundetilfredshed" in row for row in detail_rows(app)))


async def test_header_shows_presence_and_draft(make_app, data_dir, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot, "T-1")
        assert "also here" not in shown(app)
        bob = Presence(agent="bob", pid=1, ticket="T-1", state="replying", since=time.time())
        screen.post_message(PresenceChanged([bob]))
        await until(pilot, lambda: "also here: bob (replying)" in shown(app))
        app.drafts.save(Draft(ticket="T-2", kind="public_reply", body="Hei Ion"))
        screen.open_ticket("T-2")
        await until(pilot, lambda: "✎ unsent draft: r/i/l opens it" in shown(app))
        assert "also here" not in shown(app)  # bob is on T-1


async def test_ticket_history_toggles_with_the_thread(make_app, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot, "T-1")
        assert "Keitin vuotaa vettä pöydälle." in shown(app)
        await pilot.press("h")
        await until(pilot, lambda: "Ticket history" in shown(app))
        text = shown(app)
        assert "created the ticket" in text and "Keitin vuotaa vettä" not in text
        assert "Kahvinkeitin vuotaa" in text  # the header stays
        await pilot.press("h")
        await until(pilot, lambda: "Keitin vuotaa vettä" in shown(app))
        assert not screen.detail.showing_audit


async def test_past_tickets_listed_and_enter_opens_one(make_app, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot, "T-1")
        if size[0] < 110:
            await pilot.press("c")
        await until(pilot, lambda: "T-9 Vanha kysymys" in screen_text(app))
        assert "T-7 Tilauksen toimitus" in screen_text(app)
        past = screen.query_one("#past-tickets")
        past.focus()
        while past.highlighted_id != "T-9":
            await pilot.press("j")
        await until(pilot, lambda: "· closed ·" in screen_text(app))  # (cut when narrow)
        await pilot.press("k")
        assert past.highlighted_id == "T-7"
        await pilot.press("enter")
        await until(pilot, lambda: screen.ticket.id == "T-7")
        await until(pilot, lambda: "Missä tilaukseni on?" in shown(app))
        assert screen.detail.has_focus


async def test_new_message_below_is_pointed_out(make_app, store, size):
    for n in range(12):
        store.append_message("T-3", kind="public_reply", body=f"Vastaus {n}.")
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot, "T-3")
        other = TinyDBStore(store.data_dir, agent="ola")
        try:
            other.append_message("T-3", kind="customer_message", body="Uusi viesti!",
                                 author="Kari Nordmann", author_kind="customer")
        finally:
            other.close()
        await until(pilot, lambda: len(screen.detail.shown_messages()) == 14)
        await until(pilot, lambda: "▼ new message below" in screen_text(app))
        screen.set_focus(screen.detail)
        await pilot.press("end")
        await until(pilot, lambda: "Uusi viesti!" in shown(app))
        assert "▼ new message below" not in screen_text(app)


@pytest.fixture
def big_store(data_dir: Path) -> Path:
    """T-2 with 2,000 messages and T-3 with a 1 MB body, written into the store's snapshot."""
    store = TinyDBStore(data_dir, agent=AGENT)
    store.compact()
    store.close()
    snapshot = orjson.loads((data_dir / "store.json").read_bytes())
    tickets = snapshot["tickets"]
    thread = tickets["2"]
    first = thread["messages"][0]
    thread["messages"] = [
        {**first, "id": f"{first['id'][:-6]}{n:06d}", "body": f"Viesti {n}: " + "sana " * (n % 40),
         "kind": ("customer_message", "public_reply", "internal_note")[n % 3]}
        for n in range(2000)]
    thread["messages"][-1]["body"] = "Viimeinen viesti [b]literal[/b]"
    big = tickets["3"]
    big["messages"][0]["body"] = ("x" * 70 + " ") * 13_000 + "LOPPU [/]"
    (data_dir / "store.json").write_bytes(orjson.dumps(snapshot))
    return data_dir


async def test_two_thousand_messages_open_and_end_reaches_the_last(big_store, config_path, size):
    store = TinyDBStore(big_store, agent=AGENT)
    try:
        app = DeskApp(store, agent=AGENT, config_path=config_path)
        async with app.run_test(size=size) as pilot:
            screen = await ready(pilot, "T-2")
            assert len(screen.detail.shown_messages()) == 2000
            assert "Viesti 0:" in shown(app)
            screen.set_focus(screen.detail)
            await pilot.press("end")
            await until(pilot, lambda: "Viimeinen viesti [b]literal[/b]" in
                        shown(app))
            for _ in range(3):
                await pilot.press("pageup")
            await until(pilot, lambda: "Viimeinen viesti" not in shown(app))
            numbers = [int(n) for n in re.findall(r"Viesti (\d+):", shown(app))]
            assert numbers and numbers[0] > 1900  # near the end, every message in order
            assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
            # a 1 MB body opens too, shown literally, its end one key away
            screen.open_ticket("T-3")
            await until(pilot, lambda: screen.ticket.id == "T-3")
            await until(pilot, lambda: "xxxxxxxx" in shown(app))
            await pilot.press("end")
            await until(pilot, lambda: "LOPPU [/]" in shown(app))
    finally:
        store.close()


async def test_resizing_wraps_the_thread_again(make_app, store):
    store.append_message("T-3", kind="public_reply", body=" ".join(["pitkä"] * 60) + " LOPPU")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot, "T-3")
        wide = detail_rows(app)
        await pilot.resize_terminal(80, 24)
        await until(pilot, lambda: detail_rows(app) != wide and screen.detail.region.width > 0)
        await pilot.pause()
        width = screen.detail.scrollable_content_region.width
        assert all(len(row) <= width for row in detail_rows(app))
        screen.set_focus(screen.detail)
        await pilot.press("end")
        await until(pilot, lambda: "LOPPU" in shown(app))
        assert shown(app).count("pitkä") >= 10  # the body, wrapped for the new width
