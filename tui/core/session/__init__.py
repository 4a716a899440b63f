"""The agent's session, UI-free: the work stream, the live handle-time clock and the session's
figures (metrics-spec §B.3–§B.6, §B.9). `tui/app/work_stream.py` wires it into the app.


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

from .clock import mono_ms, now_ms
from .live_run import LiveRun
from .log import SessionFigures, SessionLog
from .story import ticket_story
from .words import fcr_words, hms, pct, session_summary, summary_after, window_words
from .work import BREAK_REASONS, PAUSE_REASONS, Call, WorkSession, call_direction
from .writer import ObservedWriter, open_run

__all__ = ["BREAK_REASONS", "PAUSE_REASONS", "Call", "LiveRun", "ObservedWriter", "SessionFigures",
           "SessionLog", "WorkSession", "call_direction", "fcr_words", "hms", "mono_ms", "now_ms",
           "open_run", "pct", "session_summary", "summary_after", "ticket_story", "window_words"]
