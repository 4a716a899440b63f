"""The store: the repository interface, the rules every backend shares (revisions, merges,
events: ticket_writes.py), and one folder per backend (tinydb/, postgres/)."""

from .base import CustomerHistory, Repository, TicketHead
from .errors import ConflictError, NotFound, StoreCorrupt, StoreError, StoreWriteError
from .postgres import PostgresStore, is_postgres_url
from .tinydb import TinyDBStore


def open_store(location, **kwargs) -> Repository:
    """The store at `location`: a `postgresql://` URL opens the PostgreSQL backend (psycopg
    is imported only then), anything else is a TinyDB data directory."""
    if is_postgres_url(str(location)):
        return PostgresStore(str(location), **kwargs)
    return TinyDBStore(location, **kwargs)


__all__ = ["ConflictError", "CustomerHistory", "NotFound", "PostgresStore", "Repository",
           "StoreCorrupt", "StoreError", "StoreWriteError", "TicketHead", "TinyDBStore",
           "is_postgres_url", "open_store"]
