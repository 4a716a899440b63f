"""Where `desk metrics` and `desk report` read: the chosen store, and on a PostgreSQL store,
the store opened for reading and its event log streamed from the events table; any failure
as one line."""

from __future__ import annotations

import argparse
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from .common import StoreChoiceError, chosen_store
from .output import error_text


def store_location(args: argparse.Namespace, error: type[Exception]) -> Path | str:
    """The chosen store (`chosen_store`): a data directory, or a PostgreSQL URL."""
    try:
        return chosen_store(args)
    except StoreChoiceError as exc:
        raise error(str(exc)) from None


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
