"""What an import derives from a source's ticket without desk's models: ids that are stable
across imports (ULIDs whose time is the message's or event's and whose random bits hash the
source id), the facts the spill keeps of a ticket for its landing, and a new customer's
stored form."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from ..models import format_ts
from .records import InTicket, InTicketFacts

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_PAIRS = [a + b for a in _CROCKFORD for b in _CROCKFORD]  # 10 bits -> two characters
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def stable_ulid(when: datetime, key: str) -> str:
    """A ULID whose time is `when` and whose 80 random bits are a hash of `key`."""
    # 48 bits of time (10 characters, shared by a ticket's events), then 80 bits of hash
    # (16 characters): the same characters as the 128-bit number written at once.
    bits = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=10).digest(), "big")
    return _time_part(max(0, int(when.timestamp() * 1000))) + "".join(
        [_PAIRS[(bits >> shift) & 1023] for shift in (70, 60, 50, 40, 30, 20, 10, 0)])


@lru_cache(maxsize=4096)
def _time_part(ms: int) -> str:
    return "".join([_PAIRS[(ms >> shift) & 1023] for shift in (40, 30, 20, 10, 0)])


def message_id(t: InTicket, m) -> str:
    return stable_ulid(m.created or _EPOCH, f"{t.source_id}/m/{m.key}")


def facts_of(t: InTicket) -> InTicketFacts:
    """What the landing needs of `t` beside its checked document."""
    purchased = format_ts(t.purchased) if t.purchased else None
    return InTicketFacts(
        source_id=t.source_id, customer=t.customer, product=t.product, category=t.category,
        purchased=purchased, created_known=t.created is not None,
        earliest=min([format_ts(x) for x in t.known_times()] + ([purchased] if purchased else []), default=None),
        statuses=[(format_ts(s.at), s.to) for s in t.statuses],
        untimed=[message_id(t, m) for m in t.messages if not m.time_known or m.created is None])


def spilled(t: InTicket) -> InTicket | InTicketFacts:
    """What the spill keeps of a ticket: its facts, or a desk export's ticket whole (its
    links and marks are landed from it)."""
    return facts_of(t) if type(t) is InTicket else t


def customer_doc(cid: str, name: str, email: str | None, phone: str | None,
                 company: str | None, since: str, source_id: str) -> dict[str, Any]:
    """The stored form of a new imported customer, as `Customer(...).model_dump(mode="json",
    exclude_none=True)` gives it (tests/core/importers/test_import_passes.py compares them),
    built without the model: every value here is one the model accepts (a non-empty name,
    texts, a time in desk's form), so validating it would only cost time."""
    doc: dict[str, Any] = {"id": cid, "name": name}
    for field, value in (("email", email), ("phone", phone), ("company", company)):
        if value is not None:
            doc[field] = value
    doc.update({"language": "en", "tier": "standard", "customer_since": since,
                "tags": [], "notes": "", "source_id": source_id})
    return doc
