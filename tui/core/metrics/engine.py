"""`compute(events, config, as_of)`: the pure metrics function of §B.3.1."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from .aggregates import Population, Stamp, qualifying_solves
from .config import MetricsConfig
from .csat import build_survey_book
from .fcr import assess_fcr
from .handle_time import accrue_run
from .instances import credited_pieces
from .interactions import build_legs
from .items import build_items
from .loading import load_events
from .reading import ReadSummary
from .report import build_document
from .runs import build_runs, build_sessions
from .ticket_state import build_records
from .tickets import build_ticket_facts
from .times import EPOCH, ONE_MS, Period, parse_time

AsOf = str | datetime | int


def compute(
    events: Iterable[Mapping[str, Any]],
    config: MetricsConfig | Mapping[str, Any] | None,
    as_of: AsOf,
    read: ReadSummary | None = None,
) -> dict[str, Any]:
    """The §B.10 document for the events with ts ≤ as_of.

    `as_of` is an RFC 3339 string, a datetime (naive = UTC) or epoch milliseconds. `read` carries
    the line counts and warnings of reading the files, when the events come from files.
    """
    config = config if isinstance(config, MetricsConfig) else MetricsConfig.model_validate(config or {})
    as_of_ms = as_of_millis(as_of)
    log = load_events(events, config, as_of_ms, read)
    runs, run_warnings = build_runs(log.events, config)
    sessions, session_warnings = build_sessions(runs)
    records = build_records(log.events)
    legs = build_legs(log.events, runs)
    facts = build_ticket_facts(records, legs, config)
    for ticket in facts.values():
        assess_fcr(ticket, config, as_of_ms)
    messages = sorted(
        (e for e in log.events if e.type == "customer_contact" and e.data.get("kind") == "inbound_message"),
        key=lambda e: (e.ts, e.order),
    )
    accruals = [accrue_run(run, messages, config.idle_cutoff_s * 1000) for run in runs.values()]
    items = build_items(
        credited_pieces(accruals),
        [event for event in log.events if event.type == "manual_time"],
        runs,
        root_of=lambda ticket: records[ticket].root,
        flags_of=lambda ticket: records[ticket].flags,
        glance_threshold_s=config.glance_threshold_s,
    )
    window_ms = config.rolling_window_s * 1000
    reopen_ms = config.reopen_window_s * 1000
    population = Population(
        facts=facts,
        items=items,
        solves=qualifying_solves(facts),
        call_legs=[
            Stamp(accrual.run.agent, accrual.run.session, start)
            for accrual in accruals for start in accrual.call_leg_starts
        ],
        book=build_survey_book(facts),
        config=config,
        as_of=as_of_ms,
        period=Period(as_of_ms - window_ms, as_of_ms),
        matured=Period(as_of_ms - window_ms - reopen_ms, as_of_ms - reopen_ms),
    )
    warnings = log.warnings + run_warnings + session_warnings
    return build_document(population, log.counts, runs, sessions, log.events, warnings)


def as_of_millis(as_of: AsOf) -> int:
    if isinstance(as_of, bool):
        raise TypeError("as_of must be a time, not a bool")
    if isinstance(as_of, int):
        return as_of
    if isinstance(as_of, datetime):
        moment = as_of if as_of.tzinfo else as_of.replace(tzinfo=timezone.utc)
        return (moment - EPOCH) // ONE_MS
    return parse_time(as_of)
