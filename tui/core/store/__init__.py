"""The store: the repository interface, the rules every backend shares (revisions, merges,
events: ticket_writes.py), and one folder per backend (tinydb/)."""

from .base import CustomerHistory, Repository, TicketHead
from .errors import ConflictError, NotFound, StoreCorrupt, StoreError, StoreWriteError
from .tinydb import TinyDBStore


def open_store(data_dir, **kwargs) -> Repository:
    return TinyDBStore(data_dir, **kwargs)


__all__ = ["ConflictError", "CustomerHistory", "NotFound", "Repository", "StoreCorrupt",
           "StoreError", "StoreWriteError", "TicketHead", "TinyDBStore", "open_store"]
