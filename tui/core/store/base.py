"""The repository interface. The UI and the CLI talk only to this."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable

from pydantic import ConfigDict

from ..models import Customer, Product, Purchase, Ticket, TicketFields


class TicketHead(TicketFields):
    """A past ticket as the customer pane lists it: every field of `Ticket` but its thread.

    The store reads a customer's archived tickets from the archive index, which holds no
    messages; `get_ticket(id)` returns the whole ticket (for an archived one, `archived`,
    that first reads the archive: see `Repository.archive_loaded`).
    """

    model_config = ConfigDict(extra="ignore")  # validated from the stored document, thread and all

    archived: bool = False  # set by the store: the ticket is closed and lives in the archive


@dataclass
class CustomerHistory:
    customer: Customer
    purchases: list[Purchase] = field(default_factory=list)
    # Newest first, archive included; heads only: `get_ticket` has a ticket's thread.
    tickets: list[TicketHead] = field(default_factory=list)


class Repository(ABC):
    """Tickets, customers, products and purchases, safe to share between processes."""

    data_dir: Path

    # -- reads ------------------------------------------------------------
    @abstractmethod
    def refresh(self) -> bool:
        """Pick up other processes' writes. True if anything changed."""

    @property
    @abstractmethod
    def generation(self) -> int:
        """Changes whenever the visible data changes (for cheap change polling)."""

    @abstractmethod
    def get_ticket(self, ticket_id: str) -> Ticket: ...

    @abstractmethod
    def ticket_docs(self, *, include_archive: bool = False) -> list[dict[str, Any]]:
        """Raw ticket documents, read-only: the fast path for lists of 100k."""

    @abstractmethod
    def query(self, table: str, cond: Any) -> list[dict[str, Any]]:
        """TinyDB `Query` over one table of the active set."""

    @abstractmethod
    def search(self, text: str, *, include_archive: bool = False) -> list[str]:
        """Ticket ids whose subject or messages contain `text` (case/accent-insensitive)."""

    @abstractmethod
    def get_customer(self, customer_id: str) -> Customer: ...

    @abstractmethod
    def customers(self) -> list[Customer]: ...

    @abstractmethod
    def products(self) -> list[Product]: ...

    @abstractmethod
    def customer_history(self, customer_id: str) -> CustomerHistory:
        """The customer, their purchases and their tickets' heads; never reads the whole
        archive (but rebuilds the archive index once if it is missing or out of date)."""

    # -- the queue selected by the store itself (PostgreSQL) ---------------------------
    queue_in_store: bool = False
    """True if `queue_selection` selects and pages the queue in the store (SQL), so that the
    app never holds every open ticket; else the app selects from `ticket_docs`."""

    def queue_selection(self, view: Any, flt: Any, ctx: Any) -> tuple[Any, int]:
        """(the rows of `view` matching `flt`, read a page at a time; the view's count)."""
        raise NotImplementedError("this store's queue is selected by the app")

    # -- the queue selected by the app, from documents read on demand (TinyDB) ---------
    def queue_tickets(self) -> Any:
        """The active tickets for `QueueIndex.update_on_demand` (their heads by doc id, each
        document read when asked for), the same object while none changed; None if this
        store only gives `ticket_docs`."""
        return None

    def customers_by_id(self) -> Any:
        """Every customer by id, read when asked for (with `queue_tickets`)."""
        raise NotImplementedError("this store gives its customers through query()")

    # -- opening: the queue before the active set is read -----------------------------
    queue_preview: Any = None
    """The queue's rows from the queue summary while the active set is not read yet
    (a store opened with `defer_load`), else None."""

    def take_queue_preview(self) -> Any:
        """`queue_preview`, given once: the store lets go of it."""
        preview, self.queue_preview = self.queue_preview, None
        return preview

    summary_due: bool = False
    """True if the next start would read the active set in full: `save_queue_summary`."""

    @property
    def loaded(self) -> bool:
        """False until the active set of a store opened with `defer_load` is read (by the
        first call that needs it)."""
        return True

    @property
    def active_bytes(self) -> int:
        """About how much reading the active set parses."""
        return 0

    def save_queue_summary(self) -> None:
        """Write what lets the next start list the queue before reading the store."""

    # -- the archive: closed tickets, read from disk only when needed ---------------
    @property
    @abstractmethod
    def archive_loaded(self) -> bool:
        """True once the archive is in memory: `get_ticket` of an archived ticket and
        `search(include_archive=True)` are then quick. Before, they read `archive_bytes`."""

    archive_loading: bool = False
    """True while a call is reading the archive (for the UI's "reading the archive…")."""

    @property
    @abstractmethod
    def archive_bytes(self) -> int:
        """About how much a first archive read parses (its files' size on disk)."""

    @property
    @abstractmethod
    def archive_index_ready(self) -> bool:
        """False if the next `customer_history` must rebuild the archive index, which reads
        the whole archive once."""

    @abstractmethod
    def agents(self) -> list[str]:
        """Every assignee seen in the store, plus the current agent."""

    # -- writes: durable and atomic when they return -------------------------
    @abstractmethod
    def insert_ticket(
        self,
        *,
        customer: str,
        subject: str,
        body: str,
        channel: str = "email",
        priority: str = "normal",
        product: str | None = None,
        source: str = "customer",
        **fields: Any,
    ) -> Ticket: ...

    @abstractmethod
    def insert_customer(self, *, name: str, email: str | None = None, phone: str | None = None,
                        language: str = "en", **fields: Any) -> Customer: ...

    @abstractmethod
    def update_ticket(self, ticket_id: str, changes: dict[str, Any], expected_rev: int) -> Ticket:
        """Set fields; raises ConflictError if the ticket's `_rev` is not `expected_rev`."""

    @abstractmethod
    def change_tags(
        self, ticket_id: str, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> Ticket:
        """Add/remove tags; merges with concurrent tag changes instead of failing."""

    @abstractmethod
    def mark(self, ticket_id: str, flag: str, value: bool) -> Ticket:
        """Set or clear a flag (spam, test, not_l1_resolvable); commutes like tags."""

    @abstractmethod
    def link(self, ticket_id: str, original: str, kind: str) -> Ticket:
        """Link `ticket_id` to an older ticket as its repeat or follow-up."""

    @abstractmethod
    def append_message(
        self,
        ticket_id: str,
        *,
        kind: str,
        body: str,
        author: str | None = None,
        author_kind: str = "agent",
        call_start: datetime | None = None,
        call_end: datetime | None = None,
    ) -> Ticket:
        """Add to the thread; never conflicts, as appends commute."""

    @abstractmethod
    def rate(self, ticket_id: str, score: int, comment: str = "") -> Ticket: ...

    @abstractmethod
    def close(self) -> None: ...

