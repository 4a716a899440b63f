"""Another process writes to the store: the queue follows within 2 s, the cursor stays put."""

import time

from tui.core.store import TinyDBStore

from .conftest import ready, until


async def test_other_writers_show_up_and_the_cursor_stays(make_app, data_dir, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot)
        queue = screen.queue_panel.queue
        await pilot.press("j", "j")
        await until(pilot, lambda: screen.ticket and screen.ticket.id == queue.highlighted_id)
        kept = queue.highlighted_id
        other = TinyDBStore(data_dir, agent="ola")
        try:
            started = time.monotonic()
            new = other.insert_ticket(customer="C-2", subject="Comanda nu a sosit", body="Unde?",
                                      priority="urgent",
                                      first_reply_due="2000-01-01T00:00:00.000Z")  # breached: on top
            current = other.get_ticket(kept)
            other.update_ticket(kept, {"priority": "low"}, expected_rev=current.rev)
            await until(pilot, lambda: new.id in {r.id for r in queue.rows}, timeout=2.0)
            assert time.monotonic() - started < 2.0
            assert queue.rows[0].id == new.id  # sorted in, above the cursor
            assert queue.highlighted_id == kept
            await until(pilot, lambda: screen.ticket.priority == "low", timeout=2.0)
        finally:
            other.close()
