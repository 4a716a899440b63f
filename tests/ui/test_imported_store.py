"""The app on an imported store (issue 15): the queue lists imported tickets, the customer
pane shows a customer matched by email across rows with their loyalty, and the why view and
the report open on imported history, at 80x24 and 120x40."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from tests.core.importers.test_csv_import import MESSY_ROWS, generic
from tui.app import DeskApp
from tui.cli import main
from tui.core.store import TinyDBStore
from tui.screens.report import ReportScreen
from tui.screens.why import WhyScreen
from tui.widgets.customer_history import CustomerPane

from .conftest import AGENT, SIZES, ready, screen_text, until

ROWS = [*MESSY_ROWS,
        "5;Second visit;Same customer again;open;normal;email;Åsa Öberg;ASA@example.se;Kaffe;"
        "2024-03-05 08:00;;"]


@pytest.fixture
def imported_dir(tmp_path: Path) -> Path:
    (tmp_path / "sheet.csv").write_text(generic(ROWS), encoding="cp1252", errors="replace")
    assert main(["import", "csv", str(tmp_path / "sheet.csv"), "--mapping", "generic",
                 "--data-dir", str(tmp_path / "data")]) == 0
    return tmp_path / "data"


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
async def test_the_app_works_an_imported_store(imported_dir, tmp_path, size):
    config = tmp_path / "config.toml"
    config.write_text('theme = "textual-dark"\n')
    store = TinyDBStore(imported_dir, agent=AGENT)
    try:
        ticket = next(d for d in store.ticket_docs() if d["source_id"] == "csv:5")
        app = DeskApp(store, agent=AGENT, config_path=config)
        async with app.run_test(size=size) as pilot:
            screen = await ready(pilot, ticket["id"])
            assert "Second visit" in screen_text(app)
            history = store.customer_history(ticket["customer"])
            assert len(history.tickets) == 2  # matched by email, whatever its case
            customer = screen.query_one(CustomerPane)
            await until(pilot, lambda: customer.customer_id == ticket["customer"])
            if size[0] < 110:
                await pilot.press("c")
                await pilot.pause()
            assert "Åsa Öberg" in screen_text(app)
            assert "Loyalty" in customer.text() and "tenure" in customer.text()
            other = next(d["id"] for d in store.ticket_docs() if d["source_id"].startswith("csv:92233"))
            await until(pilot, lambda: f"{other} Café order" in screen_text(app))  # past tickets
            await pilot.press("escape", "w")
            await until(pilot, lambda: isinstance(app.screen, WhyScreen))
            body = app.screen.query_one("#why-body", Static)
            await until(pilot, lambda: "Handle time" in str(body.render()))
            await pilot.press("escape", "d")
            await until(pilot, lambda: isinstance(app.screen, ReportScreen))
            report = app.screen.query_one("#report-body", Static)
            await until(pilot, lambda: "FCR" in str(report.render()))
            await pilot.press("escape")
    finally:
        store.close()
