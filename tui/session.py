"""The agent's session on the app side: the work stream, the live handle-time clock, and the
session's figures from `compute()` (metrics-spec §B.3–§B.6, §B.9).

No Textual here. `tui/session_app.py` wires this into DeskApp.

- `ObservedWriter`: the run's one `EventWriter` (work and ticket streams share its `RunContext`),
  which also tells listeners about every event it wrote.
- `LiveRun`: this run's handle time per ticket, accrued by the engine's own replay of the run
  (`metrics.handle_time`), event by event, plus the not yet closed stretch up to now. So the live
  timer follows the same idle cut-off rule as `compute()`.
- `SessionLog`: reads `events.jsonl` incrementally and keeps only this session's events and the
  ticket-stream events of the tickets it touched; `figures()` runs `compute()` over them.
- `WorkSession`: what the app holds: the recorder, calls, breaks and pauses, the figures.
- `session_summary()`: the lines printed on quit. `ticket_story()`: the "why" of one ticket.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import orjson

from .core import humanize
from .core.eventlog import EVENTS_FILE, EventWriter, RunContext, new_ulid
from .core.fileio import BadLine, parse_crc_line
from .core.metrics import MetricsConfig, compute
from .core.metrics.events import Event
from .core.metrics.handle_time import COMPONENTS, RunAccrual, _RunClock, accrue_run
from .core.metrics.loading import load_events
from .core.metrics.runs import Run, build_runs
from .core.metrics.times import parse_time, to_seconds
from .core.worklog import WorkRecorder, start_context
from .text import one_line

Listener = Callable[[dict[str, Any]], None]
BREAK_REASONS = ("break", "lunch", "meeting", "training", "other")
PAUSE_REASONS = ("interruption", "waiting for a colleague", "system problem", "personal", "other")


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def mono_ms() -> int:
    return time.monotonic_ns() // 1_000_000


# -- the writer ----------------------------------------------------------------------------


class ObservedWriter(EventWriter):
    """An EventWriter that calls its listeners with every event it has written."""

    def __init__(self, path: Path, context: RunContext, fsync_every_s: float = 30.0):
        super().__init__(path, context, fsync_every_s)
        self.listeners: list[Listener] = []

    def write(self, event: dict[str, Any], *, fsync: bool = False) -> None:
        super().write(event, fsync=fsync)
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception:  # noqa: BLE001 - the event is written; a listener never undoes that
                continue

    @classmethod
    def adopt(cls, store: Any) -> "ObservedWriter | None":
        """The store's writer, observed; replaces `store.events` if it was a plain one.

        A store opened without a run (tests, tools) gets a fresh session and run, so that its
        app events are valid (§B.3.2: app events name agent, session and run).
        """
        writer = getattr(store, "events", None)
        if writer is None or isinstance(writer, ObservedWriter):
            return writer
        context = writer.context
        with context._mutex:
            if context.src == "app" and context.run is None:
                context.session, context.run, context._seq = new_ulid(), new_ulid(), 0
        observed = cls(writer.path, context, writer.fsync_every_s)
        writer.close()
        store.events = observed
        return observed


def open_run(data_dir: Path, agent: str, config: MetricsConfig) -> tuple[ObservedWriter, WorkRecorder]:
    """The run's writer and recorder: a new session, or the last one resumed within R (§B.3.6).
    Give the writer to the store (`events=`), so that both streams share one seq counter."""
    path = Path(data_dir) / EVENTS_FILE
    context, previous = start_context(path, agent, config.resume_window_s)
    writer = ObservedWriter(path, context, fsync_every_s=max(1, config.heartbeat_s))
    return writer, WorkRecorder(writer, previous)


# -- the live clock of this run ---------------------------------------------------------------


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


# -- reading the session's events -----------------------------------------------------------------


def _needle(key: str, value: str) -> bytes:
    return b'"' + key.encode() + b'":' + orjson.dumps(value)


def _ticket_needles(ticket: str) -> list[bytes]:
    return [_needle("ticket", ticket), _needle("into", ticket), _needle("original", ticket)]


def lines_with(raw: bytes, needles: Iterable[bytes]) -> list[bytes]:
    """The complete lines of `raw` that contain any needle, in file order (C-speed search)."""
    spans: set[tuple[int, int]] = set()
    for needle in needles:
        at = raw.find(needle)
        while at >= 0:
            start = raw.rfind(b"\n", 0, at) + 1
            end = raw.find(b"\n", at)
            if end < 0:
                break  # a torn final line (§B.3.4)
            spans.add((start, end))
            at = raw.find(needle, end)
    return [raw[start:end] for start, end in sorted(spans)]


def parse_lines(lines: Iterable[bytes]) -> list[dict[str, Any]]:
    found = []
    for line in lines:
        try:
            obj = parse_crc_line(line)
        except BadLine:
            continue
        if isinstance(obj, dict) and isinstance(obj.get("id"), str):
            found.append(obj)
    return found


@dataclass
class SessionFigures:
    """The session as `compute()` saw it at `as_of` (epoch ms)."""

    as_of: int
    session: dict[str, Any] | None
    items: dict[str, dict[str, Any]]  # this agent's items in this session, by ticket
    tickets: dict[str, dict[str, Any]]
    prior_ms: dict[str, dict[str, int]] = field(default_factory=dict)  # other runs of the session

    @property
    def fcr(self) -> dict[str, Any] | None:
        return self.session["fcr"] if self.session else None


class SessionLog:
    """This session's events and the ticket events of the tickets it touched, read incrementally.

    New bytes are searched for the session id and the touched tickets' ids; the history of a
    ticket touched for the first time is looked up once in the part already read.
    """

    def __init__(self, path: Path, agent: str | None, session: str | None, run: str | None,
                 *, from_end: bool = False):
        self.path = path
        self.agent = agent
        self.session = session
        self.run = run
        self._offset = 0
        if from_end:
            try:
                self._offset = path.stat().st_size
            except OSError:
                self._offset = 0
        self._start_offset = self._offset
        self._events: dict[str, dict[str, Any]] = {}
        self.touched: set[str] = set()
        self._linked: set[str] = set()
        self._mutex = threading.Lock()

    def events(self) -> list[dict[str, Any]]:
        with self._mutex:
            self._read_new()
            return list(self._events.values())

    def _read_new(self) -> None:
        try:
            with open(self.path, "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                if size < self._offset:  # replaced: start over
                    self._offset, self._start_offset = 0, 0
                    self._events.clear()
                    self.touched.clear()
                    self._linked.clear()
                fh.seek(self._offset)
                raw = fh.read(size - self._offset)
        except FileNotFoundError:
            return
        raw = raw[: raw.rfind(b"\n") + 1]
        if not raw:
            return
        mine = parse_lines(lines_with(raw, [_needle("session", self.session or "")]))
        self._keep(mine)
        # The tickets this session acted on (its ticket-stream events) decide its FCR and
        # solves; a ticket only looked at needs nothing but the work stream.
        acted = {e["ticket"] for e in mine if e.get("stream") == "ticket" and isinstance(e.get("ticket"), str)}
        new, self._linked = (acted | self._linked) - self.touched, set()
        if new:
            self._history(new, self._offset)
            self.touched |= new
        self._keep(parse_lines(lines_with(raw, [n for t in self.touched for n in _ticket_needles(t)])))
        self._offset += len(raw)

    def _history(self, tickets: set[str], before: int) -> None:
        """The earlier ticket events of tickets touched for the first time."""
        if before <= 0:
            return
        with open(self.path, "rb") as fh:
            raw = fh.read(before)
        found = parse_lines(lines_with(raw, [n for t in tickets for n in _ticket_needles(t)]))
        self._keep(e for e in found if e.get("stream") == "ticket")

    def _keep(self, events: Iterable[dict[str, Any]]) -> None:
        for event in events:
            self._events.setdefault(event["id"], event)
            if event.get("type") in ("merge", "link_repeat") and isinstance(event.get("ticket"), str):
                # A merged or linked ticket's contacts count for the touched one: read next time.
                self._linked.add(event["ticket"])

    def figures(self, config: MetricsConfig, as_of: int | None = None) -> SessionFigures:
        as_of = now_ms() if as_of is None else as_of
        events = self.events()
        document = compute(events, config, as_of)
        items = {item["ticket"]: item for item in document["items"]
                 if item["session"] == self.session and item["agent"] == self.agent}
        return SessionFigures(as_of=as_of, session=document["sessions"].get(self.session or ""),
                              items=items, tickets=document["tickets"],
                              prior_ms=self._prior_ms(events, config, as_of))

    def _prior_ms(self, events: list[dict[str, Any]], config: MetricsConfig, as_of: int
                  ) -> dict[str, dict[str, int]]:
        """Milliseconds by ticket and component from the session's other (earlier) runs."""
        others = [e for e in events if e.get("session") == self.session and e.get("run") != self.run]
        if not any(e.get("type") == "run_start" for e in others):
            return {}
        runs, _ = build_runs(load_events(others, config, as_of).events, config)
        totals: dict[str, dict[str, int]] = {}
        for run in runs.values():
            for piece in accrue_run(run, [], config.idle_cutoff_s * 1000).pieces:
                per_ticket = totals.setdefault(piece.ticket, dict.fromkeys(COMPONENTS, 0))
                per_ticket[piece.component] += piece.end - piece.start
        return totals


# -- the session as the app holds it ---------------------------------------------------------------


@dataclass
class Call:
    interaction: str
    direction: str
    leg: int = 1
    live: bool = True
    on_hold: bool = False


class WorkSession:
    """The recorder plus what the app must remember between events: calls, breaks, pauses."""

    def __init__(self, recorder: WorkRecorder | None, data_dir: Path, config: MetricsConfig):
        self.recorder = recorder
        self.config = config
        context = recorder.context if recorder else RunContext(agent=None)
        self.agent, self.session, self.run = context.agent, context.session, context.run
        self.resumed = bool(recorder and recorder.previous_run)
        self.live = LiveRun(self.run, config.idle_cutoff_s)
        writer = recorder.writer if recorder else None
        if isinstance(writer, ObservedWriter):
            writer.listeners.append(self.live.observe)
        self.log = SessionLog(data_dir / EVENTS_FILE, self.agent, self.session, self.run,
                              from_end=not self.resumed)
        self.figures: SessionFigures | None = None
        self.end_reason: str | None = None
        self.on_break: str | None = None
        self.paused: str | None = None
        self.foreground = True
        self.calls: dict[str, Call] = {}
        self.acw: str | None = None
        self.shown: str | None = None  # in the detail pane
        self.focused: str | None = None  # shown and not covered: ticket_focus in force
        self._covers = 0
        self.started = False
        self._mutex = threading.RLock()

    @property
    def recording(self) -> bool:
        return self.recorder is not None and not self.recorder.ended

    def _do(self, method: str, *args: Any, **kwargs: Any) -> None:
        if self.recording:
            getattr(self.recorder, method)(*args, **kwargs)

    # -- run lifecycle -----------------------------------------------------------------
    def start(self) -> None:
        """run_start, then the focus of a ticket shown before it (run_start comes first)."""
        with self._mutex:
            self._do("run_start")
            self.started = True
            self._refocus()

    def heartbeat(self) -> None:
        self._do("heartbeat")

    def flush_activity(self) -> None:
        self._do("flush_activity")

    def end(self, reason: str) -> None:
        """ticket_blur and run_end{reason}, fsynced; the first call wins. A break, pause or call
        still open ends with the run (§B.3.6)."""
        with self._mutex:
            if self.end_reason is not None:
                return
            self.end_reason = reason
            if self.recording:
                self.recorder.run_end(reason)

    # -- focus and input ---------------------------------------------------------------------
    def show(self, ticket: str | None) -> None:
        """The ticket in the detail pane (None: none). Cheap to call again with the same one."""
        with self._mutex:
            self.shown = ticket
            self._refocus()

    def cover(self, covered: bool) -> None:
        """A screen that hides the detail pane (the report) opened or closed: blur, refocus."""
        with self._mutex:
            self._covers = max(0, self._covers + (1 if covered else -1))
            self._refocus()

    def _refocus(self) -> None:
        ticket = None if self._covers else self.shown
        if ticket != self.focused and self.started:
            self.acw = None
            self.focused = ticket
            self._do("focus_ticket", ticket)

    def app_focus(self, focused: bool) -> None:
        with self._mutex:
            if focused != self.foreground:
                self.foreground = focused
                self._do("app_focus", focused)

    def activity(self, kind: str) -> None:
        if not self.foreground:
            self.app_focus(True)  # input means the terminal has the focus again
        self._do("activity", kind)

    # -- calls ---------------------------------------------------------------------------------
    def call(self, ticket: Any, live: bool) -> None:
        """The call on `ticket` (a Ticket) started, resumed (live) or ended."""
        with self._mutex:
            call = self.calls.get(ticket.id)
            if live:
                if call is None:
                    call = self.calls[ticket.id] = Call(new_ulid(), call_direction(ticket))
                elif call.live:
                    return
                else:
                    call.leg += 1
                    call.live = True
                self.acw = None
                self._do("interaction", True, ticket.id, call.interaction, kind="call",
                         direction=call.direction, leg=call.leg)
            elif call is not None and call.live:
                if call.on_hold:
                    self._do("hold", False, call.interaction)
                    call.on_hold = False
                call.live = False
                self._do("interaction", False, ticket.id, call.interaction, kind="call",
                         direction=call.direction, leg=call.leg)
                if self.focused == ticket.id:
                    self.acw = ticket.id

    def live_call(self, ticket: str | None) -> Call | None:
        call = self.calls.get(ticket or "")
        return call if call is not None and call.live else None

    def toggle_hold(self, ticket: str | None) -> bool | None:
        """Hold or resume the live call on `ticket`; None when there is no live call."""
        with self._mutex:
            call = self.live_call(ticket)
            if call is None:
                return None
            call.on_hold = not call.on_hold
            self._do("hold", call.on_hold, call.interaction)
            return call.on_hold

    def wrap_end(self) -> bool:
        """Declare the after-call work on the focused ticket done; False when there is none."""
        with self._mutex:
            if self.acw is None or self.acw != self.focused:
                return False
            self.acw = None
            self._do("wrap_end")
            return True

    # -- breaks and pauses -------------------------------------------------------------------------
    def set_break(self, reason: str | None) -> None:
        """Start a break with `reason`, or end the current one (None)."""
        with self._mutex:
            if reason is not None and self.on_break is None:
                self.on_break = reason
                self._do("break_", True, reason)
            elif reason is None and self.on_break is not None:
                self._do("break_", False, self.on_break)
                self.on_break = None

    def set_pause(self, reason: str | None) -> None:
        with self._mutex:
            if reason is not None and self.paused is None:
                self.paused = reason
                self._do("pause", True, reason)
            elif reason is None and self.paused is not None:
                self._do("pause", False, self.paused)
                self.paused = None

    # -- figures ------------------------------------------------------------------------------------
    def refresh(self) -> SessionFigures:
        """Read the log and run compute() (call it in a worker thread)."""
        figures = self.log.figures(self.config)
        self.figures = figures
        return figures

    def handle_s(self, ticket: str | None) -> int:
        """HT(agent, session, ticket) now: earlier runs + this run's live clock (+ manual)."""
        if not ticket:
            return 0
        ms = self.live.component_ms(ticket)
        figures = self.figures
        prior = figures.prior_ms.get(ticket, {}) if figures else {}
        manual = figures.items.get(ticket, {}).get("manual_s", 0) if figures else 0
        return max(0, sum(to_seconds(ms[c] + prior.get(c, 0)) for c in COMPONENTS) + manual)


def call_direction(ticket: Any) -> str:
    """Inbound for the customer's call that opened a phone ticket; outbound (a callback) once
    an agent has answered it (§B.5 reason 3 counts a callback as a failed first contact)."""
    answered = any(m.kind in ("public_reply", "call_log") and m.author_kind == "agent"
                   for m in getattr(ticket, "messages", []))
    return "inbound" if getattr(ticket, "channel", None) == "phone" and not answered else "outbound"


# -- words for the numbers ---------------------------------------------------------------------------


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def fcr_words(fcr: dict[str, Any] | None, *, short: bool = False) -> str:
    """`2/3 67% provisional · 1 pending · 0 open` (§B.5: always with the counts)."""
    if not fcr:
        return "–"
    num, den = fcr["fcr"] + fcr["pending"], fcr["fcr"] + fcr["pending"] + fcr["not_fcr"]
    rate = f"{num}/{den}" + (f" {pct(fcr['provisional'])}" if den else "")
    if short:
        return f"{rate} ({fcr['pending']} pend., {fcr['open']} open)"
    return f"{rate} provisional · {fcr['pending']} pending · {fcr['open']} open"


def window_words(seconds: int) -> str:
    """`+7 d`: how long FCR stays provisional (the reopen window W)."""
    return f"+{seconds / 86400:g} d" if seconds % 3600 == 0 and seconds >= 86400 else f"+{hms(seconds)}"


def hms(seconds: float | None) -> str:
    return "–" if seconds is None else humanize.clock(seconds)


def session_summary(figures: SessionFigures, subjects: dict[str, str] | None = None,
                    resumed: bool = False, window_s: int = 604_800) -> list[str]:
    """Item 5: what the agent did this session, as plain lines for the terminal."""
    subjects = subjects or {}
    session = figures.session or {}
    fcr = session.get("fcr")
    items = sorted(figures.items.values(), key=lambda item: (item["first_ts"] or "", item["ticket"]))
    aht_items = [item for item in items if item["aht_item"]]
    lines = [f"desk: session summary{' (resumed session)' if resumed else ''}",
             f"  Tickets handled  {len(aht_items)}"
             + (f" (+{len(items) - len(aht_items)} glanced at)" if len(items) > len(aht_items) else ""),
             f"  Tickets solved   {session.get('solved', 0)}",
             f"  AHT              {hms(session.get('aht_s'))}"
             + (f" (median {hms(session.get('aht_median_s'))})" if session.get("aht_s") is not None else ""),
             f"  FCR              {fcr_words(fcr)}"
             + (f" (provisional until {window_words(window_s)})" if fcr and fcr["n"] else "")]
    if session.get("staffed_s") is not None:
        lines.append(f"  Staffed          {hms(session['staffed_s'])}"
                     + (f" (breaks {hms(session['break_s'])})" if session.get("break_s") else ""))
    if items:
        lines.append("  Time per ticket")
        width = max(len(item["ticket"]) for item in items)
        for item in items:
            parts = [f"{c} {hms(item[f'{c}_s'])}" for c in (*COMPONENTS, "manual") if item[f"{c}_s"]]
            note = "" if item["aht_item"] else f"  ({item['exclusion']}, not in AHT)"
            subject = one_line(subjects.get(item["ticket"], ""))
            subject = subject[:38] + "…" if len(subject) > 39 else subject
            lines.append(f"    {item['ticket'].ljust(width)}  {hms(item['handle_s']).rjust(7)}  "
                         f"{subject.ljust(39)}  {' · '.join(parts)}{note}".rstrip())
    return lines


def summary_after(work: WorkSession, store: Any) -> list[str]:
    """The session summary once the app has ended (nothing after a hang-up: no terminal)."""
    if work.end_reason == "hangup" or work.recorder is None:
        return []
    figures = work.log.figures(work.config)
    subjects = {}
    for ticket in figures.items:
        try:
            subjects[ticket] = store.get_ticket(ticket).subject
        except Exception:  # noqa: BLE001 - a summary line without its subject is fine
            continue
    return session_summary(figures, subjects, resumed=work.resumed,
                           window_s=work.config.reopen_window_s)


# -- one ticket: the "why" -------------------------------------------------------------------------------


def ticket_story(path: Path, ticket: str, config: MetricsConfig, as_of: int | None = None
                 ) -> dict[str, Any]:
    """compute() over what decides one ticket: its ticket events (and of tickets merged into or
    linked to it, and the customer's other tickets, for repeat contacts), and every run that
    touched it. Returns {"ticket": Ticket or None, "items": [Item of this ticket]}."""
    as_of = now_ms() if as_of is None else as_of
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {"ticket": None, "items": []}
    raw = raw[: raw.rfind(b"\n") + 1]
    own = parse_lines(lines_with(raw, _ticket_needles(ticket)))
    tickets = {ticket} | {e["ticket"] for e in own if isinstance(e.get("ticket"), str)}
    customers = {e["data"].get("customer") for e in own if e.get("type") in ("ticket_created", "field_change")
                 and isinstance(e.get("data"), dict)} - {None}
    for event in parse_lines(lines_with(raw, [_needle("customer", c) for c in customers if isinstance(c, str)])):
        if event.get("type") == "ticket_created" and isinstance(event.get("ticket"), str):
            tickets.add(event["ticket"])
    found = parse_lines(lines_with(raw, [n for t in tickets for n in _ticket_needles(t)]))
    runs = {e["run"] for e in found if isinstance(e.get("run"), str)}
    found += parse_lines(lines_with(raw, [_needle("run", r) for r in runs]))
    unique = list({e["id"]: e for e in found}.values())
    document = compute(unique, config, as_of)
    root = (document["tickets"].get(ticket) or {}).get("root", ticket)
    return {"ticket": document["tickets"].get(ticket),
            "items": [item for item in document["items"] if item["ticket"] == root],
            "as_of": document["as_of"]}
