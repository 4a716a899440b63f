"""Ticket and customer text is data: markup-looking text shows literally everywhere,
control characters show as symbols, and nothing in it can run an action."""

from textual.command import CommandPalette
from textual.widgets import Input

from tui.screens import ComposeScreen, TagsScreen

from .conftest import HOSTILE, fresh, ready, screen_text, until


async def test_subjects_show_literally_in_queue_and_detail(make_app, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        for ticket_id, subject in HOSTILE.items():
            await ready(pilot, ticket_id)
            assert screen_text(app).count(subject) >= 2  # queue, detail (and past tickets)
        text = screen_text(app)  # T-6's message, as written (and maybe wrapped)
        assert "Printer says {error} [red]PC" in text and "LETTER[/red]" in text
        await ready(pilot, "T-5")
        await pilot.press("escape", "enter")  # a "[@click=app.quit]" subject is not a link
        assert app.is_running


async def test_control_characters_are_visible(make_app, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot, "T-8")
        text = screen_text(app)
        assert "Bell␇ and ␛[31mescape" in text
        assert "NUL␀ here␍and a lone CR" in text
        assert "\x1b" not in text and "\x07" not in text


async def test_customer_text_in_the_customer_pane(make_app, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot, "T-6")
        if size[0] < 110:
            await pilot.press("c")
        await until(pilot, lambda: "{ticket.id} [b]Brace[/b]" in screen_text(app))
        assert "Curly {Co}" in screen_text(app)
        assert screen.ticket.id == "T-6"


async def test_notifications_show_user_text_literally(make_app, data_dir):
    app = make_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await ready(pilot, "T-4")
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, TagsScreen))
        app.screen.query_one(Input).value = "[/] [b]x"
        await pilot.press("enter")
        await until(pilot, lambda: "[/]" in fresh(data_dir, "T-4").tags)
        await until(pilot, lambda: "tags +[/] +[b]x" in screen_text(app))


async def test_palette_shows_subjects_literally(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"oops")
        await until(pilot, lambda: "T-4 oops [/]" in screen_text(app))
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"click")
        await until(pilot, lambda: "T-5 [@click=app.quit]x" in screen_text(app))


async def test_a_forged_ticket_id_from_another_desk_shows_as_symbols(make_app, data_dir, store):
    """A group member appends a well-formed journal line whose ticket id carries terminal
    escapes; the running desk picks it up live and shows the id as symbols, never raw."""
    from tui.core.store import TinyDBStore

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "T-4")
        intruder = TinyDBStore(data_dir, agent="mallory")
        try:
            doc = intruder.get_ticket("T-4").to_doc()
            doc["id"] = "T-99\x1b]0;pwned\x07\x1b[2J"
            doc["subject"] = "forged one"
            with intruder._lock.exclusive():
                intruder._active.commit([("tickets", "99", doc)])
        finally:
            intruder.close()
        await until(pilot, lambda: "forged one" in screen_text(app), timeout=8)
        text = screen_text(app)
        assert "\x1b" not in text and "\x07" not in text
        assert "T-99␛]0;pwned␇" in text
        app.screen.open_ticket(doc["id"])  # it cannot be read: refused in a line, never obeyed
        await until(pilot, lambda: "cannot be shown" in screen_text(app))
        text = screen_text(app)
        assert "\x1b" not in text and "\x07" not in text
        assert app.screen.ticket is None  # no key acts on T-4 while the cursor is on T-99
        await pilot.press("r")
        assert not isinstance(app.screen, ComposeScreen)
        assert app.is_running
