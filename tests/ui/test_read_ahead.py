"""Up and Down show a ticket read ahead in the frame that moves the cursor (issue 6)."""

from __future__ import annotations

from tui.core.store import TinyDBStore

from .conftest import AGENT, ready, screen_text, until


async def test_down_shows_the_next_ticket_without_waiting_for_a_read(make_app, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot)
        queue = screen.queue_panel.queue
        following = queue.rows[1]
        await until(pilot, lambda: screen.search_index_warmed)  # it may move the generation
        await until(pilot, lambda: screen._read_ahead.get(following.id, (None,))[0]
                    == app.store.peek_generation)
        reads: list[str] = []
        screen._read_ticket = reads.append  # a read in a worker would land here
        await pilot.press("down")
        assert screen.ticket is not None and screen.ticket.id == following.id and reads == []
        await pilot.pause()
        assert following.id in screen_text(app)


async def test_ahead_is_read_again_after_another_agent_changes_some_other_ticket(
        make_app, data_dir, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot)
        await until(pilot, lambda: screen.search_index_warmed)
        queue = screen.queue_panel.queue
        following, elsewhere = queue.rows[1], queue.rows[-1]
        seen = app.store.peek_generation
        other = TinyDBStore(data_dir, agent="bob")
        try:
            ticket = other.get_ticket(elsewhere.id)
            other.update_ticket(elsewhere.id, {"subject": "Changed by bob"}, ticket.rev)
        finally:
            other.close()
        await until(pilot, lambda: app.store.peek_generation != seen)
        await until(pilot, lambda: screen._read_ahead.get(following.id, (None,))[0]
                    == app.store.peek_generation)
        reads: list[str] = []
        screen._read_ticket = reads.append
        await pilot.press("down")
        assert screen.ticket is not None and screen.ticket.id == following.id and reads == []


async def test_a_ticket_read_ahead_is_not_shown_once_the_store_moved(make_app, data_dir, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot)
        queue = screen.queue_panel.queue
        following = queue.rows[1].id
        await until(pilot, lambda: screen.search_index_warmed)
        await until(pilot, lambda: following in screen._read_ahead)
        seen = app.store.peek_generation
        other = TinyDBStore(data_dir, agent="bob")
        try:
            ticket = other.get_ticket(following)
            other.update_ticket(following, {"subject": "Changed by bob"}, ticket.rev)
        finally:
            other.close()
        await until(pilot, lambda: app.store.peek_generation != seen)
        await pilot.press("down")
        await until(pilot, lambda: screen.ticket is not None and screen.ticket.id == following
                    and screen.ticket.subject == "Changed by bob")


async def test_down_past_the_bottom_moves_the_list_half_a_page(tmp_path, config_path):
    """The list is redrawn whole when it moves: once every half page, not on every Down."""
    from tui.app import DeskApp
    from tui.core.demo import generate

    generate(tmp_path / "big", tickets=300)
    store = TinyDBStore(tmp_path / "big", agent=AGENT)
    try:
        app = DeskApp(store, agent=AGENT, config_path=config_path)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await ready(pilot)
            queue = screen.queue_panel.queue
            visible = queue.scrollable_content_region.height - 1
            tops = []
            for _ in range(visible * 2):
                await pilot.press("down")
                tops.append(int(queue.scroll_y))
            assert tops[visible - 2] == 0  # the last row in view: nothing moved yet
            moves = [b - a for a, b in zip(tops, tops[1:]) if b != a]
            assert moves and all(m >= visible // 2 for m in moves)
            assert queue.cursor - int(queue.scroll_y) < visible  # the cursor stays in view
            for _ in range(visible * 2):
                await pilot.press("up")
            assert int(queue.scroll_y) == 0 and queue.cursor == 0
    finally:
        store.close()
