"""One ticket's "why": `compute()` over just what decides that ticket."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ..metrics import MetricsConfig, compute
from .clock import now_ms
from .log import _needle, lines_with, parse_lines
from .table_log import mention_pairs

# The events that name any (key, value) pair, in log order: a search of events.jsonl's lines
# for `"key":"value"`, or of the events table's rows (PostgresStore.events_mentioning).
Finder = Callable[[list[tuple[str, str]]], list[dict[str, Any]]]


def ticket_story(path: Path, ticket: str, config: MetricsConfig, as_of: int | None = None
                 ) -> dict[str, Any]:
    """The story of `ticket` from the event log file at `path` (see `story_of`)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {"ticket": None, "items": []}
    raw = raw[: raw.rfind(b"\n") + 1]

    def find(pairs: list[tuple[str, str]]) -> list[dict[str, Any]]:
        return parse_lines(lines_with(raw, [_needle(key, value) for key, value in pairs]))

    return story_of(find, ticket, config, as_of)


def story_of(find: Finder, ticket: str, config: MetricsConfig, as_of: int | None = None
             ) -> dict[str, Any]:
    """compute() over what decides one ticket: its ticket events (and of tickets merged into or
    linked to it, and the customer's other tickets, for repeat contacts), and every run that
    touched it. Returns {"ticket": Ticket or None, "items": [Item of this ticket]}."""
    as_of = now_ms() if as_of is None else as_of
    own = find(mention_pairs([ticket]))
    tickets = {ticket} | {e["ticket"] for e in own if isinstance(e.get("ticket"), str)}
    customers = {e["data"].get("customer") for e in own if e.get("type") in ("ticket_created", "field_change")
                 and isinstance(e.get("data"), dict)} - {None}
    for event in find([("customer", c) for c in customers if isinstance(c, str)]):
        if event.get("type") == "ticket_created" and isinstance(event.get("ticket"), str):
            tickets.add(event["ticket"])
    found = find(mention_pairs(tickets))
    runs = {e["run"] for e in found if isinstance(e.get("run"), str)}
    found += find([("run", r) for r in runs])
    unique = list({e["id"]: e for e in found}.values())
    document = compute(unique, config, as_of)
    root = (document["tickets"].get(ticket) or {}).get("root", ticket)
    return {"ticket": document["tickets"].get(ticket),
            "items": [item for item in document["items"] if item["ticket"] == root],
            "as_of": document["as_of"]}
