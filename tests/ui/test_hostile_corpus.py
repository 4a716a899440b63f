"""The hostile corpus (tests/hostile_corpus.py) shows literally everywhere a person reads it:
the queue, the ticket detail, the customer pane, the palette, pickers, notifications, the
composer, the why and report screens, at 80×24 and at 120×40. What is checked is the exported
SVG screenshot: the item's visible form is in the right pane, and no control character a
terminal could obey is in the SVG at all. The app stays alive and keeps answering keys.

One app per test and size; each test walks every item (one ticket per item), and collects
what is missing so a failure names every item and place at once.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.widgets import OptionList
from textual.widgets._toast import Toast

from tests.hostile_corpus import (AGENT, BIG_BODY_END, BIG_BODY_TICKET, ITEMS, LAST_MESSAGE,
                                  LONG_SUBJECT, LONG_SUBJECT_TICKET,
                                  THREAD_LENGTH, THREAD_TICKET, Item, build_corpus_store,
                                  control_characters, customer_id, macros_toml,
                                  number, ticket_id)
from tui.core.store import TinyDBStore

from .conftest import SIZES, region_rows, until

OPEN_S = 60.0  # a large ticket may take a while to open; this is only a bound on "hung"


_FRAME = {code: None for code in range(0x2500, 0x25A0)}  # box drawing, blocks: borders, scrollbars


def squash(text: str) -> str:
    """Without whitespace and pane borders: text wrapped over rows still matches. (No corpus
    item has a box-drawing or block character.)"""
    return "".join(text.translate(_FRAME).split())


@pytest.fixture(scope="module")
def corpus_store(tmp_path_factory) -> Path:
    return build_corpus_store(tmp_path_factory.mktemp("corpus") / "data")


@pytest.fixture
def desk(corpus_store, tmp_path):
    """`desk(large=...)`: a DeskApp on a fresh copy of the corpus store (or on a store with
    the given large tickets), with a macro per item."""
    from tui.app import DeskApp

    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir()
    config.write_text('theme = "textual-dark"\n')
    (config.parent / "macros.toml").write_text(macros_toml(), encoding="utf-8")
    stores = []

    def make(large: tuple[str, ...] = ()) -> DeskApp:
        data = tmp_path / "data"
        if large:
            build_corpus_store(data, large)
        else:
            shutil.copytree(corpus_store, data)
        store = TinyDBStore(data, agent=AGENT)
        stores.append(store)
        return DeskApp(store, agent=AGENT, config_path=config)
    yield make
    for store in stores:
        store.close()


class Screenshot:
    """One exported screenshot, read by region."""

    def __init__(self, app) -> None:
        self.app = app
        self.svg = app.export_screenshot()
        leaked = control_characters(self.svg)
        assert not leaked, f"raw control characters in the screenshot: {sorted(map(hex, map(ord, leaked)))}"

    def rows(self, widget=None) -> list[str]:
        region = widget.region if widget is not None else self.app.screen.region
        if widget is not None:
            region = region.intersection(widget.screen.region)
        return region_rows(self.svg, region)

    def text(self, widget=None) -> str:
        return "\n".join(self.rows(widget))

    def count(self, shown: str, widget=None) -> int:
        return squash(self.text(widget)).count(squash(shown))


def prefix_shown(rows: list[str], start: str, shown: str, least: int) -> bool:
    """A row where `start` is followed (after spaces) by `shown`, or by at least `least`
    characters of it and an ellipsis: a truncated cell."""
    for row in rows:
        at = row.find(start)
        if at < 0:
            continue
        rest = row[at + len(start):].lstrip(" ")
        if rest.startswith(shown):
            return True
        cut = rest.split("…")[0] if "…" in rest else ""
        if len(cut) >= min(least, len(shown)) and shown.startswith(cut):
            return True
    return False


async def open_ticket(pilot, ticket: str, timeout: float = 5.0):
    """Open `ticket` and wait until its thread is on screen."""
    screen = pilot.app.screen
    await until(pilot, lambda: screen.queue_panel.shown is not None, timeout)
    # as conftest.ready: opened before the first ticket is shown, the queue does not scroll
    # to the cursor (a start-up race in tui/widgets/queue.py, not about the corpus)
    await until(pilot, lambda: screen.ticket is not None, timeout)
    screen.open_ticket(ticket)
    await until(pilot, lambda: screen.ticket is not None and screen.ticket.id == ticket
                and screen.detail.shown_messages() == [m.id for m in screen.ticket.messages],
                timeout)
    await pilot.pause()
    return screen


def report(problems: list[str]) -> None:
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


# -- the panes -------------------------------------------------------------------------------


async def read_all(pilot, scroll) -> list[str]:
    """Page through a scrolling widget; the rows of its region on every page."""
    seen: list[str] = []
    scroll.scroll_home(animate=False)
    while True:
        await pilot.pause()
        seen += Screenshot(pilot.app).rows(scroll)
        if scroll.scroll_y >= scroll.max_scroll_y:
            return seen
        scroll.scroll_to(y=scroll.scroll_y + max(1, scroll.scrollable_content_region.height - 1),
                         animate=False, immediate=True)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
async def test_every_item_shows_literally_in_queue_detail_and_customer_pane(desk, size):
    app = desk()
    problems: list[str] = []
    narrow = size[0] < 110
    async with app.run_test(size=size) as pilot:
        for item in ITEMS:
            screen = await open_ticket(pilot, ticket_id(item))
            shot = Screenshot(app)
            where = f"{item.id} ({ticket_id(item)})"
            queue = shot.rows(screen.queue_panel.queue)
            if not prefix_shown(queue, f"{ticket_id(item)} ", item.line, 15):
                problems.append(f"{where}: subject not in the queue row: {queue}")
            if narrow and not prefix_shown(queue, item.line[:15], item.line, 10) and \
                    sum(row.count(item.line[:10]) for row in queue if ticket_id(item) in row) < 2:
                problems.append(f"{where}: customer not in the queue row: {queue}")
            header = screen.detail  # the header, then the thread, in one view
            # the subject, the product, the assignee and the tag
            if shot.count(item.line, header) < 4:
                problems.append(f"{where}: header shows it {shot.count(item.line, header)}× of 4:"
                                f" {shot.rows(header)}")
            thread = screen.detail
            body = "\n".join(item.rows)
            # the first message: its author and body, on their own rows when multi-line
            if shot.count(item.line, thread) < 1 or shot.count(body, thread) < 1 or \
                    not all(any(row in r for r in shot.rows(thread)) for row in item.block):
                problems.append(f"{where}: message not shown: {shot.rows(thread)}")
            if not narrow:
                check_customer(shot, screen, item, problems)
        if narrow:  # the customer pane in place of the detail: the cursor walks the queue
            await pilot.press("c")
            for item in ITEMS:
                screen.queue_panel.queue.move_to(ticket_id(item))
                pane = screen.query_one("#customer")
                await until(pilot, lambda: pane.customer_id == customer_id(item))
                await pilot.pause()
                check_customer(Screenshot(app), screen, item, problems)
            await pilot.press("c")
        await pilot.press("down", "up")
        assert app.is_running and screen.ticket is not None
    report(problems)


def check_customer(shot: Screenshot, screen, item: Item, problems: list[str]) -> None:
    # name, company and region in full; the subject in the past tickets, cut with "…" when the
    # list is narrower than it (as in the queue)
    pane = screen.query_one("#customer")
    rows = shot.rows(pane)
    if shot.count(item.line, pane) < 3:
        problems.append(f"{item.id}: customer pane shows it {shot.count(item.line, pane)}× of 3: "
                        f"{rows}")
    if not prefix_shown(rows, f"{ticket_id(item)} ", item.line, 10):
        problems.append(f"{item.id}: not in the customer's past tickets: {rows}")


# -- palette, pickers, notifications ----------------------------------------------------------


def shown_title(item: Item) -> str:
    """How the item's macro title (`macro_title`) shows on one row."""
    return f"{item.line} #{number(item)}"


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
async def test_palette_shows_ticket_customer_and_macro_hits_literally(desk, size):
    app = desk()
    problems: list[str] = []
    async with app.run_test(size=size) as pilot:
        await open_ticket(pilot, ticket_id(ITEMS[0]))
        seen: list[str] = []
        for query in ("t-1", "c-1", "#1"):  # every corpus ticket, customer, macro
            await pilot.press("ctrl+p")
            await until(pilot, lambda: isinstance(app.screen, CommandPalette))
            await pilot.press(*query)
            hits = app.screen.query_one(OptionList)
            await until(pilot, lambda: hits.option_count >= len(ITEMS))
            seen += await read_all(pilot, hits)
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, CommandPalette))
        for item in ITEMS:
            for start, shown in ((f"{ticket_id(item)} ", item.line),
                                 ("Customer: ", item.line),
                                 ("Macro: ", shown_title(item))):
                if not prefix_shown(seen, start, shown, 15):
                    problems.append(f"{item.id}: no palette hit {start}{shown!r}")
        assert app.is_running
    report(problems)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
async def test_macro_picker_shows_every_macro_name_literally(desk, size):
    app = desk()
    async with app.run_test(size=size) as pilot:
        screen = await open_ticket(pilot, ticket_id(ITEMS[0]))
        await pilot.press("m")
        await until(pilot, lambda: app.screen is not screen)
        seen = await read_all(pilot, app.screen.query_one(OptionList))
        report([f"{item.id}: not in the macro picker: {shown_title(item)!r}" for item in ITEMS
                if not prefix_shown(seen, "", shown_title(item), 20)])
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)


WIDE = ("zwj", "emoji-modifiers")  # two-cell characters
@pytest.mark.parametrize("size, group", [
    pytest.param((80, 24), "narrow", id="80x24-narrow-characters"),
    pytest.param((80, 24), "wide", id="80x24-wide-characters"),
    pytest.param((120, 40), "narrow", id="120x40-narrow-characters"),
    pytest.param((120, 40), "wide", id="120x40-wide-characters"),
])
async def test_notifications_show_macro_names_literally(desk, size, group):
    items = [item for item in ITEMS if (item.id in WIDE) == (group == "wide")]
    app = desk()
    problems: list[str] = []
    async with app.run_test(size=size, notifications=True) as pilot:
        screen = await open_ticket(pilot, ticket_id(ITEMS[0]))
        batch = 3  # toasts on screen at once
        for first in range(0, len(items), batch):
            app.clear_notifications()
            for n, item in enumerate(items[first:first + batch], 1):  # one after the other
                screen.run_macro(f"corpus-{number(item)}")  # as the picker or the palette does
                await until(pilot, lambda: len(app._notifications) >= n)
            await pilot.pause()
            shot = Screenshot(app)
            shown = [squash(shot.text(toast)) for toast in app.screen.query(Toast)]
            problems += [f"no toast {toast!r} in {shown}"
                         for toast in (f"{ticket_id(ITEMS[0])}: macro {shown_title(item)}: status → "
                                       "pending" for item in items[first:first + batch])
                         if not any(squash(toast) in text for text in shown)]
        assert app.is_running
    report(problems)


# -- screens ----------------------------------------------------------------------------------


# The why screen and the composer show the same one-line and multi-line forms as the panes; each
# is walked at one size (the file stays under a minute): why at 80×24, the composer at 120×40.
@pytest.mark.parametrize("size", [(80, 24)], ids=["80x24"])
async def test_why_screen_shows_subject_and_agents_literally(desk, size):
    from tui.screens.why import WhyScreen

    app = desk()
    problems: list[str] = []
    async with app.run_test(size=size) as pilot:
        screen = await open_ticket(pilot, ticket_id(ITEMS[0]))
        await pilot.press("w")  # as the key opens it for the ticket shown
        await until(pilot, lambda: isinstance(app.screen, WhyScreen))
        for item in ITEMS:  # then each item's, one over the other (cheaper than going back)
            why = WhyScreen(app.store.get_ticket(ticket_id(item)))
            app.push_screen(why)
            await until(pilot, lambda: any("Handle time" in str(body.render())
                                           for body in why.query("#why-body")))
            await pilot.pause()
            shot = Screenshot(app)
            # the subject in the title; the agent who replied and solved it: first handler,
            # first resolver (and in its session row, truncated to 12 cells)
            if shot.count(item.line, why) < 3:
                problems.append(f"{item.id}: why shows it {shot.count(item.line, why)}× of 3: "
                                f"{shot.rows(why)}")
        for _ in range(len(ITEMS) + 1):
            await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        assert app.is_running
    report(problems)


@pytest.mark.parametrize("size", [(120, 40)], ids=["120x40"])
async def test_composer_shows_subject_and_the_customer_message_literally(desk, size):
    from tui.core.drafts import Draft
    from tui.screens.compose import ComposeScreen

    app = desk()
    problems: list[str] = []
    async with app.run_test(size=size) as pilot:
        screen = await open_ticket(pilot, ticket_id(ITEMS[0]))
        await pilot.press("r")  # as the key opens it on the ticket shown
        await until(pilot, lambda: isinstance(app.screen, ComposeScreen))
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        for item in ITEMS:
            # then on each item's ticket (without showing each ticket first)
            ticket = app.store.get_ticket(ticket_id(item))
            composer = ComposeScreen(ticket, Draft(ticket.id, "public_reply", seen=ticket.to_doc()),
                                     app.drafts, None)
            app.push_screen(composer)
            await until(pilot, lambda: app.screen is composer)
            await pilot.pause()
            shot = Screenshot(app)
            dialog = composer.query_one("#composer")
            # the subject in the title, the customer message's author and its body
            if shot.count(item.line, dialog) < 2 or shot.count("\n".join(item.rows), dialog) < 1:
                problems.append(f"{item.id}: composer: {shot.rows(dialog)}")
            app.pop_screen()
        await until(pilot, lambda: app.screen is screen)
        assert app.is_running
    report(problems)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
async def test_report_screen_lists_products_and_regions_literally(desk, size):
    from textual.containers import VerticalScroll
    from textual.widgets import Static

    from tui.screens.report import LABEL_WIDTH, ReportScreen

    app = desk()
    problems: list[str] = []
    async with app.run_test(size=size) as pilot:
        await open_ticket(pilot, ticket_id(ITEMS[0]))
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ReportScreen))
        report_screen = app.screen
        segments = report_screen.query_one("#report-segments", Static)
        scroll = report_screen.query_one("#report", VerticalScroll)
        for slice_ in ("product", "region"):
            await pilot.press("s")
            await until(pilot, lambda: f"By {slice_}," in str(segments.render()), 10)
            seen: list[str] = []
            scroll.scroll_home(animate=False)
            while True:  # page through the report, reading what is on screen
                await pilot.pause()
                seen += Screenshot(app).rows(scroll)
                if scroll.scroll_y >= scroll.max_scroll_y:
                    break
                scroll.scroll_to(y=scroll.scroll_y + scroll.size.height - 1, animate=False)
            for item in ITEMS:
                if not prefix_shown(seen, "  ", item.line, LABEL_WIDTH - 1):
                    problems.append(f"{item.id}: no {slice_} row: {item.line!r}")
        await pilot.press("escape")
        assert app.is_running
    report(problems)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
async def test_help_over_a_hostile_ticket_shows_no_control_characters(desk, size):
    """The help screen shows bindings only (no ticket, customer or macro text): over the
    ticket with the most escapes it opens, scrolls and closes; the screenshot stays clean."""
    from tui.screens.help import HelpScreen

    app = desk()
    async with app.run_test(size=size) as pilot:
        screen = await open_ticket(pilot, "T-108")  # OSC 52
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        Screenshot(app)
        await pilot.press("down", "down", "escape")
        await until(pilot, lambda: app.screen is screen)
        assert "␛]52;c;" in Screenshot(app).text(screen.detail)


# -- the large items ----------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
async def test_a_10k_subject_shows_its_start_and_the_app_answers(desk, size):
    app = desk(large=("long-subject",))
    async with app.run_test(size=size) as pilot:
        screen = await open_ticket(pilot, LONG_SUBJECT_TICKET, OPEN_S)
        shot = Screenshot(app)
        assert prefix_shown(shot.rows(screen.queue_panel.queue), f"{LONG_SUBJECT_TICKET} ",
                            LONG_SUBJECT, 15)
        header = squash(shot.text(screen.detail))
        assert squash(LONG_SUBJECT_TICKET + LONG_SUBJECT[:200]) in header
        await pilot.press("escape", "down")
        await until(pilot, lambda: screen.ticket.id != LONG_SUBJECT_TICKET)
        assert app.is_running


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
async def test_a_2000_message_thread_opens_and_end_reaches_the_last_message(desk, size):
    app = desk(large=("thread",))
    async with app.run_test(size=size) as pilot:
        screen = await open_ticket(pilot, THREAD_TICKET, OPEN_S)
        assert "message 1 of 2000" in Screenshot(app).text(screen.detail)
        assert len(screen.ticket.messages) == THREAD_LENGTH
        await pilot.press("end")
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        assert LAST_MESSAGE in Screenshot(app).text(screen.detail)
        await pilot.press("escape", "down")
        await until(pilot, lambda: screen.ticket.id != THREAD_TICKET, OPEN_S)
        assert app.is_running


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
async def test_a_1mb_body_opens_and_end_reaches_its_last_line(desk, size):
    app = desk(large=("big-body",))
    async with app.run_test(size=size) as pilot:
        screen = await open_ticket(pilot, BIG_BODY_TICKET, OPEN_S)
        assert "line 00001 of a long export body" in Screenshot(app).text(screen.detail)
        await pilot.press("end")
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        assert BIG_BODY_END in Screenshot(app).text(screen.detail)
        await pilot.press("escape", "down")
        await until(pilot, lambda: screen.ticket.id != BIG_BODY_TICKET, OPEN_S)
        assert app.is_running

