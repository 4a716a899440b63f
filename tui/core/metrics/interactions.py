"""Interaction legs as ticket facts (§B.3.5 item 1, §B.5 reason 3), on the `ts` time line."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from .events import Event
from .runs import Run


@dataclass
class Leg:
    start_event: Event
    end: int | None = None  # ts; None while the leg is live at T

    @property
    def interaction(self) -> str:
        return self.start_event.data["interaction"]

    @property
    def ticket(self) -> str:
        return self.start_event.ticket

    @property
    def start(self) -> int:
        return self.start_event.ts

    @property
    def agent(self) -> str | None:
        return self.start_event.agent

    @property
    def kind(self) -> str:
        return self.start_event.data["kind"]

    @property
    def direction(self) -> str | None:
        return self.start_event.data.get("direction")

    def matches_end(self, end: Event) -> bool:
        leg = end.data.get("leg")
        return (
            self.end is None
            and self.start_event.run == end.run
            and self.interaction == end.data["interaction"]
            and (leg is None or leg == self.start_event.data.get("leg"))
        )


@dataclass(frozen=True)
class Span:
    """An interaction on a ticket: its first leg's start to its last leg's end (None: live)."""

    start: int
    end: int | None

    def contains(self, ts: int) -> bool:
        return self.start < ts and (self.end is None or ts <= self.end)


def build_legs(events: list[Event], runs: dict[str, Run]) -> list[Leg]:
    """Legs in global order. A leg without a visible end ends with its run (it never extrapolates)."""
    legs: list[Leg] = []
    live: dict[tuple[str | None, str], list[Leg]] = defaultdict(list)
    for event in events:
        key = (event.run, event.data.get("interaction"))
        if event.type == "interaction_start":
            legs.append(Leg(event))
            live[key].append(legs[-1])
        elif event.type == "interaction_end":
            for leg in live.get(key, []):
                if leg.matches_end(event):
                    leg.end = event.ts
            live[key] = [leg for leg in live.get(key, []) if leg.end is None]
    for leg in legs:
        run = runs.get(leg.start_event.run or "")
        if leg.end is None and run is not None:
            leg.end = max(run.end, leg.start)
    return legs


def spans_by_ticket(legs: list[Leg]) -> dict[str, list[Span]]:
    grouped: dict[tuple[str, str], list[Leg]] = defaultdict(list)
    for leg in legs:
        grouped[(leg.ticket, leg.interaction)].append(leg)
    spans: dict[str, list[Span]] = defaultdict(list)
    for (ticket, _), group in grouped.items():
        ends = [leg.end for leg in group]
        end = None if None in ends else max(ends)
        spans[ticket].append(Span(min(leg.start for leg in group), end))
    return spans


def first_interaction_end(legs_on_ticket: list[Leg]) -> tuple[Leg | None, int | None]:
    """The earliest agent leg and e1, the latest end among its interaction's legs (None if live)."""
    agent_legs = [leg for leg in legs_on_ticket if leg.agent is not None]
    if not agent_legs:
        return None, None
    first = agent_legs[0]
    ends = [leg.end for leg in legs_on_ticket if leg.interaction == first.interaction]
    return first, None if None in ends else max(ends)
