"""A store call that takes long (the first read of the archive, a compaction, a reload after
another desk compacted) is named in the status bar while it runs; the app stays responsive."""

import time

from tui.widgets import QueueList

from .conftest import ready, screen_text, until


async def test_a_slow_read_is_shown_while_it_runs_and_the_keys_still_work(make_app, store, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot)
        queue = screen.query_one(QueueList)
        slow_id = queue.rows[1].id
        real = store.get_ticket

        def get_ticket(ticket_id):
            if ticket_id == slow_id:
                time.sleep(1.5)
            return real(ticket_id)

        store.get_ticket = get_ticket
        screen._read_ahead.clear()  # read, not shown from what was read ahead
        await pilot.press("down")
        await until(pilot, lambda: "⏳ reading the store" in screen_text(app))
        await pilot.press("down")  # the queue still moves while the read goes on
        await until(pilot, lambda: queue.cursor == 2)
        await until(pilot, lambda: "⏳" not in screen_text(app))
