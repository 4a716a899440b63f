"""FCR status of a ticket (§B.5): the violation set V(T) and the status that follows from it."""

from __future__ import annotations

from .config import MetricsConfig
from .interactions import first_interaction_end
from .tickets import TicketFacts

WAIT_STATUSES = frozenset({"pending", "on_hold"})


def assess_fcr(facts: TicketFacts, config: MetricsConfig, as_of: int) -> None:
    """Set fcr_team/fcr_agent and their reasons. Excluded: null; not excluded without h1: open."""
    if facts.excluded is not None:
        return
    if facts.h1 is None:
        facts.fcr_team = facts.fcr_agent = "open"
        return
    facts.reasons_team = team_reasons(facts, config, as_of)
    facts.reasons_agent = facts.reasons_team + agent_reasons(facts, as_of)
    facts.fcr_team = _status(facts, facts.reasons_team, as_of)
    facts.fcr_agent = _status(facts, facts.reasons_agent, as_of)


def team_reasons(facts: TicketFacts, config: MetricsConfig, as_of: int) -> list[str]:
    """Reasons 1–7, in canonical order."""
    checks = [
        ("multiple_contacts", _multiple_contacts(facts, as_of)),
        ("pending_before_resolution", config.fail_on_wait_status and _waited(facts, as_of)),
        ("resolved_after_contact", facts.sync and _sync_failed(facts, config, as_of)),
        ("multiple_public_replies", not facts.sync and _replies(facts, as_of) > config.async_max_public_replies),
        ("async_time_exceeded", not facts.sync and _too_slow(facts, config, as_of)),
        ("reopened", facts.reopens >= 1),
        ("repeat_contact", len(facts.repeats) >= 1),
    ]
    return [reason for reason, violated in checks if violated]


def agent_reasons(facts: TicketFacts, as_of: int) -> list[str]:
    """Reasons 8–9 (agent level only)."""
    checks = [
        ("transferred", _transferred(facts, as_of)),
        ("resolved_by_other_agent", _resolved_by_other(facts)),
    ]
    return [reason for reason, violated in checks if violated]


def _status(facts: TicketFacts, reasons: list[str], as_of: int) -> str:
    if reasons:
        return "not_fcr"
    if facts.t_fr is None or facts.has_undetermined_cycle:
        return "open"
    if as_of < facts.t_fr + facts.window_ms:
        return "pending_window"
    return "fcr"


def _upper(facts: TicketFacts, as_of: int) -> int:
    return facts.t_fr if facts.t_fr is not None else as_of


def _multiple_contacts(facts: TicketFacts, as_of: int) -> bool:
    h1, upper = facts.h1.ts, _upper(facts, as_of)
    return any(not contact.ack_only and h1 < contact.ts <= upper for contact in facts.contacts)


def _waited(facts: TicketFacts, as_of: int) -> bool:
    h1, upper = facts.h1.ts, _upper(facts, as_of)
    return any(
        change.after in WAIT_STATUSES and change.before != change.after and h1 <= change.ts <= upper
        for change in facts.history.changes
    )


def _sync_failed(facts: TicketFacts, config: MetricsConfig, as_of: int) -> bool:
    h1 = facts.h1
    if h1.type != "interaction_start" or h1.data.get("direction") != "inbound":
        return True
    _, e1 = first_interaction_end(facts.legs)
    if e1 is None:
        return False
    deadline = e1 + config.sync_fcr_grace_s * 1000
    return facts.t_fr > deadline if facts.t_fr is not None else as_of > deadline


def _replies(facts: TicketFacts, as_of: int) -> int:
    h1, upper = facts.h1.ts, _upper(facts, as_of)
    replies = sum(1 for event in facts.record.public_replies() if h1 <= event.ts <= upper)
    outbound = {
        leg.interaction for leg in facts.legs if leg.direction == "outbound" and h1 <= leg.start <= upper
    }
    return replies + len(outbound)


def _too_slow(facts: TicketFacts, config: MetricsConfig, as_of: int) -> bool:
    if config.async_fcr_max_s is None:
        return False
    return _upper(facts, as_of) - facts.first_contact > config.async_fcr_max_s * 1000


def _resolved_by_other(facts: TicketFacts) -> bool:
    """A system/import resolution (no agent) counts as another agent."""
    if facts.t_fr is None:
        return False
    return facts.first_resolver is None or facts.first_resolver != facts.first_handler


def _transferred(facts: TicketFacts, as_of: int) -> bool:
    h1, upper = facts.h1.ts, _upper(facts, as_of)
    for assign in facts.record.of_type("assign"):
        to_agent, to_group = assign.data.get("to_agent"), assign.data.get("to_group")
        moved = to_agent != facts.first_handler if to_agent else bool(to_group)
        if moved and h1 <= assign.ts <= upper:
            return True
    return False
