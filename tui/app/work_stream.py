"""The work stream inside the app (metrics-spec §B.3.3, §B.3.6): DeskApp mixes this in.

- run_start on mount, a heartbeat every H, run_end through DeskApp.leave: `quit` (or `error`
  after an unhandled exception), SIGTERM → `sigterm`, SIGHUP → `hangup`; blurred and fsynced.
- app focus from AppFocus/AppBlur; coalesced activity from keys, palette commands and scrolls.
- breaks, timer pauses, call hold and wrap-up, from keys and the palette.
- the session's figures: `compute()` over the session's events, in a thread, every
  FIGURES_EVERY_S and after each ticket action.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from textual import events, work
from textual.app import SystemCommand
from textual.command import CommandPalette
from textual.content import Content
from textual.screen import Screen

from ..core.metrics import MetricsConfig
from ..core.metrics.settings import MetricsConfigError, load_metrics_config
from ..core.session import BREAK_REASONS, PAUSE_REASONS, ObservedWriter, WorkSession
from ..core.worklog import WorkRecorder
from ..ui.messages import TicketChanged
from .idle_gc import IdleCollector

if TYPE_CHECKING:
    from ..core.models import Ticket

FIGURES_EVERY_S = 15.0
RUN_END_REASONS = {"terminated": "sigterm"}  # DeskApp.leave's words → §B.3.3 run_end reasons


def metrics_settings(path: Path) -> tuple[MetricsConfig, list[str]]:
    """The `[metrics]` table of config.toml; defaults (and the problem) when it is wrong."""
    try:
        return load_metrics_config(path), []
    except MetricsConfigError as exc:
        return MetricsConfig(), [f"{exc}; using the default metrics settings"]


class WorkStreamApp:
    """Mixed into DeskApp (before App): records the run's work stream through `self.work`."""

    work: WorkSession

    def init_work(self, store: Any, recorder: WorkRecorder | None,
                  metrics_config: MetricsConfig | None) -> list[str]:
        """Call from __init__. Without a recorder (tests), one is made on the store's writer."""
        problems: list[str] = []
        if metrics_config is None:
            metrics_config, problems = metrics_settings(self.config_path)  # type: ignore[attr-defined]
        if recorder is None:
            writer = ObservedWriter.adopt(store)
            recorder = WorkRecorder(writer) if writer is not None else None
        if store.data_dir is None:  # the log is the PostgreSQL store's events table
            self.work = WorkSession(recorder, None, metrics_config, log_table=store)
        else:
            self.work = WorkSession(recorder, Path(store.data_dir), metrics_config)
        self.idle_gc = IdleCollector()
        return problems

    def start_work(self) -> None:
        """Call from on_mount."""
        config = self.work.config
        self.work.start()
        self.idle_gc.start()
        self.set_interval(max(1, config.heartbeat_s), self._heartbeat)  # type: ignore[attr-defined]
        self.set_interval(1.0, self._each_second)  # type: ignore[attr-defined]
        self.set_interval(FIGURES_EVERY_S, self.refresh_figures)  # type: ignore[attr-defined]
        self.refresh_figures()

    def stop_work(self, reason: str = "quit") -> None:
        """Call from DeskApp.leave (quit, SIGHUP, SIGTERM): ticket_blur, run_end{reason} and
        fsync. A quit after an unhandled exception is recorded as `error`."""
        reason = RUN_END_REASONS.get(reason, reason)
        if reason == "quit" and getattr(self, "_exception", None) is not None:
            reason = "error"
        self.idle_gc.stop()
        self.work.end(reason)

    def _each_second(self) -> None:
        self.work.flush_activity()
        self.idle_gc.tick()
        self._say_log_trouble()

    def _say_log_trouble(self) -> None:
        """Say once when the event log stops taking the work stream, and when it takes it again."""
        recorder = self.work.recorder
        problem = recorder.write_error if recorder else None
        if problem == getattr(self, "_log_trouble", None):
            return
        self._log_trouble = problem
        if problem:
            self.say(f"Your session's timing is not being saved: {problem}. desk keeps it and "  # type: ignore[attr-defined]
                     "saves it as soon as it can.", "error")
        else:
            self.say("Your session's timing is being saved again.")  # type: ignore[attr-defined]

    # -- heartbeat and figures --------------------------------------------------------------
    @work(thread=True, group="heartbeat")
    def _heartbeat(self) -> None:
        self.work.heartbeat()

    @work(thread=True, exclusive=True, group="session-figures")
    def refresh_figures(self) -> None:
        try:
            self.work.refresh()
        except Exception as exc:  # noqa: BLE001 - figures are not worth ending desk for
            self.say(f"Session figures not updated: {exc}", "warning")  # type: ignore[attr-defined]

    def on_ticket_changed(self, _: TicketChanged) -> None:
        self.refresh_figures()

    # -- input ----------------------------------------------------------------------------------
    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent) and not event.is_forwarded:
            self.idle_gc.input()
            self.pace.input()  # type: ignore[attr-defined]
            if isinstance(event, events.Key):
                self.work.activity("key")
            elif isinstance(event, (events.MouseScrollDown, events.MouseScrollUp)):
                self.work.activity("scroll")
        await super().on_event(event)  # type: ignore[misc]

    def on_app_focus(self, _: events.AppFocus) -> None:
        self.work.app_focus(True)

    def on_app_blur(self, _: events.AppBlur) -> None:
        self.work.app_focus(False)

    def on_command_palette_closed(self, event: CommandPalette.Closed) -> None:
        if event.option_selected:
            self.work.activity("command")

    # -- actions --------------------------------------------------------------------------------------
    def _current_ticket(self) -> "Ticket | None":
        ticket = getattr(self.screen, "ticket", None)  # type: ignore[attr-defined]
        if ticket is None:
            self.say("No ticket selected: pick one in the queue first.", "warning")  # type: ignore[attr-defined]
        return ticket

    def action_session_report(self) -> None:
        from ..screens.report import ReportScreen

        if not isinstance(self.screen, ReportScreen):  # type: ignore[attr-defined]
            self.push_screen(ReportScreen())  # type: ignore[attr-defined]

    def action_ticket_why(self) -> None:
        from ..screens.why import WhyScreen

        ticket = self._current_ticket()
        if ticket is not None:
            self.push_screen(WhyScreen(ticket))  # type: ignore[attr-defined]

    def action_session_break(self) -> None:
        if self.work.on_break:
            reason = self.work.on_break
            self.work.set_break(None)
            self.say(f"Break ({reason}) ended.")  # type: ignore[attr-defined]
            return
        self._choose("Start a break", BREAK_REASONS, self._start_break)

    def _start_break(self, reason: str) -> None:
        self.work.set_break(reason)
        self.say(f"On break ({reason}): nothing accrues. {self.key_for('session.break')} ends it.")  # type: ignore[attr-defined]

    def action_session_pause(self) -> None:
        if self.work.paused:
            reason = self.work.paused
            self.work.set_pause(None)
            self.say(f"Timer resumed (was paused: {reason}).")  # type: ignore[attr-defined]
            return
        self._choose("Pause the handling timer", PAUSE_REASONS, self._start_pause)

    def _start_pause(self, reason: str) -> None:
        self.work.set_pause(reason)
        self.say(f"Timer paused ({reason}). {self.key_for('session.pause')} resumes it.")  # type: ignore[attr-defined]

    def _choose(self, title: str, reasons: Iterable[str], then: Any) -> None:
        from ..screens.pickers import PickerScreen, choices

        def chosen(reason: str | None) -> None:
            if reason:
                then(reason)
        self.push_screen(PickerScreen(Content.styled(title, "bold"), choices(list(reasons))), chosen)  # type: ignore[attr-defined]

    def action_ticket_hold(self) -> None:
        ticket = self._current_ticket()
        if ticket is None:
            return
        held = self.work.toggle_hold(ticket.id)
        if held is None:
            self.say(f"No call in progress on {ticket.id}: {self.key_for('ticket.call')} logs one.", "warning")  # type: ignore[attr-defined]
        else:
            self.say(f"Call on {ticket.id} {'on hold' if held else 'resumed'}.")  # type: ignore[attr-defined]

    def action_ticket_wrap_end(self) -> None:
        ticket = self._current_ticket()
        if ticket is None:
            return
        if self.work.wrap_end():
            self.say(f"Wrap-up of the call on {ticket.id} done.")  # type: ignore[attr-defined]
        else:
            self.say(f"No wrap-up in progress on {ticket.id} (it starts when a call ends).", "warning")  # type: ignore[attr-defined]

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)  # type: ignore[misc]
        yield SystemCommand("Session report", "FCR, AHT and the rest: this session and 30 days",
                            self.action_session_report)
        if getattr(screen, "ticket", None) is not None:
            yield SystemCommand("Why: FCR and handle time of this ticket",
                                "its FCR status and reasons, its time by component and session",
                                self.action_ticket_why)
            yield SystemCommand("Call: hold or resume", "the call in progress on this ticket",
                                self.action_ticket_hold)
            yield SystemCommand("Call: wrap-up done", "after-call work on this ticket is finished",
                                self.action_ticket_wrap_end)
        yield SystemCommand("Break: end" if self.work.on_break else "Break: start",
                            "not staffed: nothing accrues", self.action_session_break)
        yield SystemCommand("Timer: resume" if self.work.paused else "Timer: pause",
                            "stop the handling timer, with a reason", self.action_session_pause)
