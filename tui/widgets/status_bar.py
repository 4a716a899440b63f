"""The status bar: who is working, the focused ticket's live handling timer, and the session's
items, AHT and provisional FCR with its counts (metrics-spec §B.9: the timer and AHT never
without the session FCR). When the bar is too narrow, the least useful parts go first."""

from __future__ import annotations

import time
from typing import Any

from textual.content import Content
from textual.message import Message
from textual.widget import Widget

from ..core import humanize
from ..core.handling import HandlingClock
from ..core.session import fcr_words, hms
from ..core.slow import SlowCall
from ..ui.text import line

SEPARATOR = Content(" · ")


class SlowCallChanged(Message):
    """A store call has run for a while (`seconds` None), or has ended after `seconds`."""

    def __init__(self, call: SlowCall, seconds: float | None) -> None:
        super().__init__()
        self.call = call
        self.seconds = seconds


class StatusBar(Widget):
    """One row, drawn again only when its text changes: every second while a timer runs, not
    at all once the agent is idle (the timer stops at the idle cut-off; the session clock
    shows minutes)."""

    DEFAULT_CSS = "StatusBar { height: 1; }"

    def __init__(self, agent: str, clock: HandlingClock, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.agent = agent
        self.clock = clock
        self.started = time.monotonic()
        self.text = Content("")
        self.slow: dict[int, SlowCall] = {}  # store calls still running after a while
        self.sync: Any = None  # an offline replica's SyncStatus (tui.core.sync), else None

    def on_mount(self) -> None:
        self.tick()
        self.set_interval(1.0, self.tick)

    def on_resize(self) -> None:
        self.tick()

    def tick(self) -> None:
        """Called every second and by the main screen whenever the detail pane changes: the
        clock's current ticket is the one shown, which the work stream records (ticket_focus)."""
        work = getattr(self.app, "work", None)
        if work is not None:
            work.show(self.clock.current)
        text = self.render_parts(max(self.content_region.width, 20))
        if (text.plain, text.spans) != (self.text.plain, self.text.spans):
            self.text = text
            self.refresh()  # one row, fixed height: never a layout of the screen

    def render(self) -> Content:
        return self.text

    def show_slow(self, event: SlowCallChanged) -> None:
        """"⏳ reading the archive … 3 s" while a slow store call runs (no visible freeze)."""
        if event.seconds is None:
            self.slow[event.call.key] = event.call
        else:
            self.slow.pop(event.call.key, None)
        self.tick()

    def show_sync(self, status: Any) -> None:
        """`offline · 12 changes not synced · last sync 09:14` on a replica."""
        self.sync = status
        self.tick()

    def _sync_part(self, short: bool) -> Content:
        status, muted = self.sync, "$text-muted"
        last = status.last_sync.astimezone().strftime("%H:%M") if status.last_sync else "never"
        if short:
            text = Content.assemble(("⇅ ", "bold $text-accent"), f"{status.pending} ",
                                    (last, muted))
        else:
            text = Content.assemble(("offline", "bold $text-accent"),
                                    (" · ", muted), f"{status.pending} change"
                                    f"{'s' if status.pending != 1 else ''} not synced",
                                    (" · last sync ", muted), last)
        if status.conflicts:
            word = f" {status.conflicts}!" if short else \
                f" · {status.conflicts} conflict{'s' if status.conflicts != 1 else ''}"
            text = Content.assemble(text, (word, "bold $text-warning"))
        return text

    def render_parts(self, width: int) -> Content:
        """Long labels if they fit, without the agent and session clock if need be; else short
        labels, dropping the least useful parts first (never the timer or the FCR)."""
        for short, keep in ((False, 3), (True, 7)):
            parts = self._parts(short)
            while True:
                text = SEPARATOR.join(content for _, content in parts)
                droppable = [part for part in parts if part[0] < keep]
                if text.cell_length <= width or not droppable:
                    break
                parts.remove(min(droppable, key=lambda part: part[0]))
            if text.cell_length <= width:
                break
        return text

    def _parts(self, short: bool) -> list[tuple[int, Content]]:
        """(priority, text): priority ≥ 7 is never dropped."""
        work = getattr(self.app, "work", None)
        muted = "$text-muted"
        parts: list[tuple[int, Content]] = [
            (1, Content.assemble(("" if short else "agent ", muted), line(self.agent, "bold"))),
            (2, Content.assemble(("session ", muted), humanize.duration(time.monotonic() - self.started))),
        ]
        current = work.focused if work is not None else self.clock.current
        if current:
            seconds = work.handle_s(current) if work is not None else self.clock.elapsed(current)
            running = work is None or work.live.accruing == current
            parts.append((8, Content.assemble(
                line(current), (" handling " if not short else " ", muted),
                (humanize.clock(seconds), "bold" if running else "$text-muted"))))
        figures = work.figures if work is not None else None
        session = figures.session if figures else None
        parts.append((4, Content.assemble(("items ", muted), str(session["items"]) if session else "–")))
        parts.append((5, Content.assemble(("AHT ", muted), hms(session["aht_s"]) if session else "–")))
        parts.append((7, Content.assemble(("FCR ", muted), fcr_words(session["fcr"] if session else None,
                                                                     short=short))))
        if work is not None:
            state = self._state(work, current)
            if state:
                parts.append((9, state))
        if self.sync is not None:
            parts.append((6, self._sync_part(short)))
        if self.slow:
            oldest = min(self.slow.values(), key=lambda call: call.started)
            waited = humanize.clock(time.monotonic() - oldest.started)
            parts.insert(0, (10, Content.assemble(("⏳ ", "bold $text-warning"), line(oldest.what),
                                                  (f" {waited}", "$text-muted"))))
        return parts

    @staticmethod
    def _state(work, current: str | None) -> Content | None:
        if work.on_break:
            return Content.assemble(("on break ", "bold $text-warning"), line(f"({work.on_break})"))
        if work.paused:
            return Content.assemble(("timer paused ", "bold $text-warning"), line(f"({work.paused})"))
        call = work.live_call(current)
        if call is not None:
            return Content.styled("on hold" if call.on_hold else "● call", "bold $text-error")
        if work.acw and work.acw == current:
            return Content.styled("wrap-up", "bold $text-accent")
        return None
