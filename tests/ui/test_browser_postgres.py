"""`desk serve --store postgresql://…`: the app in a headless Chromium, each tab's desk on the
database (its URL passed in the environment, never on a command line), and a server that
cannot be reached refused in one line before anything listens."""

from __future__ import annotations

import os

import pytest

from tests.core.postgres_server import postgres_schema  # noqa: F401
from tests.ui.cdp import Browser, chromium
from tests.ui.test_browser import desk_serve, free_port, until
from tests.ui.test_postgres_app import build_database
from tui.cli import main
from tui.cli.serve import app_command

pytestmark = pytest.mark.skipif(not chromium() and os.environ.get("DESK_CI") != "1",
                                reason="needs Debian's chromium (apt-get install chromium)")


async def test_the_queue_of_a_postgres_store_in_a_browser(postgres_schema, tmp_path):  # noqa: F811
    build_database(postgres_schema)
    with desk_serve(["--store", postgres_schema], tmp_path,
                    DESK_DATA_DIR=str(tmp_path / "local")) as url:
        async with Browser() as page:
            await page.navigate(url)
            screen = await until(page, lambda t: "Kahvinkeitin vuotaa" in t and "T-1" in t,
                                 "the queue read from the database")
            assert "All open" in screen


def test_the_url_is_not_on_the_command_line_and_an_unreachable_server_is_one_line(capsys):
    assert "postgresql" not in app_command(None) and "--data-dir" not in app_command(None)
    nowhere = "postgresql:///desk?host=/nonexistent-desk-socket-dir"
    assert main(["--store", nowhere, "serve", "--port", str(free_port())]) == 1
    err = capsys.readouterr().err
    assert err.startswith("desk serve: ") and "cannot connect" in err and err.count("\n") == 1
