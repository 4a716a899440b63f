"""Help with the keys in force, keymap remaps, the palette's providers, the audit trail,
past tickets, pane switching, and the theme that persists."""

import tomllib

from textual.command import CommandPalette
from textual.widgets import Input, OptionList

from tui.core.textfold import fold
from tui.screens import ComposeScreen, HelpScreen
from tui.widgets import QueueList, TicketDetail

from .conftest import events, fresh, notices, ready, screen_text, until


async def test_help_lists_bindings_with_remaps(make_app, config_path, size):
    config_path.write_text('theme = "textual-dark"\n[keymap]\n"ticket.reply" = "R"\n"nope.x" = "z"\n')
    app = make_app()
    async with app.run_test(size=size, notifications=True) as pilot:
        await ready(pilot, "T-1")
        assert any("has no binding 'nope.x'" in n for n in notices(app))
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        help_text = "\n".join(str(s.content) for s in app.screen.query(".help-scope"))
        assert "ticket.reply (remapped)" in help_text and "ticket.take_next" in help_text
        reply_line = next(line for line in help_text.splitlines() if "ticket.reply" in line)
        assert reply_line.startswith("R ")
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, HelpScreen))
        await pilot.press("r")  # no longer bound
        await pilot.pause()
        assert not isinstance(app.screen, ComposeScreen)
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, ComposeScreen))


async def palette(pilot, query: str) -> None:
    await pilot.press("ctrl+p")
    await until(pilot, lambda: isinstance(pilot.app.screen, CommandPalette))
    pilot.app.screen.query_one(Input).value = query
    commands = pilot.app.screen.query_one("CommandList", OptionList)
    await until(pilot, lambda: commands.option_count and fold(query.split()[-1])
                in fold(str(commands.get_option_at_index(0).prompt)))
    await pilot.pause(0.2)  # let the search finish, so the first hit stays first
    commands.highlighted = 0
    await pilot.press("enter")
    await until(pilot, lambda: not isinstance(pilot.app.screen, CommandPalette))


async def test_palette_opens_tickets_views_statuses_macros_customers(make_app, data_dir, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot)
        await palette(pilot, "T-5")
        await until(pilot, lambda: screen.ticket.id == "T-5")
        await palette(pilot, "oppfolging")  # accents folded: oppfølging
        await until(pilot, lambda: screen.ticket.id == "T-3")
        await palette(pilot, "status: on hold")
        await until(pilot, lambda: fresh(data_dir, "T-3").status == "on_hold")
        await palette(pilot, "Macro: Ask for")
        await until(pilot, lambda: isinstance(app.screen, ComposeScreen))
        await pilot.press("escape")
        await palette(pilot, "unassigned")
        await until(pilot, lambda: screen.queue_panel.shown == ("unassigned", ""))
        await until(pilot, lambda: screen.ticket.id == screen.queue_panel.queue.rows[0].id)
        await palette(pilot, "popescu")
        await until(pilot, lambda: screen.query_one("CustomerPane").customer_id == "C-2")
    assert events(data_dir, "T-3", "status_change")[-1]["data"]["to"] == "on_hold"


async def test_audit_trail_is_one_key_away(make_app, store, data_dir, size):
    store.update_ticket("T-1", {"assignee": "ola"}, expected_rev=store.get_ticket("T-1").rev)
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot, "T-1")
        await pilot.press("h")
        await until(pilot, lambda: screen.detail.showing_audit)
        text = screen.detail.audit_text()
        assert "created the ticket (email, urgent)" in text
        assert "assigned nobody → ola" in text
        await pilot.press("h")
        assert not screen.detail.showing_audit


async def test_past_ticket_opens_with_enter(make_app, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot, "T-1")
        await pilot.press("c")
        past = screen.query_one("#past-tickets")
        await until(pilot, lambda: len(past.ticket_ids) == 3)
        past.focus()
        while past.highlighted_id != "T-9":
            await pilot.press("j")
        await pilot.press("enter")  # T-9 is closed: it comes from the archive
        await until(pilot, lambda: screen.ticket.id == "T-9")
        assert screen.ticket.status == "closed"
        assert screen.query_one(TicketDetail).has_focus


async def test_tab_moves_between_panes_and_vim_keys_move_the_cursor(make_app, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot)
        queue = screen.query_one(QueueList)
        assert queue.has_focus and queue.cursor == 0
        await pilot.press("j", "j", "k", "down")
        assert queue.cursor == 2
        await pilot.press("G")
        assert queue.cursor == len(queue.rows) - 1
        await pilot.press("g", "tab")
        assert screen.query_one(TicketDetail).has_focus
        await pilot.press("escape")
        assert queue.has_focus


async def test_theme_choice_persists(make_app, config_path):
    config_path.write_text('# mine\ntheme = "textual-dark"\n\n[keymap]\n"ticket.note" = "N"\n')
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        app.theme = "ansi-light"
        await until(pilot, lambda: "ansi-light" in config_path.read_text())
    saved = tomllib.loads(config_path.read_text())
    assert saved == {"theme": "ansi-light", "keymap": {"ticket.note": "N"}}
    assert config_path.read_text().startswith("# mine\n")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert app.theme == "ansi-light"


async def test_no_color_is_honoured(make_app, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "T-1")
        assert app.no_color
        assert "Kahvinkeitin vuotaa" in screen_text(app)
