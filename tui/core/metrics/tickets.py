"""Derived facts per ticket, as of T (§B.3.5): contacts, h1, resolutions, cycles, eligibility."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .config import MetricsConfig
from .contacts import Contact, build_contacts, contacts_of
from .cycles import Cycle, in_window, reopen_cycles
from .events import REMOVING_FLAGS, Event
from .interactions import Leg, spans_by_ticket
from .repeats import RepeatMatcher
from .status import StatusHistory, build_history
from .ticket_state import TicketRecord

HANDLING_STATUSES = frozenset({"pending", "on_hold", "solved", "closed"})
HANDLING_ASSIGNS = frozenset({"transfer", "escalate"})


@dataclass
class TicketFacts:
    record: TicketRecord
    contacts: list[Contact]  # C(k)
    history: StatusHistory
    legs: list[Leg]  # legs on k itself, global order
    h1: Event | None
    cycles: list[Cycle]
    repeats: list[Contact]
    window_ms: int
    sync: bool
    excluded: str | None
    fcr_team: str | None = None
    fcr_agent: str | None = None
    reasons_team: list[str] = field(default_factory=list)
    reasons_agent: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def first_contact(self) -> int | None:
        return self.contacts[0].ts if self.contacts else None

    @property
    def first_handler(self) -> str | None:
        return self.h1.agent if self.h1 else None

    @property
    def first_session(self) -> str | None:
        return self.h1.session if self.h1 else None

    @property
    def t_fr(self) -> int | None:
        first = self.history.first_resolution
        return first.ts if first else None

    @property
    def t_lr(self) -> int | None:
        latest = self.history.latest_resolution
        return latest.ts if latest else None

    @property
    def first_resolver(self) -> str | None:
        first = self.history.first_resolution
        return first.event.agent if first else None

    @property
    def fcr_claimed(self) -> bool | None:
        first = self.history.first_resolution
        claim = first.event.data.get("fcr_claimed") if first else None
        return claim if isinstance(claim, bool) else None

    @property
    def eligible(self) -> bool:
        return self.excluded is None and self.h1 is not None

    @property
    def reopens(self) -> int:
        return sum(1 for cycle in self._cycles_in_window() if cycle.kind == "reopen")

    @property
    def has_undetermined_cycle(self) -> bool:
        return any(cycle.kind == "undetermined" for cycle in self._cycles_in_window())

    @property
    def is_removed(self) -> bool:
        """Flagged spam, test or deleted."""
        return bool(set(REMOVING_FLAGS) & self.record.flags)

    @property
    def counts_as_root(self) -> bool:
        """A root ticket that is not flagged: the population of solved counts and rates."""
        return self.record.is_root and not self.is_removed

    def _cycles_in_window(self) -> list[Cycle]:
        return [cycle for cycle in self.cycles if in_window(cycle.start, self.t_fr, self.window_ms)]


def build_ticket_facts(
    records: dict[str, TicketRecord], legs: list[Leg], config: MetricsConfig
) -> dict[str, TicketFacts]:
    own = build_contacts(records, spans_by_ticket(legs))
    legs_by_ticket: dict[str, list[Leg]] = defaultdict(list)
    for leg in legs:
        legs_by_ticket[leg.ticket].append(leg)
    matcher = RepeatMatcher(records, own, config.repeat_match)
    facts = {}
    for record in records.values():
        contacts = contacts_of(record, records, own)
        history = build_history(record.of_type("status_change"), contacts, config.undo_grace_s * 1000)
        ticket_legs = legs_by_ticket.get(record.id, [])
        responses = record.public_replies() + [leg.start_event for leg in ticket_legs if leg.agent is not None]
        window_ms = config.reopen_window_ms(record.attrs["channel"])
        first = history.first_resolution
        facts[record.id] = TicketFacts(
            record=record,
            contacts=contacts,
            history=history,
            legs=ticket_legs,
            h1=_first_handling(record, history, ticket_legs, contacts),
            cycles=reopen_cycles(history, own[record.id], responses),
            repeats=matcher.repeats_of(record, first.ts if first else None, window_ms),
            window_ms=window_ms,
            sync=config.is_sync(record.attrs["channel"]),
            excluded=_exclusion(record, contacts, history, config),
        )
    return facts


def _first_handling(
    record: TicketRecord, history: StatusHistory, legs: list[Leg], contacts: list[Contact]
) -> Event | None:
    """h1: the earliest handling action on k at or after the first contact; viewing is not one."""
    if not contacts:
        return None
    candidates = [leg.start_event for leg in legs if leg.agent is not None]
    candidates += record.public_replies()
    candidates += [c.event for c in history.changes if c.event.agent is not None and c.after in HANDLING_STATUSES]
    candidates += [e for e in record.of_type("assign") if e.data.get("kind") in HANDLING_ASSIGNS]
    first_contact = contacts[0].ts
    return min((e for e in candidates if e.ts >= first_contact), key=lambda e: e.order, default=None)


def _exclusion(
    record: TicketRecord, contacts: list[Contact], history: StatusHistory, config: MetricsConfig
) -> str | None:
    """§B.3.5 item 7, in the order the spec lists the reasons."""
    if not record.is_root:
        return "merged"
    for flag in REMOVING_FLAGS:
        if flag in record.flags:
            return flag
    if not contacts:
        return "no_contact"
    first = history.first_resolution
    if first is not None and first.event.data.get("resolution_code") in config.excluded_resolution_codes:
        return "resolution_code"
    return None
