"""Reopen cycles (§B.3.5 item 5): classified by what they contain."""

from __future__ import annotations

from dataclasses import dataclass, field

from .contacts import Contact
from .events import RESOLVED, Event
from .status import StatusHistory


@dataclass
class Cycle:
    start: int  # ts
    contacts: list[Contact] = field(default_factory=list)
    agent_response: bool = False
    ended: bool = False

    @property
    def kind(self) -> str:
        """`ack_only`, `undetermined` or `reopen`, by what the cycle contains."""
        unflagged = [contact for contact in self.contacts if not contact.ack_only]
        if not self.agent_response and self.contacts:
            if not unflagged or (len(unflagged) == 1 and self.ended):
                return "ack_only"
            if len(unflagged) == 1:
                return "undetermined"
        return "reopen"


def reopen_cycles(history: StatusHistory, own_contacts: list[Contact], responses: list[Event]) -> list[Cycle]:
    """Walk k's effective changes, own contacts and agent responses in global order."""
    timeline = sorted(
        [(c.event.order, "status", c) for c in history.changes]
        + [(c.order, "contact", c) for c in own_contacts]
        + [(e.order, "response", e) for e in responses],
        key=lambda entry: entry[0],
    )
    cycles: list[Cycle] = []
    current: Cycle | None = None
    status = "new"
    for _, kind, item in timeline:
        if kind == "status":
            if current is not None and item.is_resolution:
                current.ended = True
                current = None
            elif current is None and item.leaves_resolved:
                current = Cycle(item.ts)
                cycles.append(current)
            status = item.after
        elif kind == "contact":
            if current is None and status in RESOLVED:
                current = Cycle(item.ts)
                cycles.append(current)
            if current is not None:
                current.contacts.append(item)
        elif current is not None:
            current.agent_response = True
    return cycles


def in_window(ts: int, t_fr: int | None, window_ms: int) -> bool:
    return t_fr is not None and t_fr < ts <= t_fr + window_ms
