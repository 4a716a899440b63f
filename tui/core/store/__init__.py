"""The store: a repository interface and its TinyDB backend."""

from .base import CustomerHistory, Repository, TicketHead
from .errors import ConflictError, NotFound, StoreCorrupt, StoreError, StoreWriteError
from .tinydb_store import TinyDBStore


def open_store(data_dir, **kwargs) -> Repository:
    return TinyDBStore(data_dir, **kwargs)


__all__ = ["ConflictError", "CustomerHistory", "NotFound", "Repository", "StoreCorrupt",
           "StoreError", "StoreWriteError", "TicketHead", "TinyDBStore", "open_store"]
