"""What the PostgreSQL store says when psycopg refuses a value before sending it: a NUL in a
text (PostgreSQL's text and jsonb cannot hold one) is refused with nothing changed, not
reported as a lost connection that may or may not have saved the change."""

from __future__ import annotations


from tests.core.postgres_server import postgres_schema  # noqa: F401
from tui.core.store import PostgresStore


def test_a_nul_in_a_reply_is_kept_as_a_visible_mark(postgres_schema):  # noqa: F811
    store = PostgresStore(postgres_schema, agent="ana")
    try:
        customer = store.insert_customer(name="Aino")
        ticket = store.insert_ticket(customer=customer.id, subject="Keitin", body="vuotaa")
        store.append_message(ticket.id, kind="public_reply", body="NUL\x00 here")
        assert store.get_ticket(ticket.id).messages[-1].body == "NUL␀ here"
    finally:
        store.close()
