"""Repeat contacts (§B.3.5 item 6): later contacts about the same issue, by `repeat_match` rule."""

from __future__ import annotations

from collections import defaultdict

from .contacts import Contact
from .cycles import in_window
from .events import REMOVING_FLAGS
from .ticket_state import TicketRecord

LINK_RULES = {"repeat": "link", "follow_up": "follow_up"}


class RepeatMatcher:
    """Indexes links, customers and first contacts once; `repeats_of` answers per ticket."""

    def __init__(self, records: dict[str, TicketRecord], own: dict[str, list[Contact]], rules: list[str]):
        self.records = records
        self.own = own
        self.rules = set(rules)
        self.linked: dict[str, list[str]] = defaultdict(list)  # root(original) → linking tickets
        self.roots_by_customer: dict[str, list[TicketRecord]] = defaultdict(list)
        for record in records.values():
            for link in record.of_type("link_repeat"):
                if LINK_RULES[link.data["kind"]] in self.rules:
                    self.linked[records[link.data["original"]].root].append(record.id)
            if record.is_root and record.attrs["customer"] is not None:
                self.roots_by_customer[record.attrs["customer"]].append(record)

    def repeats_of(self, record: TicketRecord, t_fr: int | None, window_ms: int) -> list[Contact]:
        """Non-ack contacts in (t_fr, t_fr+W] from unflagged tickets, each counted once."""
        if t_fr is None:
            return []
        found: dict[str, Contact] = {}
        for contact in self._candidates(record):
            if (
                not contact.ack_only
                and in_window(contact.ts, t_fr, window_ms)
                and not set(REMOVING_FLAGS) & self.records[contact.ticket].flags
            ):
                found.setdefault(contact.event.id, contact)
        return sorted(found.values(), key=lambda contact: contact.order)

    def _candidates(self, record: TicketRecord) -> list[Contact]:
        candidates: list[Contact] = []
        if "merge" in self.rules:
            candidates += [c for member in record.members if member != record.id for c in self.own[member]]
        for source in self.linked.get(record.id, []):
            if source != record.id:
                candidates += self.own[source]
        for other in self._same_customer(record):
            first = self._first_contact(other)
            candidates += [first] if first else []
        return candidates

    def _same_customer(self, record: TicketRecord) -> list[TicketRecord]:
        customer, issue = record.attrs["customer"], record.attrs["issue_key"]
        if customer is None:
            return []
        any_issue = "same_customer_any_issue" in self.rules
        same_issue = "same_customer_same_issue_key" in self.rules and issue is not None
        return [
            other for other in self.roots_by_customer.get(customer, [])
            if other.id != record.id and (any_issue or (same_issue and other.attrs["issue_key"] == issue))
        ]

    def _first_contact(self, record: TicketRecord) -> Contact | None:
        contacts = [c for member in record.members for c in self.own[member]]
        return min(contacts, key=lambda contact: contact.order) if contacts else None
