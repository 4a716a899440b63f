"""Search everywhere (issue 16 item 4): from the queue (`F`, or ctrl+e in the `/` filter) and
from the palette, a closed ticket is found by an accented word typed without accents, and opens."""

from textual.command import CommandPalette
from textual.widgets import Input, OptionList

from tui.screens.search import SearchScreen

from .conftest import ready, screen_text, until


def close_t2(store) -> None:
    """T-2 is "Raport vânzări lipsă", its thread "Nu văd raportul de vânzări."."""
    store.update_ticket("T-2", {"status": "closed", "resolution_code": "answered"},
                        expected_rev=store.get_ticket("T-2").rev)


async def results(pilot) -> OptionList:
    box = pilot.app.screen.query_one("#search-results", OptionList)
    await until(pilot, lambda: box.option_count > 0)
    return box


async def test_search_from_the_queue_finds_and_opens_a_closed_ticket(make_app, store, size):
    close_t2(store)
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot, "T-1")
        assert all(row.id != "T-2" for row in screen.queue_panel.queue.rows)  # not in the queue
        await pilot.press("F")
        await until(pilot, lambda: isinstance(app.screen, SearchScreen))
        await pilot.press(*"VAD vanzari")
        box = await results(pilot)
        assert [box.get_option_at_index(i).id for i in range(box.option_count)] == ["T-2"]
        text = screen_text(app)
        assert "T-2" in text and "closed" in text and "Raport vânzări" in text
        assert "raportul" in text  # the words around the match
        await pilot.press("down", "enter")
        await until(pilot, lambda: screen.ticket is not None and screen.ticket.id == "T-2")
        assert screen.ticket.status == "closed"


async def test_filter_hands_its_words_to_search_everywhere(make_app, store, size):
    close_t2(store)
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot, "T-1")
        await pilot.press("slash", *"vanzari", "ctrl+e")
        await until(pilot, lambda: isinstance(app.screen, SearchScreen))
        assert app.screen.query_one(Input).value == "vanzari"
        await results(pilot)
        await pilot.press("enter", "enter")
        await until(pilot, lambda: screen.ticket is not None and screen.ticket.id == "T-2")


async def test_nothing_found_says_so(make_app, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot, "T-1")
        await pilot.press("F", *"zzzyx")
        await until(pilot, lambda: "no ticket has these words" in screen_text(app))
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, SearchScreen))


async def test_palette_finds_and_opens_a_closed_ticket(make_app, store, size):
    close_t2(store)
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot, "T-1")
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        app.screen.query_one(Input).value = "raportul vanzari"
        commands = app.screen.query_one("CommandList", OptionList)

        def found() -> int | None:
            for i in range(commands.option_count):
                if "T-2 closed" in str(commands.get_option_at_index(i).prompt):
                    return i
            return None

        await until(pilot, lambda: found() is not None)
        commands.highlighted = found()
        await pilot.press("enter")
        await until(pilot, lambda: screen.ticket is not None and screen.ticket.id == "T-2")
        assert screen.ticket.status == "closed"


async def test_the_app_builds_the_shared_index_in_the_background(make_app, data_dir, size):
    index = data_dir / "search-index.sqlite"
    assert not index.exists()
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot, "T-1")
        await until(pilot, index.exists)  # before any search: the first one finds it ready
