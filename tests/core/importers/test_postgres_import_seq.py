"""`desk import` on PostgreSQL over what an earlier import (or a migration) left: the import's
own event count (`seq`) goes on from the log when desk_meta has no counters, and an event
already in the log is never added again (ON CONFLICT on its id)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.postgres_server import connect, postgres_schema  # noqa: F401
from tui.cli import main

from .test_csv_import import BAD_ROWS, generic

ZENDESK = Path(__file__).parent / "fixtures" / "zendesk-page.json"


@pytest.fixture(autouse=True)
def clean_env(tmp_path, monkeypatch):
    monkeypatch.setenv("DESK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("DESK_STORE", raising=False)
    monkeypatch.delenv("DESK_DATA_DIR", raising=False)


def logged(url: str) -> list[dict]:
    with connect(url) as conn:
        return [r[0] for r in conn.execute("SELECT event FROM events ORDER BY pos").fetchall()]


def test_the_import_seq_goes_on_from_the_log_when_its_counter_is_missing(postgres_schema, tmp_path):
    # As in a store migrated from a data directory: the events, but no import counters.
    assert main(["import", "zendesk", str(ZENDESK), "--store", postgres_schema]) == 0
    with connect(postgres_schema) as conn:
        conn.execute("DELETE FROM desk_meta WHERE key = 'import'")
    before = logged(postgres_schema)
    path = tmp_path / "one.csv"
    path.write_bytes(generic(BAD_ROWS[-1:]).encode())  # one good row
    assert main(["import", "csv", str(path), "--mapping", "generic", "--store", postgres_schema]) == 0
    added = logged(postgres_schema)[len(before):]
    last = max(e["seq"] for e in before)
    assert added and [e["seq"] for e in added] == list(range(last + 1, last + 1 + len(added)))


def test_events_already_in_the_log_are_not_added_again(postgres_schema, capsys):
    # Tickets restored from a backup older than the log: landed again under new numbers,
    # their events (ids from the source, not the ticket's number) are in the log already.
    assert main(["import", "zendesk", str(ZENDESK), "--store", postgres_schema]) == 0
    before = logged(postgres_schema)
    with connect(postgres_schema) as conn:
        conn.execute("DELETE FROM tickets")  # the queue rows go with them
    capsys.readouterr()
    assert main(["import", "zendesk", str(ZENDESK), "--store", postgres_schema]) == 0
    assert "2 new, 0 updated, 0 unchanged" in capsys.readouterr().out
    assert logged(postgres_schema) == before
    with connect(postgres_schema) as conn:
        assert conn.execute("SELECT count(*) FROM queue").fetchone()[0] == 2
