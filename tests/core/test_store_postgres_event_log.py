"""`PostgresStore.event_log()`: the events table streamed in log order, every iteration of one
block from the same snapshot, and nothing left behind on the pool's connections."""

from __future__ import annotations

from tests.core.postgres_server import connect, postgres_schema  # noqa: F401 - the fixture
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
