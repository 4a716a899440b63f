"""desk's records as Pydantic v2 models.

Every timestamp is timezone-aware UTC. `record_error()` turns a validation
failure into a `RecordError` that names the file, record and field.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import lru_cache
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)

SCHEMA_VERSION = 1

TICKET_ID = re.compile(r"^T-\d+$")
BCP47 = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def to_utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc)


@lru_cache(maxsize=8192)  # a ticket's times repeat in its messages, events and dumps
def format_ts(value: datetime) -> str:
    """RFC 3339 UTC with milliseconds, e.g. 2026-11-22T10:00:00.000Z."""
    if value.tzinfo is not timezone.utc:
        value = value.astimezone(timezone.utc)
    # Three times faster than strftime (an import formats ~20 a ticket); always four year digits.
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (
        value.year, value.month, value.day, value.hour, value.minute, value.second,
        value.microsecond // 1000)


UtcDatetime = Annotated[
    AwareDatetime,
    AfterValidator(to_utc),
    PlainSerializer(format_ts, return_type=str, when_used="json"),
]


class TicketStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    ON_HOLD = "on_hold"
    SOLVED = "solved"
    CLOSED = "closed"


OPEN_STATUSES = frozenset({"new", "open", "pending", "on_hold"})
RESOLVED_STATUSES = frozenset({"solved", "closed"})


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}


class TicketChannel(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    CHAT = "chat"
    WEB = "web"
    SOCIAL = "social"
    IN_PERSON = "in_person"


class SalesChannel(StrEnum):
    ONLINE = "online"
    RETAIL = "retail"
    PHONE = "phone"
    FIELD_SALES = "field_sales"
    TRADE_FAIR = "trade_fair"
    DOOR_TO_DOOR = "door_to_door"
    TELEMARKETING = "telemarketing"


class AuthorKind(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    SYSTEM = "system"


class MessageKind(StrEnum):
    CUSTOMER_MESSAGE = "customer_message"
    PUBLIC_REPLY = "public_reply"
    INTERNAL_NOTE = "internal_note"
    CALL_LOG = "call_log"


class Tier(StrEnum):
    STANDARD = "standard"
    SILVER = "silver"
    GOLD = "gold"
    PLATINUM = "platinum"


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, use_enum_values=True)


def _check_language(value: str) -> str:
    if not BCP47.match(value):
        raise ValueError(f"{value!r} is not a BCP 47 language tag (e.g. 'en', 'nb-NO')")
    return value


Language = Annotated[str, AfterValidator(_check_language)]


class Customer(Record):
    id: str = Field(pattern=r"^C-\d+$")
    name: str = Field(min_length=1)
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    region: str | None = None
    language: Language = "en"
    tier: Tier = Tier.STANDARD
    customer_since: UtcDatetime
    tags: list[str] = Field(default_factory=list)
    notes: str = ""
    source_id: str | None = None  # where an import found them, e.g. "zendesk:user:20978392"

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.split() else self.name


class Product(Record):
    id: str = Field(pattern=r"^P-\d+$")
    name: str = Field(min_length=1)
    category: str


class Purchase(Record):
    id: str = Field(pattern=r"^O-\d+$")
    customer: str
    product: str
    date: UtcDatetime
    # An imported purchase may come without amount or sales channel: unknown, not invented.
    amount: float | None = Field(default=None, ge=0)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    channel: SalesChannel | None = None


class Message(Record):
    id: str = Field(min_length=1)
    author_kind: AuthorKind
    author: str
    kind: MessageKind
    body: str
    created: UtcDatetime
    call_start: UtcDatetime | None = None
    call_end: UtcDatetime | None = None

    @model_validator(mode="after")
    def _call_times(self) -> "Message":
        if self.kind != MessageKind.CALL_LOG and (self.call_start or self.call_end):
            raise ValueError("call_start/call_end are only allowed on a call_log")
        if self.call_start and self.call_end and self.call_end < self.call_start:
            raise ValueError("call_end is before call_start")
        return self


class Satisfaction(Record):
    score: int = Field(ge=1, le=5)
    comment: str = ""
    date: UtcDatetime


FLAGS = ("spam", "test", "not_l1_resolvable")  # metrics spec §B.3.3 `mark`, set by an agent
LINK_KINDS = ("repeat", "follow_up")  # §B.3.3 `link_repeat`


class TicketLink(Record):
    """This ticket is a repeat or a follow-up of `original` (for repeat contacts, §B.3.5)."""

    original: str = Field(pattern=TICKET_ID.pattern)
    kind: Literal["repeat", "follow_up"]


class TicketFields(Record):
    """Every field of a ticket but its thread: `Ticket` adds the thread, and the archive
    index's `TicketHead` (tui/core/store/base.py) is a past ticket without it."""

    id: str = Field(pattern=TICKET_ID.pattern)
    customer: str
    product: str | None = None
    subject: str
    status: TicketStatus = TicketStatus.NEW
    priority: Priority = Priority.NORMAL
    channel: TicketChannel = TicketChannel.EMAIL
    tags: list[str] = Field(default_factory=list)
    assignee: str | None = None
    group: str | None = None
    flags: list[Literal["spam", "test", "not_l1_resolvable"]] = Field(default_factory=list)
    link: TicketLink | None = None
    created: UtcDatetime
    updated: UtcDatetime
    first_reply_due: UtcDatetime | None = None
    resolution_due: UtcDatetime | None = None
    first_replied: UtcDatetime | None = None
    solved: UtcDatetime | None = None
    issue_key: str | None = None
    resolution_code: str | None = None
    satisfaction: Satisfaction | None = None
    merged_into: str | None = Field(default=None, pattern=TICKET_ID.pattern)  # set by a merge
    # An imported ticket's id in its source ("zendesk:35436") and a hash of what the source
    # said last: a re-import of the same facts changes nothing (tui/core/importers/).
    source_id: str | None = None
    source_hash: str | None = None
    rev: int = Field(default=0, ge=0, alias="_rev", strict=True)  # "7" is not a revision

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: list[str]) -> list[str]:
        return sorted({t.strip() for t in tags if t.strip()})

    @property
    def number(self) -> int:
        return int(self.id[2:])


class Ticket(TicketFields):
    messages: list[Message] = Field(default_factory=list)

    def to_doc(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


MODELS_BY_TABLE: dict[str, type[Record]] = {
    "customers": Customer,
    "products": Product,
    "purchases": Purchase,
    "tickets": Ticket,
}


class RecordError(ValueError):
    """One bad record: where it is and what is wrong with it."""

    def __init__(self, file: str, record: str, field: str, reason: str):
        self.file, self.record, self.field, self.reason = file, record, field, reason
        super().__init__(f"{file}: record {record}: field {field}: {reason}")


def record_errors(exc: ValidationError, file: str, record: str) -> list[RecordError]:
    found = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "(record)"
        found.append(RecordError(file, record, field, err["msg"]))
    return found


def validate(model: type[Record], data: Any, *, file: str, record: str) -> Record:
    """Validate one record, raising the first `RecordError` on failure."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise record_errors(exc, file, record)[0] from None


def now_utc() -> datetime:
    return datetime.now(timezone.utc)
