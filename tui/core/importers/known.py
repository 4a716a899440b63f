"""What the landing looks up while it writes, answered by its writer (the staging on disk of
store/tinydb/import_writer.py, or indexed queries in store/postgres/import_writer.py) rather
than maps of every ticket in memory: tickets by source id, customers by email or source id,
purchases by customer, product and date. What the batch being planned adds is kept beside
it until the batch is written (then the store holds it);
the few answers that no document carries (a record of desk's own export matched to one of
this store's) are kept for the whole import."""

from __future__ import annotations

from typing import Any

CACHE_SIZE = 50_000


class _Known:
    cached = False  # whether an answer found stays true (then up to CACHE_SIZE are kept)

    def __init__(self, writer):
        self._writer = writer
        self._batch: dict[Any, Any] = {}
        self._aliases: dict[Any, Any] = {}
        self._cache: dict[Any, Any] = {}

    def batch_done(self) -> None:
        self._batch.clear()

    def alias(self, key: Any, value: Any) -> None:
        """An answer the store cannot give, kept for the whole import."""
        self._aliases[key] = value

    def __setitem__(self, key: Any, value: Any) -> None:
        self._batch[key] = value

    def __contains__(self, key: Any) -> bool:
        return self.get(key) is not None

    def __getitem__(self, key: Any) -> Any:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def get(self, key: Any, default: Any = None) -> Any:
        for held in (self._batch, self._aliases, self._cache):
            if key in held:
                return held[key]
        found = self._stored(key)
        if found is None:
            return default
        if self.cached:
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = found
        return found

    def _stored(self, key: Any) -> Any:
        raise NotImplementedError


class KnownTickets(_Known):
    """Source id -> (desk ticket id, whether it is closed)."""

    def _stored(self, source_id: str) -> tuple[str, bool] | None:
        return self._writer.ticket_by_source(source_id)


class KnownCustomers(_Known):
    """Email (lower case) or source id -> desk customer id (a customer's tickets come many to
    a file, and a customer's id never changes: the answers are kept)."""

    cached = True

    def _stored(self, key: str) -> str | None:
        return self._writer.customer_id(key)

    def setdefault(self, key: str, value: str) -> str:
        found = self.get(key)
        if found is None:
            self.alias(key, value)
            return value
        return found


class KnownPurchases(_Known):
    """(customer id, product id, date) of the purchases held."""

    cached = True

    def add(self, key: tuple[str, str, str]) -> None:
        self._batch[key] = True

    def _stored(self, key: tuple[str, str, str]) -> bool | None:
        return True if self._writer.has_purchase(key) else None
