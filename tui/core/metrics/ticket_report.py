"""The `Ticket` object of §B.10, with the ticket times and SLA states of §B.6."""

from __future__ import annotations

from .config import MetricsConfig, SlaTarget
from .csat import Answer
from .events import ATTRIBUTES
from .status import AGENT_WAIT, ON_HOLD, REQUESTER_WAIT
from .tickets import TicketFacts
from .times import format_time, to_seconds_or_none


def ticket_output(
    facts: TicketFacts, handle_s: int, rating: Answer | None, config: MetricsConfig, as_of: int
) -> dict:
    record = facts.record
    created = record.created.ts if record.created else None
    first_reply = _first_reply_s(facts, created)
    first_resolution = _since(created, facts.t_fr)
    target = config.sla_targets.get(record.attrs["priority"] or "")
    return {
        **{name: record.attrs[name] for name in ATTRIBUTES},
        "channel_class": "sync" if facts.sync else "async",
        "created": format_time(created),
        "status": facts.history.status,
        "assignee": record.assignee,
        "root": record.root,
        "merged_into": record.merged_into,
        "flags": sorted(record.flags),
        "contacts": len(facts.contacts),
        "first_contact": format_time(facts.first_contact),
        "h1": format_time(facts.h1.ts if facts.h1 else None),
        "first_handler": facts.first_handler,
        "first_session": facts.first_session,
        "eligible": facts.eligible,
        "excluded": facts.excluded,
        "fcr_team": facts.fcr_team,
        "fcr_agent": facts.fcr_agent,
        "reasons_team": facts.reasons_team,
        "reasons_agent": facts.reasons_agent,
        "first_resolution": format_time(facts.t_fr),
        "latest_resolution": format_time(facts.t_lr),
        "first_resolver": facts.first_resolver,
        "resolutions": len(facts.history.resolutions),
        "fcr_claimed": facts.fcr_claimed,
        "reopens": facts.reopens,
        "raw_reopens": facts.history.raw_reopens,
        "repeat_contacts": len(facts.repeats),
        "first_reply_s": first_reply,
        "first_resolution_s": first_resolution,
        "full_resolution_s": _since(created, facts.t_lr),
        **_waits(facts, created, as_of),
        "handle_s": handle_s,
        "csat_score": rating.event.data["score"] if rating else None,
        "csat_agent": rating.agent if rating else None,
        "sla_first_reply": None if facts.sync else _sla(target, "first_reply_s", first_reply, created, config, as_of),
        "sla_resolution": _sla(target, "resolution_s", first_resolution, created, config, as_of),
    }


def _since(created: int | None, moment: int | None) -> int | None:
    return None if created is None or moment is None else to_seconds_or_none(moment - created)


def _first_reply_s(facts: TicketFacts, created: int | None) -> int | None:
    """Async only. For `source: agent` tickets the first public reply opens them: use the 2nd."""
    if facts.sync:
        return None
    replies = facts.record.public_replies()
    index = 1 if facts.record.attrs["source"] == "agent" else 0
    return _since(created, replies[index].ts) if len(replies) > index else None


def _waits(facts: TicketFacts, created: int | None, as_of: int) -> dict:
    def time_in(statuses: frozenset[str]) -> int | None:
        return None if created is None else to_seconds_or_none(facts.history.time_in(statuses, created, as_of))

    return {
        "requester_wait_s": time_in(REQUESTER_WAIT),
        "agent_wait_s": time_in(AGENT_WAIT),
        "on_hold_s": time_in(ON_HOLD),
    }


def _sla(
    target: SlaTarget | None, key: str, measured_s: int | None, created: int | None,
    config: MetricsConfig, as_of: int,
) -> str | None:
    """`met`/`breached` once measured; before that `breached`, `at_risk` or `ok` by elapsed time."""
    limit_s = getattr(target, key) if target else None
    if limit_s is None or created is None:
        return None
    if measured_s is not None:
        return "met" if measured_s <= limit_s else "breached"
    elapsed_ms = as_of - created
    if elapsed_ms > limit_s * 1000:
        return "breached"
    if elapsed_ms >= config.sla_at_risk_fraction * limit_s * 1000:
        return "at_risk"
    return "ok"
