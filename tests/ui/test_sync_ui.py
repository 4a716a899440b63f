"""An offline replica in the app (issue 14): the status bar says what is not synced yet, a
conflict is shown with both values, settled from the keyboard, and the result synced."""

from __future__ import annotations

from pathlib import Path

from tui.app import DeskApp
from tui.core.store import TinyDBStore
from tui.core.sync import clone
from tui.screens.sync_conflicts import SyncConflictsScreen

from tests.core.sync.helpers import make_host

from .conftest import AGENT, fresh, notices, ready, screen_text, until


def replica_of(tmp_path: Path) -> tuple[Path, Path]:
    host = make_host(tmp_path)
    laptop = tmp_path / "laptop"
    clone(str(host), laptop)  # a local path: a real `desk sync-serve` child, as over ssh
    return host, laptop


def host_changes(host: Path, ticket_id: str, changes: dict) -> None:
    store = TinyDBStore(host, agent="hostagent")
    try:
        ticket = store.get_ticket(ticket_id)
        store.update_ticket(ticket_id, changes, ticket.rev)
    finally:
        store.close()


async def test_a_conflict_is_shown_settled_from_the_keyboard_and_synced(tmp_path, config_path, size):
    host, laptop = replica_of(tmp_path)
    store = TinyDBStore(laptop, agent=AGENT)
    ticket_id = store.ticket_docs()[0]["id"]
    app = DeskApp(store, agent=AGENT, config_path=config_path)
    try:
        async with app.run_test(size=size) as pilot:
            screen = await ready(pilot, ticket_id)
            bar = screen.query_one("#status")
            await until(pilot, lambda: bar.sync is not None)
            text = screen_text(app)
            assert "0 changes not synced" in text or "⇅ 0" in text
            assert "never" not in text  # the clone was the first sync
            # Offline: the agent sets the priority; meanwhile the team sets it otherwise.
            app.store.update_ticket(ticket_id, {"priority": "urgent"}, app.store.get_ticket(ticket_id).rev)
            host_changes(host, ticket_id, {"priority": "low"})
            await until(pilot, lambda: bar.sync is not None and bar.sync.pending == 1)
            text = screen_text(app)
            assert "1 change not synced" in text or "⇅ 1 " in text

            await pilot.press("Y")  # sync: the conflict comes back and its screen opens
            await until(pilot, lambda: isinstance(app.screen, SyncConflictsScreen), timeout=30)
            await until(pilot, lambda: "theirs low" in screen_text(app))
            await until(pilot, lambda: any("1 conflict" in n for n in notices(app)))
            text = screen_text(app)
            assert ticket_id in text and "mine urgent" in text and "theirs low" in text
            assert fresh(host, ticket_id).priority == "low"  # nothing overwritten
            assert app.store.get_ticket(ticket_id).priority == "urgent"  # mine kept here

            await pilot.press("m")  # keep mine
            await until(pilot, lambda: "No conflicts left" in screen_text(app))
            await pilot.press("y")  # and sync now
            await until(pilot, lambda: fresh(host, ticket_id).priority == "urgent", timeout=30)
            await until(pilot, lambda: bar.sync is not None and bar.sync.pending == 0
                        and bar.sync.conflicts == 0, timeout=10)
            assert not isinstance(app.screen, SyncConflictsScreen)
    finally:
        store.close()


async def test_keeping_theirs_takes_the_team_value(tmp_path, config_path):
    host, laptop = replica_of(tmp_path)
    store = TinyDBStore(laptop, agent=AGENT)
    ticket_id = store.ticket_docs()[0]["id"]
    store.update_ticket(ticket_id, {"status": "pending"}, store.get_ticket(ticket_id).rev)
    host_changes(host, ticket_id, {"status": "on_hold"})
    app = DeskApp(store, agent=AGENT, config_path=config_path)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await ready(pilot, ticket_id)
            screen.action_sync()
            await until(pilot, lambda: isinstance(app.screen, SyncConflictsScreen), timeout=30)
            await pilot.press("t")
            await until(pilot, lambda: app.store.get_ticket(ticket_id).status == "on_hold")
            await pilot.press("escape")
            bar = screen.query_one("#status")
            await until(pilot, lambda: bar.sync is not None and bar.sync.conflicts == 0)
    finally:
        store.close()


async def test_sync_on_a_store_that_is_no_replica_says_so(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("Y")
        await until(pilot, lambda: any("not an offline replica" in n for n in notices(app)))
        assert app.screen.query_one("#status").sync is None
