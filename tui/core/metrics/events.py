"""The event envelope of §B.3.2 and the catalog of §B.3.3."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

WORK_TYPES = frozenset(
    {
        "run_start", "run_end", "heartbeat", "app_focus", "ticket_focus", "ticket_blur", "activity",
        "interaction_start", "interaction_end", "hold_start", "hold_end", "wrap_end",
        "break_start", "break_end", "timer_pause", "timer_resume", "manual_time",
    }
)
TICKET_TYPES = frozenset(
    {
        "ticket_created", "customer_contact", "agent_reply", "internal_note", "status_change",
        "assign", "merge", "link_repeat", "mark", "field_change", "csat_sent", "csat_response",
        "fcr_survey_response",
    }
)
KNOWN_TYPES = WORK_TYPES | TICKET_TYPES
# Work-stream types that must name a ticket (§B.3.2).
WORK_TYPES_WITH_TICKET = frozenset({"ticket_focus", "interaction_start", "manual_time"})

STATUSES = frozenset({"new", "open", "pending", "on_hold", "solved", "closed"})
RESOLVED = frozenset({"solved", "closed"})
TICKET_FLAGS = ("spam", "test", "deleted", "not_l1_resolvable")
REMOVING_FLAGS = ("spam", "test", "deleted")
ATTRIBUTES = ("channel", "source", "customer", "product", "issue_key", "priority", "group", "region")


@dataclass(frozen=True, slots=True)
class Event:
    """One valid, visible event. `ts` is epoch ms; `order` is its rank in the global order."""

    id: str
    stream: str
    seq: int
    ts: int
    type: str
    src: str
    data: dict[str, Any]
    mono: int | None
    agent: str | None
    session: str | None
    run: str | None
    ticket: str | None
    order: int = -1

    def sort_key(self) -> tuple:
        """§B.3.4: (ts, ticket before work, src, seq, id)."""
        return (self.ts, 0 if self.stream == "ticket" else 1, self.src, self.seq, self.id)

    @property
    def is_public_reply(self) -> bool:
        return self.type == "agent_reply" and self.data.get("public", True) is not False
