"""The queue's views (My open, Unassigned, …) and the selection a view and a filter make.

`select` remembers its last answers per row list: a keystroke that narrows the filter
("pr" -> "pri") only looks at what the previous one matched, and one that goes back (a
Backspace) is answered from memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from datetime import time as dtime
from typing import Callable, Iterable

from .filter import Filter, narrows
from .models import OPEN_STATUSES, RESOLVED_STATUSES
from .queue import QueueRow, Rows


@dataclass(frozen=True, slots=True)
class ViewContext:
    agent: str
    now: float
    today_start: float  # local midnight, for "Solved today"

    @classmethod
    def at(cls, agent: str, now: datetime) -> "ViewContext":
        local = now.astimezone()
        midnight = datetime.combine(local.date(), dtime(0), tzinfo=local.tzinfo)
        return cls(agent, now.timestamp(), midnight.timestamp())


def _open(row: QueueRow) -> bool:
    return row.status in OPEN_STATUSES


@dataclass(frozen=True)
class View:
    key: str
    label: str
    test: Callable[[QueueRow, ViewContext], bool]
    needs_archive: bool = False


VIEWS: tuple[View, ...] = (
    View("mine", "My open", lambda r, c: _open(r) and r.assignee == c.agent),
    View("unassigned", "Unassigned", lambda r, c: _open(r) and not r.assignee),
    View("open", "All open", lambda r, c: _open(r)),
    View("sla", "SLA at risk/breached",
         lambda r, c: _open(r) and r.sla.risk_from is not None and r.sla.risk_from <= c.now),
    View("waiting", "Pending/On-hold", lambda r, c: r.status in ("pending", "on_hold")),
    View("solved_today", "Solved today",
         lambda r, c: r.status in RESOLVED_STATUSES and (r.solved or 0) >= c.today_start,
         needs_archive=True),
    View("all", "All", lambda r, c: True, needs_archive=True),
)
VIEWS_BY_KEY = {v.key: v for v in VIEWS}


@dataclass(frozen=True, slots=True)
class Selection:
    rows: list[QueueRow]  # the view, filtered and sorted
    in_view: int  # before the filter


def select(rows: Iterable[QueueRow], view: View, flt: Filter, ctx: ViewContext,
           cancelled: Callable[[], bool] = lambda: False) -> Selection | None:
    """The rows of `view` that match `flt`, in queue order; None if cancelled midway.

    With the `Rows` of a QueueIndex (already in order), answers are remembered on them: the
    same question is answered from memory, and a narrower filter only tests the rows that
    matched a wider one."""
    if not isinstance(rows, Rows):
        return _select(list(rows), view, flt, ctx, cancelled, sort=True)
    if view.key == "sla":  # depends on the clock: never reused
        return _select(rows, view, flt, ctx, cancelled, sort=False)
    base_key = (view.key, ctx.agent, ctx.today_start)
    answers = rows.answers
    hit = answers.get((*base_key, flt))
    if hit is not None:
        return Selection(list(hit[0]), hit[1])
    source, in_view = rows, None
    for (v, agent, day, wider), (chosen, count) in answers.items():
        if (v, agent, day) == base_key and narrows(flt, wider) and len(chosen) < len(source):
            source, in_view = chosen, count
    if source is rows:
        result = _select(rows, view, flt, ctx, cancelled, sort=False)
    else:  # every row here is in the view already
        result = _select(source, None, flt, ctx, cancelled, sort=False)
        if result is not None:
            result = Selection(result.rows, in_view)
    if result is not None:
        if len(answers) >= 32:  # each holds up to a view's rows (8 bytes a row)
            answers.clear()
        answers[(*base_key, flt)] = (result.rows, result.in_view)
        result = Selection(list(result.rows), result.in_view)
    return result


def _select(rows: list[QueueRow], view: View | None, flt: Filter, ctx: ViewContext,
            cancelled: Callable[[], bool], sort: bool) -> Selection | None:
    in_view, chosen = 0, []
    keep = chosen.append
    test = view.test if view is not None else None
    matches = flt.predicate(ctx.agent) if flt else None
    for start in range(0, len(rows), 4096):
        if cancelled():
            return None
        for row in rows[start:start + 4096]:
            if test is None or test(row, ctx):
                in_view += 1
                if matches is None or matches(row.search):
                    keep(row)
    if sort:
        chosen.sort(key=lambda r: r.sort_key)
    return Selection(chosen, in_view)
