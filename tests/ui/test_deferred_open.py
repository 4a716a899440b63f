"""Start on a big store: the queue from its summary first, the store read in a worker (issue 6)."""

from __future__ import annotations

import time

import pytest

from tui.core.store import StoreCorrupt, TinyDBStore
from tui.core.store.tinydb.journal import JournaledCollection

from .conftest import AGENT, ready, screen_text, until


@pytest.fixture
def deferred(data_dir):
    TinyDBStore(data_dir, agent=AGENT).save_queue_summary()
    store = TinyDBStore(data_dir, agent=AGENT, defer_load=True)
    assert not store.loaded
    yield store
    store.close()


@pytest.fixture
def slow_read(monkeypatch):
    """Reading the active set takes a second, as at 70k tickets."""
    real = JournaledCollection.load

    def load(self):
        if self.snapshot.name == "store.json":
            time.sleep(1.0)
        real(self)

    monkeypatch.setattr(JournaledCollection, "load", load)


async def test_the_queue_is_listed_before_the_store_is_read(deferred, config_path, store, size,
                                                            slow_read):
    from tui.app import DeskApp

    expected = sorted(d["id"] for d in store.ticket_docs())
    app = DeskApp(deferred, agent=AGENT, config_path=config_path)
    async with app.run_test(size=size) as pilot:
        screen = app.screen
        await until(pilot, lambda: screen.queue_panel.shown is not None)
        queue = screen.queue_panel.queue
        first_rows = [row.id for row in queue.rows]
        assert first_rows and not deferred.loaded
        assert first_rows[0] in screen_text(app)
        assert "Reading the store…" in screen_text(app)  # not "No ticket selected."
        await until(pilot, lambda: "⏳ opening the store" in screen_text(app))
        await pilot.press("down")  # the queue moves while the store is read
        await until(pilot, lambda: queue.cursor == 1)
        await until(pilot, lambda: deferred.loaded, timeout=10)
        await ready(pilot)
        assert screen.ticket is not None and screen.ticket.id == first_rows[1]
        assert [row.id for row in queue.rows] == first_rows
        assert sorted(r.id for r in screen.queue_panel.rows_for_search()) == expected
        await until(pilot, lambda: "⏳" not in screen_text(app))


async def test_a_store_that_turns_out_broken_ends_desk_with_its_message(deferred, config_path,
                                                                        monkeypatch):
    from tui.app import DeskApp

    def refuse(collection):
        raise StoreCorrupt(f"{collection.snapshot}: record T-2: field status: 'bogus' is not one")

    monkeypatch.setattr(TinyDBStore, "_refuse_if_broken", staticmethod(refuse))
    app = DeskApp(deferred, agent=AGENT, config_path=config_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.refused is not None, timeout=10)
    assert app.return_code == 2
    assert "record T-2: field status" in app.refused


async def test_the_first_start_without_a_summary_writes_one(data_dir, config_path):
    from tui.app import DeskApp
    from tui.core.store.tinydb.queue_summary import SUMMARY_FILE

    store = TinyDBStore(data_dir, agent=AGENT, defer_load=True)  # a store from before summaries
    try:
        assert store.loaded and store.summary_due and not (data_dir / SUMMARY_FILE).exists()
        app = DeskApp(store, agent=AGENT, config_path=config_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await ready(pilot)
            await until(pilot, lambda: (data_dir / SUMMARY_FILE).exists())
    finally:
        store.close()
    again = TinyDBStore(data_dir, agent=AGENT, defer_load=True)
    try:
        assert not again.loaded and again.queue_preview is not None
    finally:
        again.close()


async def test_an_empty_store_says_no_ticket_once_read(tmp_path, config_path):
    from tui.app import DeskApp
    from tui.core.permissions import init_store

    init_store(tmp_path / "empty")
    TinyDBStore(tmp_path / "empty", agent=AGENT).save_queue_summary()
    store = TinyDBStore(tmp_path / "empty", agent=AGENT, defer_load=True)
    try:
        assert not store.loaded
        app = DeskApp(store, agent=AGENT, config_path=config_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: store.loaded)
            await until(pilot, lambda: "No ticket selected." in screen_text(app))
            assert "Reading the store" not in screen_text(app)
    finally:
        store.close()
