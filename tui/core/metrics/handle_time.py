"""Handle-time accrual of one run (§B.4): at each instant at most one ticket accrues.

The run's events are replayed in `seq` order on its `mono_ms` time line. Between two events the
state is constant, so each gap is credited by one rule: a live voice leg (talk/hold), else the
focused ticket while the app is in the foreground, not on a break or pause, and less than I
after the latest activity point (acw/work).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from .events import Event
from .runs import Run

COMPONENTS = ("talk", "hold", "acw", "work")
POINT_TYPES = frozenset(
    {"run_start", "ticket_focus", "activity", "interaction_end", "wrap_end", "break_end", "timer_resume"}
)


@dataclass(frozen=True)
class Piece:
    """Accrued time of one ticket in one run, as wall-clock milliseconds [start, end)."""

    run: str
    ticket: str
    component: str
    start: int
    end: int


@dataclass
class RunAccrual:
    run: Run
    pieces: list[Piece] = field(default_factory=list)
    points: list[int] = field(default_factory=list)  # wall ms of activity points, ascending
    call_leg_starts: list[int] = field(default_factory=list)  # wall ms


@dataclass
class _LiveLeg:
    ticket: str
    kind: str
    start: int
    on_hold: bool = False


def accrue_run(run: Run, customer_messages: list[Event], idle_ms: int) -> RunAccrual:
    """Replay one run. `customer_messages` are all inbound messages, sorted by ts."""
    clock = _RunClock(run, idle_ms)
    entries = [(mono, 0, index, event) for index, (mono, event) in enumerate(run.timeline)]
    for index, message in enumerate(_messages_during(run, customer_messages)):
        entries.append((run.mono_at(message.ts), 1, index, message))
    entries.sort(key=lambda entry: entry[:3])
    for mono, external, _, event in entries:
        clock.advance(mono)
        if external:
            clock.customer_message(event)
        else:
            clock.apply(event)
    return clock.accrual


def _messages_during(run: Run, messages: list[Event]) -> list[Event]:
    times = [message.ts for message in messages]
    inside = messages[bisect_left(times, run.start) : bisect_right(times, run.end)]
    return [message for message in inside if message.run != run.id]


class _RunClock:
    def __init__(self, run: Run, idle_ms: int):
        self.run = run
        self.idle_ms = idle_ms
        self.accrual = RunAccrual(run, points=[run.start])
        self.now = run.start_mono
        self.last_point = run.start_mono
        self.focus: str | None = None
        self.foreground = True
        self.on_break = False
        self.paused = False
        self.acw_ticket: str | None = None
        self.legs: dict[tuple[str, object], _LiveLeg] = {}

    def advance(self, mono: int) -> None:
        if mono > self.now:
            self._credit(self.now, mono)
            self.now = mono

    def apply(self, event: Event) -> None:
        handler = getattr(self, f"_on_{event.type}", None)
        if handler is not None:
            handler(event)
        if event.type in POINT_TYPES or event.stream == "ticket" or self._is_app_focus_gain(event):
            self._point()

    def customer_message(self, event: Event) -> None:
        """A customer message on the focused ticket while this run's chat on it is live."""
        if event.ticket == self.focus and any(
            leg.kind == "chat" and leg.ticket == event.ticket for leg in self.legs.values()
        ):
            self._point()

    def _credit(self, start: int, end: int) -> None:
        if self.on_break:
            return
        leg = self._voice_leg()
        if leg is not None:
            self._add(leg.ticket, "hold" if leg.on_hold else "talk", start, end)
            return
        if self.focus is None or not self.foreground or self.paused:
            return
        stop = min(end, self.last_point + self.idle_ms)
        if stop > start:
            self._add(self.focus, "acw" if self.acw_ticket == self.focus else "work", start, stop)

    def _add(self, ticket: str, component: str, start: int, end: int) -> None:
        self.accrual.pieces.append(Piece(self.run.id, ticket, component, self.run.wall(start), self.run.wall(end)))

    def _voice_leg(self) -> _LiveLeg | None:
        calls = [leg for leg in self.legs.values() if leg.kind == "call"]
        return min(calls, key=lambda leg: leg.start) if calls else None

    def _point(self) -> None:
        self.last_point = self.now
        self.accrual.points.append(self.run.wall(self.now))

    @staticmethod
    def _is_app_focus_gain(event: Event) -> bool:
        return event.type == "app_focus" and event.data.get("focused") is True

    def _on_ticket_focus(self, event: Event) -> None:
        if event.ticket != self.focus:
            self.acw_ticket = None
        self.focus = event.ticket

    def _on_ticket_blur(self, event: Event) -> None:
        if event.ticket in (None, self.focus):
            self.focus = None
            self.acw_ticket = None

    def _on_app_focus(self, event: Event) -> None:
        self.foreground = event.data["focused"]

    def _on_break_start(self, _: Event) -> None:
        self.on_break = True

    def _on_break_end(self, _: Event) -> None:
        self.on_break = False

    def _on_timer_pause(self, _: Event) -> None:
        self.paused = True

    def _on_timer_resume(self, _: Event) -> None:
        self.paused = False

    def _on_wrap_end(self, _: Event) -> None:
        self.acw_ticket = None

    def _on_interaction_start(self, event: Event) -> None:
        key = (event.data["interaction"], event.data.get("leg"))
        self.legs[key] = _LiveLeg(event.ticket, event.data["kind"], self.now)
        if event.data["kind"] == "call":
            self.accrual.call_leg_starts.append(self.run.wall(self.now))

    def _on_interaction_end(self, event: Event) -> None:
        interaction, leg_no = event.data["interaction"], event.data.get("leg")
        ended = [key for key in self.legs if key[0] == interaction and leg_no in (None, key[1])]
        for key in ended:
            leg = self.legs.pop(key)
            if leg.kind == "call" and self.focus == leg.ticket:
                self.acw_ticket = leg.ticket

    def _on_hold_start(self, event: Event) -> None:
        self._set_hold(event.data["interaction"], True)

    def _on_hold_end(self, event: Event) -> None:
        self._set_hold(event.data["interaction"], False)

    def _set_hold(self, interaction: str, on_hold: bool) -> None:
        for (leg_interaction, _), leg in self.legs.items():
            if leg_interaction == interaction:
                leg.on_hold = on_hold
