"""Messages that cross panes: they bubble up to the main screen, which sets the panes."""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.message import Message

from ..core.audit import AuditLine
from ..core.models import Ticket
from ..core.presence import Presence
from ..core.queue_views import Selection
from ..core.store.base import CustomerHistory
from ..core.store.errors import StoreError

# What a store call in a worker may raise that the agent is told about (rather than the
# app stopping): the store's own errors, and ValueError for a damaged record or draft.
STORE_ERRORS = (StoreError, ValueError)


@dataclass
class StoreChanged(Message):
    """The poller saw another generation of the store."""

    generation: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StoreChanged)


@dataclass
class QueueSelected(Message):
    """The queue worker finished a view: the rows to show."""

    selection: Selection
    view: str
    filter_text: str
    source: list = field(default_factory=list)  # every row, in queue order (see QueueList.set_rows)


@dataclass
class TicketHighlighted(Message):
    """The queue cursor is on another ticket (None: the queue is empty)."""

    ticket_id: str | None

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, TicketHighlighted)


@dataclass
class OpenTicket(Message):
    """Show this ticket in the detail pane and focus it."""

    ticket_id: str


@dataclass
class TicketLoaded(Message):
    """A ticket read for the detail pane, with its customer's history for the customer pane
    (None: that could not be read): both panes are filled in one handler, one frame."""

    ticket: Ticket
    has_draft: bool
    history: CustomerHistory | None = None


@dataclass
class AuditLoaded(Message):
    ticket_id: str
    lines: list[AuditLine]


@dataclass
class CustomerLoaded(Message):
    history: CustomerHistory


@dataclass
class TicketChanged(Message):
    """A write of ours went through; `ticket` is the stored result."""

    ticket: Ticket
    what: str


@dataclass
class PresenceChanged(Message):
    """Who else is here changed: every other live desk process, sorted."""

    entries: list[Presence]

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, PresenceChanged)


@dataclass
class MarksChanged(Message):
    """Tickets were marked or unmarked in the queue for bulk work."""

    count: int
