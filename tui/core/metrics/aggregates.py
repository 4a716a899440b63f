"""The `Session`, `Agent` and `Team` objects of §B.10."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Callable, Iterable

from .config import MetricsConfig
from .csat import SurveyBook, everyone, only
from .items import Item
from .rates import fcr_rate, mean, median, p90, rate, ratio
from .runs import Session
from .tickets import TicketFacts
from .times import DAY_MS, Period, format_time, to_seconds

BACKLOG_STATUSES = frozenset({"new", "open", "pending", "on_hold"})
AGE_BUCKETS = (("lt_1d", DAY_MS), ("1d_3d", 3 * DAY_MS), ("3d_7d", 7 * DAY_MS), ("ge_7d", None))


@dataclass(frozen=True)
class Stamp:
    """Something an agent did in a session at a time: a qualifying solve or a call leg start."""

    agent: str
    session: str
    ts: int


@dataclass
class Population:
    """Everything the aggregates are computed from, with the groupings they share."""

    facts: dict[str, TicketFacts]
    items: list[Item]
    solves: list[Stamp]
    call_legs: list[Stamp]
    book: SurveyBook
    config: MetricsConfig
    as_of: int
    period: Period
    matured: Period
    items_by_session: dict[str, list[Item]] = field(init=False)
    items_by_agent: dict[str, list[Item]] = field(init=False)
    handle_by_ticket: Counter = field(init=False)
    solves_by_session: Counter = field(init=False)
    legs_by_session: Counter = field(init=False)
    eligible: list[TicketFacts] = field(init=False)
    first_handled: dict[tuple[str | None, str | None], list[TicketFacts]] = field(init=False)

    def __post_init__(self) -> None:
        self.items_by_session = defaultdict(list)
        self.items_by_agent = defaultdict(list)
        self.handle_by_ticket = Counter()
        for item in self.items:
            self.items_by_session[item.session].append(item)
            self.items_by_agent[item.agent].append(item)
            self.handle_by_ticket[item.ticket] += item.handle_s
        self.solves_by_session = Counter((solve.agent, solve.session) for solve in self.solves)
        self.legs_by_session = Counter(leg.session for leg in self.call_legs)
        self.eligible = [ticket for ticket in self.facts.values() if ticket.eligible]
        self.first_handled = defaultdict(list)  # by (first_handler, first_session)
        for ticket in self.eligible:
            self.first_handled[(ticket.first_handler, ticket.first_session)].append(ticket)


def qualifying_solves(facts: dict[str, TicketFacts]) -> list[Stamp]:
    """Effective resolutions made by an agent in a session, on unflagged root tickets."""
    return [
        Stamp(change.event.agent, change.event.session, change.ts)
        for ticket in facts.values() if ticket.counts_as_root
        for change in ticket.history.resolutions
        if change.event.agent is not None and change.event.session is not None
    ]


def session_output(session: Session, pop: Population) -> dict:
    items = pop.items_by_session.get(session.id, [])
    handle = [item.handle_s for item in items if item.aht_item]
    legs = pop.legs_by_session[session.id]
    staffed_s = to_seconds(session.staffed_ms)
    total_work_s = to_seconds(sum(item.accrued_ms for item in items))
    solved = pop.solves_by_session[(session.agent, session.id)]
    mine = pop.first_handled.get((session.agent, session.id), [])
    return {
        "agent": session.agent,
        "runs": [run.id for run in session.runs],
        "start": format_time(session.start),
        "end": format_time(session.end),
        "tz": session.tz,
        "local_date": session.local_date,
        "staffed_s": staffed_s,
        "break_s": to_seconds(session.break_ms),
        "unaccounted_s": to_seconds(session.unaccounted_ms),
        "total_work_s": total_work_s,
        "items": len(handle),
        "aht_s": mean(handle),
        "aht_median_s": median(handle),
        "aht_p90_s": p90(handle),
        "aht_voice_s": ratio(sum(item.voice_s for item in items), legs),
        "call_legs": legs,
        "fcr": fcr_rate(ticket.fcr_agent for ticket in mine),
        "fcr_net": fcr_rate(ticket.fcr_agent for ticket in _net(mine)),
        "solved": solved,
        "solved_per_hour": ratio(solved * 3600, staffed_s),
        "utilization": ratio(total_work_s, staffed_s),
    }


def agent_output(agent: str, sessions: list[str], pop: Population) -> dict:
    items = [item for item in pop.items_by_agent.get(agent, []) if item.first_ts in pop.period]
    handle = [item.handle_s for item in items if item.aht_item]
    tickets = {item.ticket for item in items if item.aht_item}
    legs = [leg for leg in pop.call_legs if leg.agent == agent and leg.ts in pop.period]
    handled = [ticket for ticket in pop.eligible if ticket.first_handler == agent]
    resolved = [ticket for ticket in pop.facts.values() if ticket.first_resolver == agent]
    return {
        "sessions": sorted(sessions),
        "items": len(handle),
        "tickets": len(tickets),
        "aht_touch_s": mean(handle),
        "aht_ticket_s": ratio(sum(handle), len(tickets)),
        "aht_median_s": median(handle),
        "aht_p90_s": p90(handle),
        "aht_voice_s": ratio(sum(item.voice_s for item in items), len(legs)),
        "call_legs": len(legs),
        "solved": sum(1 for solve in pop.solves if solve.agent == agent and solve.ts in pop.period),
        **_fcr_rates("rolling_fcr", handled, pop, lambda ticket: ticket.fcr_agent),
        **_outcome_rates(resolved, pop),
        "csat": pop.book.csat(pop.period, pop.config, only(agent)),
        "customer_fcr": pop.book.customer_fcr(pop.period, only(agent)),
        **_claims(resolved, pop.period),
        "backlog": _backlog(agent, pop),
    }


def team_output(pop: Population) -> dict:
    items = [item for item in pop.items if item.first_ts in pop.period]
    legs = [leg for leg in pop.call_legs if leg.ts in pop.period]
    resolved_in_p = [ticket for ticket in pop.facts.values() if ticket.counts_as_root and ticket.t_lr in pop.period]
    rates = _fcr_rates("fcr", pop.eligible, pop, lambda ticket: ticket.fcr_team)
    return {
        "fcr": rates["fcr"],
        "fcr_net": rates["fcr_net"],
        "fcr_matured": rates["fcr_matured"],
        "aht_ticket_s": ratio(sum(pop.handle_by_ticket[ticket.id] for ticket in resolved_in_p), len(resolved_in_p)),
        "tickets_resolved": len(resolved_in_p),
        "aht_voice_s": ratio(sum(item.voice_s for item in items), len(legs)),
        "call_legs": len(legs),
        **_outcome_rates(pop.facts.values(), pop),
        "csat": pop.book.csat(pop.period, pop.config, everyone),
        "customer_fcr": pop.book.customer_fcr(pop.period, everyone),
    }


def _net(tickets: Iterable[TicketFacts]) -> list[TicketFacts]:
    """The net variant leaves out tickets flagged not_l1_resolvable as of T."""
    return [ticket for ticket in tickets if "not_l1_resolvable" not in ticket.record.flags]


def _fcr_rates(
    name: str, handled: list[TicketFacts], pop: Population, status: Callable[[TicketFacts], str]
) -> dict:
    """By first handling: in P (gross and net) and in the matured period."""
    in_period = [ticket for ticket in handled if ticket.h1.ts in pop.period]
    matured = [ticket for ticket in handled if ticket.h1.ts in pop.matured]
    return {
        name: fcr_rate(map(status, in_period)),
        f"{name}_net": fcr_rate(map(status, _net(in_period))),
        f"{name}_matured": fcr_rate(map(status, matured)),
    }


def _outcome_rates(resolved: Iterable[TicketFacts], pop: Population) -> dict:
    """Reopen and repeat-contact rates over unflagged root tickets, by t_fr."""
    roots = [ticket for ticket in resolved if ticket.counts_as_root and ticket.t_fr is not None]
    in_period = [ticket for ticket in roots if ticket.t_fr in pop.period]
    matured = [ticket for ticket in roots if ticket.t_fr in pop.matured]

    def share(tickets: list[TicketFacts], hit: Callable[[TicketFacts], bool]) -> dict:
        return rate(sum(1 for ticket in tickets if hit(ticket)), len(tickets))

    return {
        "reopen_rate": share(in_period, _was_reopened),
        "reopen_rate_matured": share(matured, _was_reopened),
        "repeat_rate": share(in_period, _had_repeat),
        "repeat_rate_matured": share(matured, _had_repeat),
    }


def _was_reopened(ticket: TicketFacts) -> bool:
    return ticket.reopens >= 1


def _had_repeat(ticket: TicketFacts) -> bool:
    return len(ticket.repeats) >= 1


def _claims(resolved: list[TicketFacts], period: Period) -> dict:
    """Claimed FCR on eligible first resolutions in P, and the accuracy of set claims."""
    claimed = [ticket for ticket in resolved if ticket.eligible and ticket.t_fr in period]
    judged = [t for t in claimed if t.fcr_claimed is not None and t.fcr_agent in ("fcr", "not_fcr")]
    return {
        "claimed_fcr": rate(sum(1 for ticket in claimed if ticket.fcr_claimed is True), len(claimed)),
        "claim_accuracy": rate(
            sum(1 for ticket in judged if ticket.fcr_claimed == (ticket.fcr_agent == "fcr")), len(judged)
        ),
    }


def _backlog(agent: str, pop: Population) -> dict:
    tickets = sorted(
        ticket.id for ticket in pop.facts.values()
        if ticket.counts_as_root and ticket.record.assignee == agent and ticket.history.status in BACKLOG_STATUSES
    )
    by_age = dict.fromkeys((name for name, _ in AGE_BUCKETS), 0)
    for ticket_id in tickets:
        record = pop.facts[ticket_id].record
        age = pop.as_of - (record.created.ts if record.created else record.first_seen)
        by_age[next(name for name, limit in AGE_BUCKETS if limit is None or age < limit)] += 1
    return {"n": len(tickets), "tickets": tickets, "by_age": by_age}
