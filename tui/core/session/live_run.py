"""The live handle-time clock of this run: the engine's own §B.4 accrual, event by event,
plus the stretch not yet closed up to now."""

from __future__ import annotations

import threading
from typing import Any

from ..metrics.events import Event
from ..metrics.handle_time import COMPONENTS, RunAccrual, _RunClock
from ..metrics.runs import Run
from ..metrics.times import parse_time
from .clock import mono_ms


def to_event(raw: dict[str, Any]) -> Event:
    return Event(id=raw["id"], stream=raw["stream"], seq=raw["seq"], ts=parse_time(raw["ts"]),
                 type=raw["type"], src=raw["src"], data=raw.get("data") or {},
                 mono=raw.get("mono_ms"), agent=raw.get("agent"), session=raw.get("session"),
                 run=raw.get("run"), ticket=raw.get("ticket"))


class LiveRun:
    """The handle time of this run, by ticket and component, in milliseconds.

    Events are replayed as they are written, with the engine's `_RunClock` (the §B.4 accrual
    rule); `component_ms` adds the stretch from the last event to now without committing it.
    """

    def __init__(self, run: str | None, idle_cutoff_s: int):
        self.run = run
        self.idle_ms = idle_cutoff_s * 1000
        self.ended = False
        self._clock: _RunClock | None = None
        self._seen = 0
        self._totals: dict[str, dict[str, int]] = {}
        self._mutex = threading.Lock()

    def observe(self, raw: dict[str, Any]) -> None:
        if raw.get("run") != self.run or raw.get("src") != "app" or self.ended:
            return
        if not isinstance(raw.get("mono_ms"), int):
            return
        event = to_event(raw)
        with self._mutex:
            if self._clock is None:
                if event.type != "run_start":
                    return
                run = Run(id=event.run or "", agent=event.agent or "", session=event.session or "",
                          timeline=[(event.mono, event)], ended_by="last_event", end_reason=None)
                self._clock = _RunClock(run, self.idle_ms)
            self._clock.advance(event.mono)
            self._clock.apply(event)
            self._collect()
            if event.type == "run_end":
                self.ended = True

    def _collect(self) -> None:
        pieces = self._clock.accrual.pieces
        for piece in pieces[self._seen:]:
            per_ticket = self._totals.setdefault(piece.ticket, dict.fromkeys(COMPONENTS, 0))
            per_ticket[piece.component] += piece.end - piece.start
        self._seen = len(pieces)

    def component_ms(self, ticket: str, now: int | None = None) -> dict[str, int]:
        with self._mutex:
            totals = dict(self._totals.get(ticket) or dict.fromkeys(COMPONENTS, 0))
            clock = self._clock
            if clock is None or self.ended:
                return totals
            now = mono_ms() if now is None else now
            if now > clock.now:
                committed, clock.accrual = clock.accrual, RunAccrual(clock.run)
                try:
                    clock._credit(clock.now, now)
                    tail = clock.accrual.pieces
                finally:
                    clock.accrual = committed
                for piece in tail:
                    if piece.ticket == ticket:
                        totals[piece.component] += piece.end - piece.start
            return totals

    @property
    def accruing(self) -> str | None:
        """The ticket that accrues right now, if any (for the status bar's marker)."""
        with self._mutex:
            clock = self._clock
            if clock is None or self.ended:
                return None
            leg = clock._voice_leg()
            if leg is not None and not clock.on_break:
                return leg.ticket
            if clock.focus is None or not clock.foreground or clock.paused or clock.on_break:
                return None
            return clock.focus if mono_ms() - clock.last_point < self.idle_ms else None
