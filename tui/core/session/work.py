"""The session as the app holds it: the recorder, calls, breaks and pauses, the figures."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..eventlog import EVENTS_FILE, RunContext, new_ulid
from ..metrics import MetricsConfig
from ..metrics.handle_time import COMPONENTS
from ..metrics.times import to_seconds
from ..worklog import WorkRecorder
from .live_run import LiveRun
from .log import (
    SessionFigures,
    SessionLog,
)
from .table_log import TableSessionLog
from .writer import ObservedWriter

BREAK_REASONS = ("break", "lunch", "meeting", "training", "other")
PAUSE_REASONS = ("interruption", "waiting for a colleague", "system problem", "personal", "other")


@dataclass
class Call:
    interaction: str
    direction: str
    leg: int = 1
    live: bool = True
    on_hold: bool = False


class WorkSession:
    """The recorder plus what the app must remember between events: calls, breaks, pauses."""

    def __init__(self, recorder: WorkRecorder | None, data_dir: Path | None, config: MetricsConfig,
                 *, log_table: Any = None):
        """The session's events are read from `data_dir`'s events.jsonl, or, for a store whose
        log is a database table, from `log_table` (a PostgresStore)."""
        self.recorder = recorder
        self.config = config
        context = recorder.context if recorder else RunContext(agent=None)
        self.agent, self.session, self.run = context.agent, context.session, context.run
        self.resumed = bool(recorder and recorder.previous_run)
        self.live = LiveRun(self.run, config.idle_cutoff_s)
        writer = recorder.writer if recorder else None
        if isinstance(writer, ObservedWriter):
            writer.listeners.append(self.live.observe)
        if log_table is not None:
            self.log: SessionLog = TableSessionLog(log_table, self.agent, self.session, self.run,
                                                   from_end=not self.resumed)
        else:
            self.log = SessionLog(Path(data_dir) / EVENTS_FILE, self.agent, self.session, self.run,  # type: ignore[arg-type]
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
