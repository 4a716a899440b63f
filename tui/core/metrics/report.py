"""The `desk metrics` document (§B.10): top-level keys in the order the spec lists them."""

from __future__ import annotations

from typing import Any

from .aggregates import Population, agent_output, session_output, team_output
from .events import Event
from .runs import Run, Session
from .ticket_report import ticket_output
from .times import format_time, to_seconds


def build_document(
    pop: Population,
    counts: dict[str, int],
    runs: dict[str, Run],
    sessions: dict[str, Session],
    events: list[Event],
    warnings: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "as_of": format_time(pop.as_of),
        "period": {
            "start": format_time(pop.period.start),
            "end": format_time(pop.period.end),
            "matured_start": format_time(pop.matured.start),
            "matured_end": format_time(pop.matured.end),
        },
        "config": pop.config.as_output(),
        "input": counts,
        "tickets": {ticket_id: _ticket(ticket_id, pop) for ticket_id in sorted(pop.facts)},
        "items": [item.as_output() for item in pop.items],
        "runs": {run_id: _run(runs[run_id]) for run_id in sorted(runs)},
        "sessions": {session_id: session_output(sessions[session_id], pop) for session_id in sorted(sessions)},
        "agents": _agents(pop, sessions, events),
        "team": team_output(pop),
        "warnings": warnings,
    }


def _ticket(ticket_id: str, pop: Population) -> dict[str, Any]:
    facts = pop.facts[ticket_id]
    is_root = facts.record.is_root
    return ticket_output(
        facts,
        pop.handle_by_ticket[ticket_id] if is_root else 0,
        pop.book.ratings.get(ticket_id) if is_root else None,
        pop.config,
        pop.as_of,
    )


def _run(run: Run) -> dict[str, Any]:
    return {
        "agent": run.agent,
        "session": run.session,
        "start": format_time(run.start),
        "end": format_time(run.end),
        "ended_by": run.ended_by,
        "end_reason": run.end_reason,
        "staffed_s": to_seconds(run.staffed_ms),
        "break_s": to_seconds(run.break_ms),
        "clock_jumps": run.clock_jumps,
    }


def _agents(pop: Population, sessions: dict[str, Session], events: list[Event]) -> dict[str, Any]:
    """Every agent named by an event's `agent` or by an `assign.to_agent`."""
    named = {event.agent for event in events if event.agent is not None}
    named |= {event.data["to_agent"] for event in events if event.type == "assign" and event.data.get("to_agent")}
    by_agent: dict[str, list[str]] = {agent: [] for agent in named}
    for session in sessions.values():
        by_agent.setdefault(session.agent, []).append(session.id)
    return {agent: agent_output(agent, by_agent[agent], pop) for agent in sorted(by_agent)}
