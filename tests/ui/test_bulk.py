"""Bulk work from the queue: mark tickets (space, or * for all shown), then a ticket key acts
on all of them after one confirmation, with a result per ticket; a ticket another agent
changed meanwhile is left alone and listed, and the rest go on. The metrics follow."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tui.core.eventlog import EVENTS_FILE
from tui.core.metrics import MetricsConfig, compute, read_event_files
from tui.screens.bulk import BulkScreen, BulkTagsScreen
from tui.screens.pickers import PickerScreen
from textual.widgets import Input

from .conftest import fresh, ready, screen_text, until


async def mark(pilot, screen, *ticket_ids: str) -> None:
    queue = screen.queue_panel.queue
    screen.set_focus(queue)
    for ticket_id in ticket_ids:
        queue.move_to(ticket_id)
        await pilot.press("space")
    await until(pilot, lambda: set(ticket_ids) <= queue.marked)


async def pick(pilot, value: str) -> None:
    await until(pilot, lambda: isinstance(pilot.app.screen, PickerScreen))
    picker = pilot.app.screen
    picker.dismiss(value)


async def test_bulk_solve_of_marked_tickets_with_one_confirmation(make_app, data_dir, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot)
        await mark(pilot, screen, "T-1", "T-4", "T-5")
        assert "3 marked" in screen_text(app)
        assert "✓T-" in screen_text(app).replace(" ", "")
        await pilot.press("s")
        await pick(pilot, "solved")
        await until(pilot, lambda: isinstance(app.screen, BulkScreen))
        assert "on 3 marked tickets" in screen_text(app)
        assert fresh(data_dir, "T-1").status == "new"  # nothing before the confirmation
        await pilot.press("y")
        await until(pilot, lambda: "3 done" in screen_text(app))
        assert {fresh(data_dir, t).status for t in ("T-1", "T-4", "T-5")} == {"solved"}
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, BulkScreen))
        assert not screen.queue_panel.queue.marked
        assert "marked" not in screen_text(app).split("\n")[0]


async def test_a_ticket_changed_by_another_agent_is_listed_and_stays_marked(make_app, data_dir, size):
    from tui.core.store import TinyDBStore

    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot)
        await mark(pilot, screen, "T-1", "T-4")
        await pilot.press("p")
        await pick(pilot, "high")
        await until(pilot, lambda: isinstance(app.screen, BulkScreen))
        other = TinyDBStore(data_dir, agent="ola")  # after the agent saw them, before "y"
        try:
            seen = other.get_ticket("T-4")
            other.update_ticket("T-4", {"priority": "low"}, expected_rev=seen.rev)
        finally:
            other.close()
        app.screen.read = lambda ticket_id, read=app.screen.read: (
            seen if ticket_id == "T-4" else read(ticket_id))  # what the agent confirmed
        await pilot.press("y")
        await until(pilot, lambda: "1 changed meanwhile" in screen_text(app))
        assert "T-4" in screen_text(app) and "priority" in screen_text(app)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, BulkScreen))
        assert fresh(data_dir, "T-1").priority == "high" and fresh(data_dir, "T-4").priority == "low"
        assert screen.queue_panel.queue.marked == {"T-4"}  # left marked for another look


async def test_mark_all_shown_then_tag_them_and_star_again_unmarks(make_app, data_dir, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await ready(pilot)
        queue = screen.queue_panel.queue
        screen.set_focus(queue)
        await pilot.press("asterisk")
        shown = {row.id for row in queue.rows}
        await until(pilot, lambda: queue.marked == shown)
        await pilot.press("asterisk")
        await until(pilot, lambda: not queue.marked)
        await mark(pilot, screen, "T-1", "T-2")
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, BulkTagsScreen))
        app.screen.query_one(Input).value = "+outage -leak"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, BulkScreen))
        await pilot.press("enter")
        await until(pilot, lambda: "2 done" in screen_text(app))
        assert "outage" in fresh(data_dir, "T-1").tags and "leak" not in fresh(data_dir, "T-1").tags
        assert "outage" in fresh(data_dir, "T-2").tags


async def test_a_bulk_solve_after_replies_counts_each_as_first_contact_resolved(make_app, data_dir):
    app = make_app()
    outage = [app.store.insert_ticket(customer=c, subject="Cannot log in", body="Login fails.").id
              for c in ("C-2", "C-5")]
    for ticket_id in outage:
        app.store.append_message(ticket_id, kind="public_reply", body="Fixed on our side.")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await until(pilot, lambda: set(outage) <= {row.id for row in screen.queue_panel.queue.rows})
        await mark(pilot, screen, *outage)
        await pilot.press("s")
        await pick(pilot, "solved")
        await until(pilot, lambda: isinstance(app.screen, BulkScreen))
        await pilot.press("y")
        await until(pilot, lambda: "2 done" in screen_text(app))
    events = read_event_files([data_dir / EVENTS_FILE])[0]
    window_over = datetime.now(timezone.utc) + timedelta(days=8)  # no reopen within W (7 d)
    doc = compute(events, MetricsConfig(), window_over)
    for ticket_id in outage:
        ticket = doc["tickets"][ticket_id]
        assert ticket["status"] == "solved" and ticket["fcr_team"] == "fcr", {k: v for k, v in ticket.items() if v}
