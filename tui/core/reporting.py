"""`desk report`: the metrics of one period for a team lead, overall, per agent and per segment.

The figures come from `compute()` (metrics-spec §B.10) over the period P = (since, until]:
FCR (team and agent variants, final and provisional), AHT per touch (mean, median, p90), CSAT,
the reopen rate and solved per hour. Segments (§B.9) are the ticket's channel, product, region,
priority or customer language. Every value the store knows is listed, so a segment with
n = 0 or 1 stays visible; figures over fewer than `csat_min_n` cases are flagged `low_n`.

Pure: no clock, no files. The caller passes the events, the config, the period and the
store's dimensions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Callable, Iterable, Mapping

from .metrics import MetricsConfig, ReadSummary, compute, parse_time
from .metrics.csat import SurveyBook, build_survey_book, everyone, only
from .metrics.events import REMOVING_FLAGS
from .metrics.interactions import build_legs
from .metrics.loading import load_events
from .metrics.rates import fcr_rate, mean, median, p90, rate, ratio
from .metrics.runs import build_runs
from .metrics.ticket_state import build_records
from .metrics.tickets import TicketFacts, build_ticket_facts
from .metrics.times import Period, format_time
from .models import PRIORITY_RANK, Customer, Product, TicketChannel

DIMENSIONS = ("channel", "product", "region", "priority", "language")
NONE_LABEL = "(none)"
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


class ReportError(ValueError):
    """A bad period or agent: the message names the argument."""


# -- the period ------------------------------------------------------------------------------


def report_period(since: str | None, until: str | None, now_ms: int, window_s: int) -> tuple[int, int]:
    """(since, until] in epoch ms from `--since`/`--until`.

    A date is a UTC day: `--since D` starts at its 00:00, `--until D` ends at the next 00:00, so
    D is included. Other values are RFC 3339 (no offset = UTC). Default: until = now, to the
    second; since = until − window_s. The length is cut to whole seconds (it becomes
    `rolling_window_s`), moving since.
    """
    until_ms = now_ms - now_ms % 1000 if until is None else _bound("--until", until, end_of_day=True)
    since_ms = until_ms - window_s * 1000 if since is None else _bound("--since", since, end_of_day=False)
    length_s = (until_ms - since_ms) // 1000
    if length_s < 1:
        raise ReportError(f"--since {format_time(since_ms)} is not before --until {format_time(until_ms)}")
    return until_ms - length_s * 1000, until_ms


def _bound(option: str, text: str, *, end_of_day: bool) -> int:
    value = text.strip()
    try:
        if _DATE_ONLY.fullmatch(value):
            day = date.fromisoformat(value) + timedelta(days=1 if end_of_day else 0)
            return parse_time(f"{day.isoformat()}T00:00:00Z")
        return parse_time(value)
    except ValueError:
        raise ReportError(f"{option}: {text!r} is not a date (YYYY-MM-DD) or an RFC 3339 time") from None


# -- the store's dimensions -----------------------------------------------------------------


@dataclass(frozen=True)
class StoreDimensions:
    """What the store knows: product names, each customer's region and language, and the
    attributes of its ticket records (used when the event log lacks them)."""

    product_names: dict[str, str]
    customer_region: dict[str, str | None]
    customer_language: dict[str, str]
    ticket_attributes: dict[str, dict[str, Any]]

    @classmethod
    def from_store(
        cls, products: Iterable[Product], customers: Iterable[Customer], ticket_docs: Iterable[Mapping[str, Any]]
    ) -> StoreDimensions:
        customers = list(customers)
        return cls(
            product_names={product.id: product.name for product in products},
            customer_region={customer.id: customer.region for customer in customers},
            customer_language={customer.id: customer.language for customer in customers},
            ticket_attributes={doc["id"]: dict(doc) for doc in ticket_docs},
        )

    def known_values(self, dimension: str) -> set[str]:
        """The values listed even when no ticket of the period has them."""
        if dimension == "product":
            return set(self.product_names)
        if dimension == "region":
            return {region for region in self.customer_region.values() if region}
        if dimension == "language":
            return set(self.customer_language.values())
        if dimension == "channel":
            return {channel.value for channel in TicketChannel}
        return set(PRIORITY_RANK)

    def value_of(self, dimension: str, ticket_id: str, ticket: Mapping[str, Any]) -> str | None:
        """A ticket's segment: its attribute as of T in the log, else the store's record;
        region falls back to, and language always comes from, the customer's record."""
        if dimension in ("channel", "product", "priority", "region"):
            own = ticket.get(dimension) or self._stored(ticket_id, dimension)
            if own or dimension != "region":
                return own
        customer = ticket.get("customer") or self._stored(ticket_id, "customer")
        if dimension == "region":
            return self.customer_region.get(customer)
        return self.customer_language.get(customer)

    def label(self, dimension: str, value: str | None) -> str:
        if value is None:
            return NONE_LABEL
        return self.product_names.get(value, value) if dimension == "product" else value

    def _stored(self, ticket_id: str, field: str) -> Any:
        return self.ticket_attributes.get(ticket_id, {}).get(field)


def segment_order(dimension: str, values: Iterable[str | None], dims: StoreDimensions) -> list[str | None]:
    """Priorities by urgency, channels as the store lists them, the rest by label; none last."""
    channels = [channel.value for channel in TicketChannel]

    def key(value: str | None) -> tuple:
        if value is None:
            return (2, 0, "")
        if dimension == "priority" and value in PRIORITY_RANK:
            return (0, PRIORITY_RANK[value], "")
        if dimension == "channel" and value in channels:
            return (0, channels.index(value), "")
        return (1, 0, dims.label(dimension, value).casefold())

    return sorted(set(values), key=key)


# -- what the §B.10 document leaves out ------------------------------------------------------


@dataclass(frozen=True)
class Solve:
    """A qualifying solve (§B.6): an effective resolution by an agent on an unflagged root ticket."""

    ticket: str
    agent: str
    ts: int


@dataclass(frozen=True)
class Timeline:
    """When each solve and survey happened: the document has counts, not these times."""

    solves: list[Solve]
    surveys: SurveyBook


def build_timeline(events: Iterable[Mapping[str, Any]], config: MetricsConfig, as_of: int) -> Timeline:
    """The engine's ticket facts, by the same steps `compute()` takes to build them."""
    log = load_events(events, config, as_of)
    runs, _ = build_runs(log.events, config)
    facts = build_ticket_facts(build_records(log.events), build_legs(log.events, runs), config)
    return Timeline(_qualifying_solves(facts), build_survey_book(facts))


def _qualifying_solves(facts: dict[str, TicketFacts]) -> list[Solve]:
    return [
        Solve(ticket.id, change.event.agent, change.ts)
        for ticket in facts.values() if ticket.counts_as_root
        for change in ticket.history.resolutions
        if change.event.agent is not None and change.event.session is not None
    ]


# -- the report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportInputs:
    """What the rows count, already limited to P; each row filters it by agent and segment."""

    handled: list[tuple[str, dict[str, Any]]]  # eligible tickets first handled in P (§B.5)
    items: list[dict[str, Any]]  # AHT items dated in P (§B.4)
    resolved: list[tuple[str, dict[str, Any]]]  # unflagged root tickets first resolved in P (§B.6)
    solves: list[Solve]  # qualifying solves in P
    runs: list[dict[str, Any]]  # runs started in P
    surveys: SurveyBook
    config: MetricsConfig
    period: Period

    @classmethod
    def of(cls, document: dict[str, Any], timeline: Timeline, config: MetricsConfig, period: Period) -> ReportInputs:
        def in_period(timestamp: str | None) -> bool:
            return timestamp is not None and parse_time(timestamp) in period

        tickets = document["tickets"].items()
        return cls(
            handled=[(key, t) for key, t in tickets if t["eligible"] and in_period(t["h1"])],
            items=[item for item in document["items"] if item["aht_item"] and in_period(item["first_ts"])],
            resolved=[
                (key, t) for key, t in tickets
                if t["root"] == key and not set(REMOVING_FLAGS) & set(t["flags"]) and in_period(t["first_resolution"])
            ],
            solves=[solve for solve in timeline.solves if solve.ts in period],
            runs=[run for run in document["runs"].values() if in_period(run["start"])],
            surveys=timeline.surveys,
            config=config,
            period=period,
        )

    @property
    def min_n(self) -> int:
        return self.config.csat_min_n


TicketFilter = Callable[[str], bool]


def build_report(
    events: Iterable[Mapping[str, Any]],
    config: MetricsConfig,
    since_ms: int,
    until_ms: int,
    dims: StoreDimensions,
    *,
    agent: str | None = None,
    by: str | None = None,
    read: ReadSummary | None = None,
) -> dict[str, Any]:
    """The report of P = (since, until]: as_of = until, rolling_window_s = until − since.
    `events` is read twice: a list, or a log that streams the same events each time."""
    if by is not None and by not in DIMENSIONS:
        raise ReportError(f"--by: {by!r} is not one of {', '.join(DIMENSIONS)}")
    config = config.model_copy(update={"rolling_window_s": (until_ms - since_ms) // 1000})
    document = compute(events, config, until_ms, read)
    if agent is not None and agent not in document["agents"]:
        known = ", ".join(document["agents"]) or "none"
        raise ReportError(f"--agent: no agent {agent!r} in the event log (agents: {known})")
    period = Period(until_ms - config.rolling_window_s * 1000, until_ms)
    inputs = ReportInputs.of(document, build_timeline(events, config, until_ms), config, period)
    if by is None:
        rows = [] if agent else [figures(inputs, "agent", name, name, name, _all_tickets) for name in document["agents"]]
    else:
        rows = _segment_rows(inputs, document["tickets"], dims, agent, by)
    return {
        "as_of": document["as_of"],
        "period": {"start": document["period"]["start"], "end": document["period"]["end"]},
        "agent": agent,
        "by": by,
        "config": document["config"],
        "input": {"events": document["input"]["events"], "warnings": len(document["warnings"])},
        "overall": figures(inputs, "overall", None, agent or "all", agent, _all_tickets),
        "rows": rows,
    }


def _all_tickets(_: str) -> bool:
    return True


def _segment_rows(
    inputs: ReportInputs, tickets: dict[str, Any], dims: StoreDimensions, agent: str | None, by: str
) -> list[dict[str, Any]]:
    """One row per value of `by`: every value the store knows, and every value a ticket has."""
    segment_of = {ticket_id: dims.value_of(by, ticket_id, ticket) for ticket_id, ticket in tickets.items()}
    values = segment_order(by, dims.known_values(by) | set(segment_of.values()), dims)
    return [
        figures(inputs, by, value, dims.label(by, value), agent, _in_segment(segment_of, value))
        for value in values
    ]


def _in_segment(segment_of: dict[str, str | None], value: str | None) -> TicketFilter:
    return lambda ticket_id: segment_of.get(ticket_id) == value


def figures(
    inputs: ReportInputs, group: str, key: str | None, label: str, agent: str | None, tickets: TicketFilter
) -> dict[str, Any]:
    """One row: every figure over the root tickets that pass `tickets`, for `agent` or everyone."""

    def mine(ticket_agent: str | None) -> bool:
        return agent is None or ticket_agent == agent

    handled = [ticket for key_, ticket in inputs.handled if tickets(key_) and mine(ticket["first_handler"])]
    return {
        "group": group,
        "key": key,
        "label": label,
        "handled": len(handled),
        "low_n": len(handled) < inputs.min_n,
        "fcr_team": _fcr([ticket["fcr_team"] for ticket in handled], inputs.min_n),
        "fcr_agent": _fcr([ticket["fcr_agent"] for ticket in handled], inputs.min_n),
        "aht": _aht([item["handle_s"] for item in inputs.items if tickets(item["ticket"]) and mine(item["agent"])],
                    inputs.min_n),
        "csat": _csat(inputs, agent, tickets),
        "reopens": _reopens(
            [ticket for key_, ticket in inputs.resolved if tickets(key_) and mine(ticket["first_resolver"])],
            inputs.min_n),
        "solved": _solved(
            sum(1 for solve in inputs.solves if tickets(solve.ticket) and mine(solve.agent)),
            sum(run["staffed_s"] for run in inputs.runs if mine(run["agent"]))),
    }


def _fcr(statuses: list[str], min_n: int) -> dict[str, Any]:
    """§B.5 rates with their numerators and denominators spelled out."""
    counts = fcr_rate(statuses)
    fcr, pending, not_fcr = counts["fcr"], counts["pending"], counts["not_fcr"]
    return {
        "n": counts["n"],
        "fcr": fcr,
        "pending": pending,
        "not_fcr": not_fcr,
        "open": counts["open"],
        "final": rate(fcr, fcr + not_fcr),
        "provisional": rate(fcr + pending, fcr + pending + not_fcr),
        "complete": counts["complete"],
        "low_n": len(statuses) < min_n,
    }


def _aht(handle: list[int], min_n: int) -> dict[str, Any]:
    """Per touch (§B.4): mean, median and p90 of the items' handle_s."""
    return {
        "items": len(handle),
        "mean_s": mean(handle),
        "median_s": median(handle),
        "p90_s": p90(handle),
        "low_n": len(handle) < min_n,
    }


def _csat(inputs: ReportInputs, agent: str | None, tickets: TicketFilter) -> dict[str, Any]:
    """§B.6 CSAT of the responses and surveys on the segment's root tickets (the engine's `Csat`)."""
    book = inputs.surveys
    segment = SurveyBook(
        ratings={ticket: answer for ticket, answer in book.ratings.items() if tickets(ticket)},
        surveys=[answer for answer in book.surveys if tickets(answer.ticket)],
        fcr_answers={},
    )
    return segment.csat(inputs.period, inputs.config, everyone if agent is None else only(agent))


def _reopens(resolved: list[dict[str, Any]], min_n: int) -> dict[str, Any]:
    reopened = sum(1 for ticket in resolved if ticket["reopens"] >= 1)
    return {**rate(reopened, len(resolved)), "low_n": len(resolved) < min_n}


def _solved(solved: int, staffed_s: int) -> dict[str, Any]:
    """Solves ÷ the staffed hours of the runs started in P. A segment's solves are divided by
    all those hours (the agent's, or everyone's), so segment rates add up to the total."""
    return {"n": solved, "staffed_s": staffed_s, "per_hour": ratio(solved * 3600, staffed_s)}
