"""A Repository that lets one thread at a time in.

The UI reads the store from its own thread and from worker threads while a
poller refreshes it; the TinyDB backend guards processes, not threads, so
every call here runs under one lock.

Given a `SlowCalls`, every call (its wait for the lock included) is watched, so that the UI
can say what it waits for when one takes long: the first read of the archive, a reload after
another desk compacted the store, a write that compacts it.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager, nullcontext
from datetime import datetime
from typing import Any, Callable, Iterable, Iterator

from .eventlog import EVENTS_FILE, ticket_events
from .models import Customer, Product, Ticket
from .session.story import story_of, ticket_story
from .slow import SlowCalls
from .store.base import CustomerHistory, Repository


READING, SAVING, REFRESHING = "reading the store", "saving", "reading other desks' changes"


class SerializedRepository(Repository):
    def __init__(self, inner: Repository, *, slow: SlowCalls | None = None):
        self.inner = inner
        self.data_dir = inner.data_dir
        self._lock = threading.RLock()
        self._slow = slow

    @contextmanager
    def _serial(self, what: str = READING, archive: bool = False) -> Iterator[None]:
        """One thread at a time; watched when slow. `archive`: the call may read the archive."""
        watch = self._slow.watch(self._describer(what, archive)) if self._slow else nullcontext()
        with watch, self._lock:
            yield

    def _describer(self, what: str, archive: bool) -> Callable[[], str]:
        def describe() -> str:  # runs on the watchdog: plain attributes only, no lock
            if not self.inner.loaded:
                return f"opening the store ({self.inner.active_bytes / 1e6:,.0f} MB)"
            if archive and self.inner.archive_loading:
                size = self.inner.archive_bytes / 1e6
                return f"reading the archive of closed tickets ({size:,.0f} MB)"
            return what
        return describe

    def refresh(self) -> bool:
        with self._serial(REFRESHING):
            return self.inner.refresh()

    # -- an offline replica (tui.core.sync): where it stands, and its conflicts ----------
    @property
    def is_replica(self) -> bool:
        with self._lock:
            return bool(getattr(self.inner, "is_replica", False))

    def sync_status(self) -> Any:
        from .sync import status

        with self._serial():
            return status(self.inner)

    def sync_conflicts(self) -> list[Any]:
        from .sync import conflicts

        with self._serial():
            return conflicts(self.inner)

    def sync_resolve(self, ticket_id: str, field: str, keep: str) -> None:
        from .sync import resolve

        with self._serial(SAVING):
            resolve(self.inner, ticket_id, field, keep)  # type: ignore[arg-type]

    # -- other desks' changes, heard rather than polled (the PostgreSQL store) -------------
    @property
    def waits_for_changes(self) -> bool:
        """The store can wait for another desk's change (LISTEN/NOTIFY), idle meanwhile."""
        return hasattr(self.inner, "wait_for_change")

    def wait_for_change(self, timeout: float) -> bool:
        """Not serialized: the wait holds only the store's listener, never the calls."""
        return self.inner.wait_for_change(timeout)  # type: ignore[attr-defined]

    # -- the event log: the data directory's events.jsonl, or the store's events table ----
    def ticket_events(self, ticket_id: str) -> list[dict[str, Any]]:
        """One ticket's history (audit trail) in log order. OSError or StoreError."""
        if self.data_dir is None:
            with self._serial():
                return self.inner.ticket_events(ticket_id)  # type: ignore[attr-defined]
        return ticket_events(self.data_dir / EVENTS_FILE, ticket_id)

    def ticket_story(self, ticket_id: str, config: Any) -> dict[str, Any]:
        """The "why" of one ticket (session/story.py). OSError or StoreError."""
        if self.data_dir is None:
            def find(pairs: list[tuple[str, str]]) -> list[dict[str, Any]]:
                with self._serial():
                    return self.inner.events_mentioning(pairs)  # type: ignore[attr-defined]
            return story_of(find, ticket_id, config)
        return ticket_story(self.data_dir / EVENTS_FILE, ticket_id, config)

    def logged_events(self) -> tuple[list[dict[str, Any]], Any]:
        """Every event of the log and what reading it met (metrics' ReadSummary); a data
        directory without a log yet has none. OSError or StoreError."""
        from .metrics import read_event_files
        from .metrics.reading import ReadSummary

        if self.data_dir is None:
            with self._serial():
                return self.inner.all_events(), ReadSummary()  # type: ignore[attr-defined]
        try:
            return read_event_files([self.data_dir / EVENTS_FILE])
        except FileNotFoundError:
            return [], ReadSummary()

    @property
    def generation(self) -> int:
        with self._lock:
            return self.inner.generation

    @property
    def peek_generation(self) -> int:
        """`generation` without waiting for a call in progress (the UI thread asks)."""
        return self.inner.generation

    def get_ticket(self, ticket_id: str) -> Ticket:
        with self._serial(archive=True):
            return self.inner.get_ticket(ticket_id)

    def ticket_docs(self, *, include_archive: bool = False) -> list[dict[str, Any]]:
        with self._serial(archive=include_archive):
            return self.inner.ticket_docs(include_archive=include_archive)

    def queue_tickets(self) -> Any:
        with self._serial():
            return self.inner.queue_tickets()

    def customers_by_id(self) -> Any:
        with self._serial():
            return self.inner.customers_by_id()

    def query(self, table: str, cond: Any) -> list[dict[str, Any]]:
        with self._serial():
            return self.inner.query(table, cond)

    def search(self, text: str, *, include_archive: bool = False) -> list[str]:
        with self._serial(archive=include_archive):
            return self.inner.search(text, include_archive=include_archive)

    # Not serialized: the index has its own lock and takes the store's only to copy what
    # it derives from, so a search does not wait behind a long read (nor they behind it).
    def search_everywhere(self, text: str, limit: int = 50) -> list[Any]:
        return self.inner.search_everywhere(text, limit)

    def warm_search_index(self) -> None:
        self.inner.warm_search_index()

    def get_customer(self, customer_id: str) -> Customer:
        with self._serial():
            return self.inner.get_customer(customer_id)

    def customers(self) -> list[Customer]:
        with self._serial():
            return self.inner.customers()

    def products(self) -> list[Product]:
        with self._serial():
            return self.inner.products()

    def customer_history(self, customer_id: str) -> CustomerHistory:
        with self._serial():  # from the archive's index, not the archive
            return self.inner.customer_history(customer_id)

    # Without the lock: asked while a worker may be reading the archive (or, the first
    # time, the active set) for seconds.
    @property
    def queue_in_store(self) -> bool:  # type: ignore[override]
        return self.inner.queue_in_store

    def queue_selection(self, view: Any, flt: Any, ctx: Any) -> tuple[Any, int]:
        """The store's pages read without this lock later (the store that pages them is
        safe to share between threads)."""
        with self._serial():
            return self.inner.queue_selection(view, flt, ctx)

    def take_queue_preview(self) -> Any:
        return self.inner.take_queue_preview()

    @property
    def loaded(self) -> bool:
        return self.inner.loaded

    @property
    def summary_due(self) -> bool:
        return self.inner.summary_due

    def save_queue_summary(self) -> None:
        """Not serialized: the store takes what it needs under its own lock, then builds
        the summary while other calls go on."""
        self.inner.save_queue_summary()

    @property
    def archive_loaded(self) -> bool:
        return self.inner.archive_loaded

    @property
    def archive_bytes(self) -> int:
        return self.inner.archive_bytes

    @property
    def archive_index_ready(self) -> bool:
        with self._lock:
            return self.inner.archive_index_ready

    def agents(self) -> list[str]:
        with self._serial():
            return self.inner.agents()

    def insert_ticket(self, **kwargs: Any) -> Ticket:
        with self._serial(SAVING):
            return self.inner.insert_ticket(**kwargs)

    def insert_customer(self, **kwargs: Any) -> Customer:
        with self._serial(SAVING):
            return self.inner.insert_customer(**kwargs)

    def update_ticket(self, ticket_id: str, changes: dict[str, Any], expected_rev: int) -> Ticket:
        with self._serial(SAVING):
            return self.inner.update_ticket(ticket_id, changes, expected_rev)

    def change_tags(self, ticket_id: str, add: Iterable[str] = (),
                    remove: Iterable[str] = ()) -> Ticket:
        with self._serial(SAVING):
            return self.inner.change_tags(ticket_id, add, remove)

    def mark(self, ticket_id: str, flag: str, value: bool) -> Ticket:
        with self._serial(SAVING):
            return self.inner.mark(ticket_id, flag, value)

    def link(self, ticket_id: str, original: str, kind: str) -> Ticket:
        with self._serial(SAVING):
            return self.inner.link(ticket_id, original, kind)

    def append_message(self, ticket_id: str, *, kind: str, body: str, author: str | None = None,
                       author_kind: str = "agent", call_start: datetime | None = None,
                       call_end: datetime | None = None) -> Ticket:
        with self._serial(SAVING):
            return self.inner.append_message(ticket_id, kind=kind, body=body, author=author,
                                             author_kind=author_kind, call_start=call_start,
                                             call_end=call_end)

    def mark_merged(self, ticket_id: str, into: str, expected_rev: int) -> Ticket:
        with self._serial(SAVING):
            return self.inner.mark_merged(ticket_id, into, expected_rev)  # type: ignore[attr-defined]

    def absorb_messages(self, ticket_id: str, messages: Iterable[dict[str, Any]]) -> Ticket:
        with self._serial(SAVING):
            return self.inner.absorb_messages(ticket_id, messages)  # type: ignore[attr-defined]

    def rate(self, ticket_id: str, score: int, comment: str = "") -> Ticket:
        with self._serial(SAVING):
            return self.inner.rate(ticket_id, score, comment)

    def close(self) -> None:
        with self._lock:
            self.inner.close()
