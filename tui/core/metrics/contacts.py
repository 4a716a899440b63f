"""Customer contacts C(k) and their `ack_only` flags (§B.3.3, §B.3.5 item 1)."""

from __future__ import annotations

from dataclasses import dataclass

from .events import Event
from .interactions import Span
from .ticket_state import TicketRecord


@dataclass
class Contact:
    event: Event
    ack_only: bool

    @property
    def key(self) -> str:
        return self.event.data.get("contact") or self.event.id

    @property
    def ticket(self) -> str:
        return self.event.ticket

    @property
    def ts(self) -> int:
        return self.event.ts

    @property
    def order(self) -> int:
        return self.event.order


def build_contacts(
    records: dict[str, TicketRecord], spans: dict[str, list[Span]]
) -> dict[str, list[Contact]]:
    """Each ticket's own contacts, without messages inside a live interaction on it."""
    own: dict[str, list[Contact]] = {}
    for record in records.values():
        own[record.id] = [
            Contact(event, event.data.get("ack_only") is True)
            for event in record.of_type("customer_contact")
            if not _inside_interaction(event, spans.get(record.id, []))
        ]
    marks = [
        (mark, record) for record in records.values() for mark in record.of_type("mark")
        if mark.data["flag"] == "ack_only"
    ]
    for mark, record in sorted(marks, key=lambda pair: pair[0].order):
        _apply_ack_mark(mark, contacts_of(record, records, own))
    return own


def contacts_of(
    record: TicketRecord, records: dict[str, TicketRecord], own: dict[str, list[Contact]]
) -> list[Contact]:
    """C(k): k's contacts plus those re-parented from tickets merged into it, in global order."""
    merged = [contact for member in record.members for contact in own.get(member, [])]
    return sorted(merged, key=lambda contact: contact.order)


def _inside_interaction(event: Event, spans: list[Span]) -> bool:
    return event.data.get("kind") == "inbound_message" and any(span.contains(event.ts) for span in spans)


def _apply_ack_mark(mark: Event, contacts: list[Contact]) -> None:
    """The named contact, or by default the ticket's latest contact at the time of the mark."""
    named = mark.data.get("contact")
    if named is not None:
        targets = [contact for contact in contacts if contact.key == named]
    else:
        earlier = [contact for contact in contacts if contact.order < mark.order]
        targets = earlier[-1:]
    for contact in targets:
        contact.ack_only = mark.data["value"]
