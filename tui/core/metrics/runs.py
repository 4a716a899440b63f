"""Runs and sessions (§B.3.6, §B.8): spans, breaks, staffed time, clock sanity."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .config import MetricsConfig
from .events import Event
from .times import DAY_MS, format_time, to_seconds


@dataclass
class Run:
    """One process lifetime. Times inside it come from `mono_ms`; `wall()` maps them to UTC."""

    id: str
    agent: str
    session: str
    timeline: list[tuple[int, Event]]  # (clamped mono, event) in seq order, up to the run's end
    ended_by: str
    end_reason: str | None
    break_ms: int = 0
    clock_jumps: list[dict[str, Any]] = field(default_factory=list)

    @property
    def start_mono(self) -> int:
        return self.timeline[0][0]

    @property
    def end_mono(self) -> int:
        return self.timeline[-1][0]

    @property
    def start(self) -> int:
        return self.timeline[0][1].ts

    @property
    def end(self) -> int:
        return self.wall(self.end_mono)

    @property
    def staffed_ms(self) -> int:
        return self.end_mono - self.start_mono - self.break_ms

    @property
    def tz(self) -> str | None:
        first = self.timeline[0][1]
        return first.data.get("tz") if first.type == "run_start" else None

    def wall(self, mono: int) -> int:
        """§B.8: ts(run_start) + (mono_ms − mono_ms(run_start))."""
        return self.start + mono - self.start_mono

    def mono_at(self, wall: int) -> int:
        return self.start_mono + wall - self.start


@dataclass
class Session:
    id: str
    agent: str
    runs: list[Run]
    tz: str
    local_date: str
    unaccounted_ms: int

    @property
    def start(self) -> int:
        return self.runs[0].start

    @property
    def end(self) -> int:
        return max(run.end for run in self.runs)

    @property
    def staffed_ms(self) -> int:
        return sum(run.staffed_ms for run in self.runs)

    @property
    def break_ms(self) -> int:
        return sum(run.break_ms for run in self.runs)


def build_runs(events: list[Event], config: MetricsConfig) -> tuple[dict[str, Run], list[dict[str, Any]]]:
    by_run: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        if event.src == "app" and event.run is not None:
            by_run[event.run].append(event)
    runs: dict[str, Run] = {}
    warnings: list[dict[str, Any]] = []
    for run_id in sorted(by_run):
        in_seq = sorted(by_run[run_id], key=lambda e: (e.seq, e.mono, e.id))
        timeline = _clamped_timeline(run_id, in_seq, warnings)
        timeline, ended_by, reason = _cut_at_run_end(timeline)
        first = timeline[0][1]
        run = Run(run_id, first.agent, first.session, timeline, ended_by, reason)
        run.break_ms = _break_ms(timeline)
        run.clock_jumps = _clock_jumps(in_seq, config.clock_jump_tolerance_s * 1000)
        warnings.extend(
            {"code": "clock_jump", "detail": f"run {run_id}: wall clock moved {jump['delta_s']} s against mono",
             "run": run_id, "ts": jump["ts"], "value": jump["delta_s"]}
            for jump in run.clock_jumps
        )
        runs[run_id] = run
    return runs, warnings


def build_sessions(runs: dict[str, Run]) -> tuple[dict[str, Session], list[dict[str, Any]]]:
    by_session: dict[str, list[Run]] = defaultdict(list)
    for run in runs.values():
        by_session[run.session].append(run)
    sessions: dict[str, Session] = {}
    warnings: list[dict[str, Any]] = []
    for session_id in sorted(by_session):
        ordered = sorted(by_session[session_id], key=lambda r: (r.start, r.id))
        tz = _checked_tz(ordered[0], warnings)
        local_date = datetime.fromtimestamp(ordered[0].start / 1000, ZoneInfo(tz)).date().isoformat()
        unaccounted = _unaccounted_ms(ordered, warnings)
        sessions[session_id] = Session(session_id, ordered[0].agent, ordered, tz, local_date, unaccounted)
    return sessions, warnings


def _clamped_timeline(run_id: str, events: list[Event], warnings: list) -> list[tuple[int, Event]]:
    timeline = []
    latest = None
    for event in events:
        mono = event.mono
        if latest is not None and mono < latest:
            warnings.append(
                {"code": "mono_backwards", "detail": f"run {run_id}: mono_ms went back {latest - mono} ms; clamped",
                 "run": run_id, "ts": format_time(event.ts), "value": to_seconds(mono - latest)}
            )
            mono = latest
        latest = mono
        timeline.append((mono, event))
    return timeline


def _cut_at_run_end(timeline: list[tuple[int, Event]]) -> tuple[list, str, str | None]:
    for index, (_, event) in enumerate(timeline):
        if event.type == "run_end":
            return timeline[: index + 1], "run_end", event.data.get("reason")
    return timeline, "last_event", None


def _break_ms(timeline: list[tuple[int, Event]]) -> int:
    """Σ breaks; a break still open at the run's end lasts until it."""
    total = 0
    opened = None
    for mono, event in timeline:
        if event.type == "break_start" and opened is None:
            opened = mono
        elif event.type == "break_end" and opened is not None:
            total += mono - opened
            opened = None
    if opened is not None:
        total += timeline[-1][0] - opened
    return total


def _clock_jumps(events: list[Event], tolerance_ms: int) -> list[dict[str, Any]]:
    jumps = []
    for before, after in zip(events, events[1:]):
        delta = (after.ts - before.ts) - (after.mono - before.mono)
        if abs(delta) > tolerance_ms:
            jumps.append({"ts": format_time(after.ts), "delta_s": to_seconds(delta)})
    return jumps


def _checked_tz(run: Run, warnings: list) -> str:
    name = run.tz
    if not isinstance(name, str) or not name:
        return "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        warnings.append({"code": "bad_tz", "detail": f"run {run.id}: unknown time zone {name!r}; UTC is used",
                         "run": run.id, "value": name})
        return "UTC"
    return name


def _unaccounted_ms(runs: list[Run], warnings: list) -> int:
    """Σ gaps between consecutive runs; a negative or > 24 h gap counts as 0 (§B.8)."""
    total = 0
    for previous, current in zip(runs, runs[1:]):
        gap = current.start - previous.end
        if 0 <= gap <= DAY_MS:
            total += gap
            continue
        warnings.append(
            {"code": "clock_gap", "detail": f"run {current.id}: implausible gap of {to_seconds(gap)} s after "
             f"run {previous.id}; counted as 0", "run": current.id, "ts": format_time(current.start),
             "value": to_seconds(gap)}
        )
    return total


