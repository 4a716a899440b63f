"""What the PostgreSQL store says when psycopg refuses a value before sending it: a NUL in a
text (PostgreSQL's text and jsonb cannot hold one) is refused with nothing changed, not
reported as a lost connection that may or may not have saved the change."""

from __future__ import annotations

import pytest

from tests.core.postgres_server import postgres_schema  # noqa: F401
from tui.core.store import PostgresStore, StoreWriteError


def test_a_nul_in_a_reply_is_refused_with_nothing_changed(postgres_schema):  # noqa: F811
    store = PostgresStore(postgres_schema, agent="ana")
    try:
        customer = store.insert_customer(name="Aino")
        ticket = store.insert_ticket(customer=customer.id, subject="Keitin", body="vuotaa")
        with pytest.raises(StoreWriteError) as refused:
            store.append_message(ticket.id, kind="public_reply", body="NUL\x00 here")
        text = str(refused.value)
        assert "cannot contain NUL" in text and "nothing was changed" in text
        assert "may or may not" not in text
        assert store.get_ticket(ticket.id).rev == ticket.rev  # as it was
    finally:
        store.close()
