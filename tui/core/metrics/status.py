"""Status history, undo and resolutions (§B.3.5 item 4) and status durations (§B.6)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .contacts import Contact
from .events import RESOLVED, Event

REQUESTER_WAIT = frozenset({"new", "open", "on_hold"})
AGENT_WAIT = frozenset({"pending"})
ON_HOLD = frozenset({"on_hold"})


@dataclass(frozen=True)
class Change:
    event: Event
    before: str
    after: str

    @property
    def is_resolution(self) -> bool:
        return self.before not in RESOLVED and self.after in RESOLVED

    @property
    def leaves_resolved(self) -> bool:
        return self.before in RESOLVED and self.after not in RESOLVED

    @property
    def ts(self) -> int:
        return self.event.ts


@dataclass
class StatusHistory:
    """The effective history: undone solves removed, their reversals kept as plain changes."""

    changes: list[Change] = field(default_factory=list)
    status: str = "new"
    resolutions: list[Change] = field(init=False)

    def __post_init__(self) -> None:
        self.resolutions = [change for change in self.changes if change.is_resolution]

    @property
    def first_resolution(self) -> Change | None:
        return self.resolutions[0] if self.resolutions else None

    @property
    def latest_resolution(self) -> Change | None:
        """t_lr: only while the ticket is solved/closed at T."""
        return self.resolutions[-1] if self.resolutions and self.status in RESOLVED else None

    @property
    def raw_reopens(self) -> int:
        return sum(1 for change in self.changes if change.leaves_resolved)

    def resolver_at(self, ts: int) -> str | None:
        """The agent of the latest effective resolution at or before ts."""
        earlier = [change for change in self.resolutions if change.ts <= ts]
        return earlier[-1].event.agent if earlier else None

    def time_in(self, statuses: frozenset[str], created: int, until: int) -> int:
        """Milliseconds spent in `statuses` between creation and `until`."""
        total = 0
        status, since = "new", created
        for change in self.changes:
            if change.ts > since:
                total += change.ts - since if status in statuses else 0
                since = change.ts
            status = change.after
        if until > since and status in statuses:
            total += until - since
        return total


def build_history(status_events: list[Event], contacts: list[Contact], undo_grace_ms: int) -> StatusHistory:
    raw = _chain(status_events)
    undone = _undone_solves(raw, contacts, undo_grace_ms)
    effective = _chain([change.event for change in raw if change.event.id not in undone])
    return StatusHistory(effective, effective[-1].after if effective else "new")


def _chain(status_events: list[Event]) -> list[Change]:
    """Each change's `before` is the status the history itself reached, not the event's `from`."""
    changes = []
    status = "new"
    for event in status_events:
        changes.append(Change(event, status, event.data["to"]))
        status = event.data["to"]
    return changes


def _undone_solves(raw: list[Change], contacts: list[Contact], undo_grace_ms: int) -> set[str]:
    """Ids of solves reverted by the same agent within U, with no customer contact in between."""
    undone = set()
    for solve, reversal in zip(raw, raw[1:]):
        if (
            solve.is_resolution
            and reversal.after not in RESOLVED
            and solve.event.agent is not None
            and solve.event.agent == reversal.event.agent
            and reversal.ts - solve.ts <= undo_grace_ms
            and not any(solve.ts < contact.ts <= reversal.ts for contact in contacts)
        ):
            undone.add(solve.event.id)
    return undone
