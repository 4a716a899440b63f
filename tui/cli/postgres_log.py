"""`desk metrics` and `desk report` on a PostgreSQL store: the store opened for reading and
its event log streamed from the events table, with any failure as one line."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from .output import error_text


@contextmanager
def postgres_log(url: str, error: type[Exception]) -> Iterator[tuple[Any, Any]]:
    """(store, events) while the block runs: `events` iterates the log in its order, each
    time from the same snapshot. A store or database error becomes `error(one line)`."""
    from ..core.store import PostgresStore, StoreError

    try:
        store = PostgresStore(url)
    except StoreError as exc:
        raise error(error_text(exc)) from None
    try:
        with store.event_log() as events:
            yield store, events
    except (StoreError, ValueError) as exc:  # ValueError: a record its model refuses
        raise error(error_text(exc)) from None
    finally:
        store.close()
