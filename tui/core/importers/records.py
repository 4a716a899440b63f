"""What every importer reads a source into, before the landing writes it: a ticket with its
thread, its customer and its known facts, and the problems found on the way. A fact the
source does not give stays None: nothing here is invented."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..safetext import one_line


@dataclass(frozen=True)
class Problem:
    """One thing desk cannot use: `file:line: column: reason`."""

    file: str
    line: int | str
    column: str
    reason: str
    warning: bool = False  # reported, but the row is still used

    def __str__(self) -> str:
        note = "warning: " if self.warning else ""
        return one_line(f"{self.file}:{self.line}: {self.column}: {note}{self.reason}")


class BadValue(ValueError):
    """A cell desk cannot use; the reader adds file, line and column."""

    def __init__(self, column: str, reason: str):
        self.column, self.reason = column, reason
        super().__init__(f"{column}: {reason}")


@dataclass
class InCustomer:
    name: str | None = None
    email: str | None = None
    key: str | None = None  # the source's own id, e.g. "zendesk:user:20978392"
    phone: str | None = None
    company: str | None = None


@dataclass
class InMessage:
    key: str  # stable across exports of the same source, unique in the ticket
    kind: str  # customer_message | public_reply | internal_note | call_log
    author_kind: str  # customer | agent | system
    author: str
    body: str
    created: datetime | None  # None: the source gives none (shown at the ticket's creation)
    time_known: bool = True  # False: the time is the ticket's earliest known, not the message's


@dataclass
class InStatus:
    at: datetime
    to: str


@dataclass
class InTicket:
    source_id: str  # "zendesk:35436"
    where: tuple[str, int | str]  # file and line, for problems found later
    subject: str = ""
    status: str = "new"
    priority: str = "normal"
    channel: str = "email"
    created: datetime | None = None  # None: the source does not say when it was opened
    updated: datetime | None = None
    solved: datetime | None = None
    first_replied: datetime | None = None
    customer: InCustomer = field(default_factory=InCustomer)
    product: str | None = None
    category: str | None = None
    purchased: datetime | None = None
    tags: list[str] = field(default_factory=list)
    assignee: str | None = None
    group: str | None = None
    messages: list[InMessage] = field(default_factory=list)
    statuses: list[InStatus] = field(default_factory=list)  # the history, where the source has one
    csat: tuple[int, str, datetime | None] | None = None  # score 1-5, comment, when

    def facts(self) -> bytes:
        """What the source said, as bytes: equal facts, equal ticket (idempotent re-import)."""
        import orjson  # serializes dataclasses and datetimes itself, in field order

        return orjson.dumps(self)

    def known_times(self) -> list[datetime]:
        times = [t for t in (self.created, self.updated, self.solved, self.first_replied) if t]
        times += [m.created for m in self.messages if m.created] + [s.at for s in self.statuses]
        if self.csat and self.csat[2]:
            times.append(self.csat[2])
        return times


@dataclass
class InTicketFacts:
    """What the landing needs of an imported ticket (one not from desk's export) beside its
    checked document, which holds the rest: the spill keeps this instead of the whole
    ticket, whose thread is in the document already. Times are in desk's stored form."""

    source_id: str
    customer: InCustomer
    product: str | None
    category: str | None
    purchased: str | None
    created_known: bool  # the source says when the ticket was opened
    earliest: str | None  # the earliest time the source gives: a new customer's customer_since
    statuses: list[tuple[str, str]]  # the history (at, to), where the source has one
    untimed: list[str]  # ids of the messages the source gives no time for


# -- whole records, from desk's own export (desk_format.py) ------------------------------
# The other formats give a ticket and what can be read off it; desk's export gives every
# record whole, ids included. These carry it to the landing, which keeps what they say.

@dataclass
class InCustomerRecord:
    """A customer as desk exported it: `key` is its source id, `fields` every model field
    but the id (name, email, language, tier, customer_since, …), as JSON values."""

    key: str
    fields: dict


@dataclass
class InProduct:
    name: str
    category: str


@dataclass
class InPurchase:
    customer: str  # the customer's source id (InCustomerRecord.key)
    product: str  # the product's name
    fields: dict  # date, amount, currency, channel, as JSON values


@dataclass
class InDeskTicket(InTicket):
    """A ticket as desk exported it. `kept` holds the stored fields that the landing writes
    as they are (messages with their ids, due times, flags, updated, …); links to other
    tickets are by their source ids, which the landing turns into this store's ids."""

    kept: dict = field(default_factory=dict)
    link: tuple[str, str] | None = None  # (kind, the original's source id)
    merged_into: str | None = None  # the target's source id


Record = InCustomerRecord | InProduct | InPurchase
