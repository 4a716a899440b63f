"""The `/` filter: free text, field terms, negation, accents, match count; and the views."""

from textual.events import Key

from tui.widgets import FilterInput, QueueList

from .conftest import events, notices, ready, screen_text, until


async def apply_filter(pilot, text: str) -> list[str]:
    screen = pilot.app.screen
    await pilot.press("slash")
    filter_input = screen.query_one(FilterInput)
    assert filter_input.has_focus
    filter_input.value = text
    await pilot.press("enter")
    panel = screen.queue_panel
    await until(pilot, lambda: panel.shown == (panel.view, text) and screen.query_one(QueueList).has_focus)
    return [row.id for row in screen.query_one(QueueList).rows]


FILTERS = [
    ("vanzari", ["T-2"]),  # vânzări, without the accents
    ("KUNDETILFREDSHED", ["T-3"]),
    ("lang:fi priority:urgent", ["T-1"]),
    ("lang:fi -priority:urgent", []),
    ("status:pending,new customer:nordmann", ["T-3", "T-8"]),
    ("assignee:me", ["T-3"]),
    ("assignee:none product:printer", ["T-4", "T-6"]),
    ("region:vestland -channel:phone", ["T-3"]),
    ("tag:leak", ["T-1"]),
    ('"[URGENT] printer"', ["T-6"]),
    ("oops [/", ["T-4"]),
]


async def test_filter_terms(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        for text, expected in FILTERS:
            assert sorted(await apply_filter(pilot, text)) == expected, text
            assert f"{len(expected)} of 7 match" in screen_text(app)


async def test_filter_count_and_unknown_field_at_both_sizes(make_app, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        assert await apply_filter(pilot, "colour:red") == []
        bar = str(app.screen.query_one("#view-bar").content)
        assert "0 of 7 match" in bar and "unknown field 'colour'" in bar
        assert "0 of 7 match" in screen_text(app)
        await pilot.press("slash", "escape")  # Escape clears the filter
        await until(pilot, lambda: len(app.screen.query_one(QueueList).rows) == 7)


VIEWS = [("1", {"T-3"}), ("2", {"T-1", "T-4", "T-5", "T-6", "T-8"}), ("4", {"T-1"}),
         ("5", {"T-3"}), ("6", {"T-7", "T-9"}), ("7", {f"T-{n}" for n in range(1, 10)}),
         ("3", {"T-1", "T-2", "T-3", "T-4", "T-5", "T-6", "T-8"})]


async def test_views(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        for key, expected in VIEWS:
            await pilot.press(key)
            await until(pilot, lambda: {r.id for r in screen.query_one(QueueList).rows} == expected)


async def test_a_burst_after_slash_runs_no_ticket_action(make_app, data_dir):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await ready(pilot)
        # all at once, as a paste delivers them; a, n and r are ticket keys on the queue
        for key, char in [("slash", "/"), *((c, c) for c in "vanzari"), ("enter", "\r")]:
            app._driver.send_message(Key(key, char).set_sender(app))
        await pilot.pause(0.5)
        assert app.screen is screen and not notices(app)
    assert not any(events(data_dir, f"T-{n}", "assign") for n in range(1, 10))


async def test_detail_pane_stays_while_typing_and_follows_on_enter(make_app, size):
    """Typing a filter narrows the list at once; the ticket shown does not jump with every
    keystroke, and Enter shows the ticket the cursor is on."""
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot)
        shown = screen.ticket.id
        await pilot.press("slash")
        await until(pilot, lambda: screen.query_one(FilterInput).has_focus)
        await pilot.press(*"kundetilfredshed")
        queue = screen.query_one(QueueList)
        await until(pilot, lambda: [row.id for row in queue.rows] == ["T-3"])
        await pilot.pause(0.1)
        assert shown != "T-3" and screen.ticket.id == shown
        await pilot.press("enter")
        await until(pilot, lambda: screen.ticket is not None and screen.ticket.id == "T-3")
        assert queue.has_focus


async def test_a_long_filter_scrolls_to_what_is_typed(make_app, size):
    """The filter line repaints without a layout per keystroke; a text longer than the line
    still scrolls so that the end being typed is in view."""
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await pilot.press("slash")
        await until(pilot, lambda: app.screen.query_one(FilterInput).has_focus)
        text = "customer:nordmann " * 5 + "zebra"
        await pilot.press(*text)
        await until(pilot, lambda: app.screen.query_one(FilterInput).value == text)
        await pilot.pause(0.1)
        assert "nordmann zebra" in screen_text(app)
