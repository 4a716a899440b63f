"""Two app instances of one agent (§B.7.7): at any instant at most one run credits.

Among the agent's live runs, the one whose latest activity point (its start counts) is most
recent credits; ties go to the earlier-started run.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict

from .handle_time import Piece, RunAccrual

Window = tuple[int, int]


def credited_pieces(accruals: list[RunAccrual]) -> list[Piece]:
    by_agent: dict[str, list[RunAccrual]] = defaultdict(list)
    for accrual in accruals:
        by_agent[accrual.run.agent].append(accrual)
    pieces: list[Piece] = []
    for agent in sorted(by_agent):
        group = sorted(by_agent[agent], key=lambda a: (a.run.start, a.run.id))
        if not _overlapping(group):
            pieces.extend(piece for accrual in group for piece in accrual.pieces)
            continue
        windows = _winning_windows(group)
        for accrual in group:
            pieces.extend(_clip(accrual.pieces, windows.get(accrual.run.id, [])))
    return pieces


def _overlapping(group: list[RunAccrual]) -> bool:
    """`group` is sorted by start: runs overlap when one starts before an earlier one ended."""
    latest_end = group[0].run.end
    for accrual in group[1:]:
        if accrual.run.start < latest_end:
            return True
        latest_end = max(latest_end, accrual.run.end)
    return False


def _winning_windows(group: list[RunAccrual]) -> dict[str, list[Window]]:
    bounds = sorted({t for a in group for t in (a.run.start, a.run.end, *a.points)})
    windows: dict[str, list[Window]] = defaultdict(list)
    for start, end in zip(bounds, bounds[1:]):
        live = [a for a in group if a.run.start <= start < a.run.end]
        if not live:
            continue
        winner = min(live, key=lambda a: (-_latest_point(a, start), a.run.start, a.run.id))
        mine = windows[winner.run.id]
        if mine and mine[-1][1] == start:
            mine[-1] = (mine[-1][0], end)
        else:
            mine.append((start, end))
    return windows


def _latest_point(accrual: RunAccrual, at: int) -> int:
    return accrual.points[bisect_right(accrual.points, at) - 1]


def _clip(pieces: list[Piece], windows: list[Window]) -> list[Piece]:
    ends = [end for _, end in windows]
    clipped = []
    for piece in pieces:
        index = bisect_right(ends, piece.start)
        while index < len(windows) and windows[index][0] < piece.end:
            low, high = max(piece.start, windows[index][0]), min(piece.end, windows[index][1])
            if low < high:
                clipped.append(Piece(piece.run, piece.ticket, piece.component, low, high))
            index += 1
    return clipped
