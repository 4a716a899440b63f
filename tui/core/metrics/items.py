"""AHT items (§B.4): (agent, session, root ticket) with accrued or manual time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from .events import REMOVING_FLAGS, Event
from .handle_time import COMPONENTS, Piece
from .runs import Run
from .times import format_time, to_seconds

ItemKey = tuple[str, str, str]


@dataclass
class Item:
    agent: str
    session: str
    ticket: str
    component_ms: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COMPONENTS, 0))
    manual_s: int = 0
    has_manual: bool = False
    first_accrued: int | None = None
    first_manual: int | None = None
    exclusion: str | None = None

    def seconds(self, component: str) -> int:
        return to_seconds(self.component_ms[component])

    @property
    def accrued_ms(self) -> int:
        return sum(self.component_ms.values())

    @property
    def voice_s(self) -> int:
        return self.seconds("talk") + self.seconds("hold") + self.seconds("acw")

    @property
    def handle_s(self) -> int:
        """Σ converted components + manual, never below 0 (§B.10)."""
        return max(0, sum(self.seconds(c) for c in COMPONENTS) + self.manual_s)

    @property
    def first_ts(self) -> int:
        return self.first_accrued if self.first_accrued is not None else self.first_manual

    @property
    def aht_item(self) -> bool:
        return self.exclusion is None

    def as_output(self) -> dict:
        return {
            "agent": self.agent,
            "session": self.session,
            "ticket": self.ticket,
            "handle_s": self.handle_s,
            **{f"{c}_s": self.seconds(c) for c in COMPONENTS},
            "manual_s": self.manual_s,
            "first_ts": format_time(self.first_ts),
            "aht_item": self.aht_item,
            "exclusion": self.exclusion,
        }


def build_items(
    pieces: list[Piece],
    manual_events: list[Event],
    runs: dict[str, Run],
    root_of: Callable[[str], str],
    flags_of: Callable[[str], set[str]],
    glance_threshold_s: int,
) -> list[Item]:
    """Items sorted by session, agent, first_ts, ticket, with their AHT exclusion set."""
    items: dict[ItemKey, Item] = {}

    def item_for(agent: str, session: str, ticket: str) -> Item:
        key = (agent, session, root_of(ticket))
        if key not in items:
            items[key] = Item(*key)
        return items[key]

    for piece in pieces:
        run = runs[piece.run]
        item = item_for(run.agent, run.session, piece.ticket)
        item.component_ms[piece.component] += piece.end - piece.start
        item.first_accrued = piece.start if item.first_accrued is None else min(item.first_accrued, piece.start)
    for event in manual_events:
        if event.agent is None or event.session is None:
            continue
        item = item_for(event.agent, event.session, event.ticket)
        item.manual_s += event.data["seconds"]
        item.has_manual = True
        item.first_manual = event.ts if item.first_manual is None else min(item.first_manual, event.ts)
    for item in items.values():
        item.exclusion = _exclusion(item, flags_of(item.ticket), glance_threshold_s)
    return sorted(items.values(), key=lambda i: (i.session, i.agent, i.first_ts, i.ticket))


def _exclusion(item: Item, flags: set[str], glance_threshold_s: int) -> str | None:
    for flag in REMOVING_FLAGS:
        if flag in flags:
            return flag
    if not item.has_manual and item.handle_s < glance_threshold_s:
        return "glance"
    return None
