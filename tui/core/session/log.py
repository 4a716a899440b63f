"""This session's events, read from `events.jsonl` incrementally, and the session's figures
from `compute()` over them (§B.9)."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import orjson

from ..fileio import BadLine, parse_crc_line
from ..metrics import MetricsConfig, compute
from ..metrics.handle_time import COMPONENTS, accrue_run
from ..metrics.loading import load_events
from ..metrics.runs import build_runs
from .clock import now_ms


def _needle(key: str, value: str) -> bytes:
    return b'"' + key.encode() + b'":' + orjson.dumps(value)


def _ticket_needles(ticket: str) -> list[bytes]:
    return [_needle("ticket", ticket), _needle("into", ticket), _needle("original", ticket)]


CHUNK_BYTES = 8 << 20


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
            size = os.stat(self.path).st_size
        except FileNotFoundError:
            return
        if size < self._offset:  # replaced: start over
            self._offset, self._start_offset = 0, 0
            self._events.clear()
            self.touched.clear()
            self._linked.clear()
        start = self._offset
        mine: list[dict[str, Any]] = []
        needle = [_needle("session", self.session or "")]
        end = self._lines(start, size, lambda chunk: mine.extend(parse_lines(lines_with(chunk, needle))))
        if end == start:
            return
        self._keep(mine)
        # The tickets this session acted on (its ticket-stream events) decide its FCR and
        # solves; a ticket only looked at needs nothing but the work stream.
        acted = {e["ticket"] for e in mine if e.get("stream") == "ticket" and isinstance(e.get("ticket"), str)}
        new, self._linked = (acted | self._linked) - self.touched, set()
        if new:
            self._history(new, start)
            self.touched |= new
        needles = [n for t in self.touched for n in _ticket_needles(t)]
        if needles:
            self._lines(start, end, lambda chunk: self._keep(parse_lines(lines_with(chunk, needles))))
        self._offset = end

    def _lines(self, start: int, end: int, each: Callable[[bytes], Any]) -> int:
        """Call `each` with the log's whole lines from `start` to at most `end`, CHUNK_BYTES at
        a time: a log of years is hundreds of megabytes, never all in memory at once. Returns
        where the last whole line ended (a torn tail is read again next time)."""
        try:
            fh = open(self.path, "rb")
        except FileNotFoundError:
            return start
        with fh:
            fh.seek(start)
            pos, done, pending = start, start, b""
            while pos < end:
                block = fh.read(min(CHUNK_BYTES, end - pos))
                if not block:
                    break
                pos += len(block)
                data = pending + block
                cut = data.rfind(b"\n") + 1
                pending = data[cut:]
                if cut:
                    each(data[:cut])
                    done += cut
        return done

    def _history(self, tickets: set[str], before: int) -> None:
        """The earlier ticket events of tickets touched for the first time."""
        if before <= 0:
            return
        needles = [n for t in tickets for n in _ticket_needles(t)]
        found: list[dict[str, Any]] = []
        self._lines(0, before, lambda chunk: found.extend(parse_lines(lines_with(chunk, needles))))
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
