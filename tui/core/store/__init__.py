"""The store: the repository interface, the rules every backend shares (revisions, merges,
events: ticket_writes.py), and one folder per backend (tinydb/, postgres/)."""

from typing import Any

from .base import CustomerHistory, Repository, TicketHead
from .errors import ConflictError, NotFound, StoreCorrupt, StoreError, StoreWriteError
from .postgres import is_postgres_url
from .tinydb import TinyDBStore


def open_store(location, **kwargs) -> Repository:
    """The store at `location`: a `postgresql://` URL opens the PostgreSQL backend (its
    modules, psycopg among them, are imported only then), anything else is a TinyDB data
    directory."""
    if is_postgres_url(str(location)):
        from .postgres.store import PostgresStore

        return PostgresStore(str(location), **kwargs)
    return TinyDBStore(location, **kwargs)


def __getattr__(name: str) -> Any:
    if name == "PostgresStore":  # imported on first use, as open_store does
        from .postgres.store import PostgresStore

        return PostgresStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["ConflictError", "CustomerHistory", "NotFound", "PostgresStore", "Repository",
           "StoreCorrupt", "StoreError", "StoreWriteError", "TicketHead", "TinyDBStore",
           "is_postgres_url", "open_store"]
