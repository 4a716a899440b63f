"""`PostgresStore.event_log()`: the events table streamed in log order, every iteration of one
block from the same snapshot, and nothing left behind on the pool's connections."""

from __future__ import annotations

import json

from tests.core.postgres_server import connect, postgres_schema  # noqa: F401 - the fixture
from tests.core.test_store_postgres_roles import as_role, url  # noqa: F401 - the fixture
from tui.cli import main
from tui.core.store import PostgresStore

CUSTOMER = {"id": "C-1", "name": "Ana Lima", "email": "ana@example.com", "language": "pt",
            "customer_since": "2024-01-01T00:00:00Z"}


def test_each_iteration_streams_the_same_snapshot_in_log_order(postgres_schema):
    store = PostgresStore(postgres_schema, agent="ana")
    other = PostgresStore(postgres_schema, agent="ola")
    try:
        store.load_records("customers", [CUSTOMER])
        for n in range(3):
            store.insert_ticket(customer="C-1", subject=f"t{n}", body="b")
        with connect(postgres_schema) as conn:
            logged = [r[0] for r in conn.execute("SELECT event FROM events ORDER BY pos")]
        with store.event_log() as events:
            first = list(events)
            other.insert_ticket(customer="C-1", subject="meanwhile", body="b")  # committed
            second = list(events)
        assert first == second == logged
        with store.event_log() as events:
            assert len(list(events)) > len(logged)  # a new block sees it
    finally:
        store.close()
        other.close()


def test_a_half_read_log_leaves_no_cursor_to_close_on_a_lent_connection(postgres_schema):
    """An iteration given up midway is closed with its block: closing it later (when it is
    collected) would send CLOSE inside whatever transaction the connection serves then."""
    store = PostgresStore(postgres_schema, agent="ana", pool_size=1)  # always the same connection
    try:
        store.load_records("customers", [CUSTOMER])
        store.insert_ticket(customer="C-1", subject="t", body="b")
        with store.event_log() as events:
            stream = iter(events)
            next(stream)

        def later(conn):
            stream.close()  # as the garbage collector would, at any moment
            return conn.execute("SELECT count(*) FROM events").fetchone()[0]

        assert store._transaction(later, writing=False) >= 1
        assert store.insert_ticket(customer="C-1", subject="still fine", body="b").subject == "still fine"
    finally:
        store.close()


def test_an_agent_role_reads_the_log_with_desk_report_and_desk_metrics(url, capsys, monkeypatch, tmp_path):
    """An agent (a member of the agents' role, not the tables' owner) may read every event:
    the team's report is everyone's to see, as events.jsonl is on a shared host."""
    monkeypatch.setenv("DESK_CONFIG_DIR", str(tmp_path / "config"))
    bob = as_role(url, "bob")  # bob's work, as `desk ticket` does it (a run of its own)
    assert main(["--store", bob, "ticket", "new", "--customer", "C-1", "--subject", "Fibre down",
                 "--body", "since nine"]) == 0
    assert main(["--store", bob, "ticket", "reply", "T-1", "--body", "fixed", "--status", "solved"]) == 0
    capsys.readouterr()
    alice = as_role(url, "alice")
    assert main(["report", "--store", alice, "--since", "2000-01-01", "--until", "2100-01-01", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["input"]["events"] >= 4
    assert main(["--store", alice, "metrics", "--as-of", "2100-01-01T00:00:00Z"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["tickets"]["T-1"]["status"] == "solved" and metrics["warnings"] == []
