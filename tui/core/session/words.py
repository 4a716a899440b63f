"""Words for the session's numbers, and the summary printed when the agent quits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import humanize
from ..metrics.handle_time import COMPONENTS
from ..safetext import one_line
from .log import (
    SessionFigures,
)

if TYPE_CHECKING:
    from .work import WorkSession



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


def summary_after(work: "WorkSession", store: Any) -> list[str]:
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
