"""Sequence integrity (§B.3.2): gaps and repeats of `seq` per run or per source."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable

from .events import Event
from .times import format_time


def sequence_warnings(events: Iterable[Event]) -> list[dict[str, Any]]:
    """App events count per run; import and system events per `src`. Counters start at 1."""
    groups: dict[tuple[str, str], list[Event]] = defaultdict(list)
    for event in events:
        groups[_counter_of(event)].append(event)
    warnings: list[dict[str, Any]] = []
    for key in sorted(groups):
        warnings.extend(_check_counter(key, sorted(groups[key], key=lambda e: (e.seq, e.ts, e.id))))
    return warnings


def _counter_of(event: Event) -> tuple[str, str]:
    if event.src == "app" and event.run is not None:
        return ("run", event.run)
    return ("src", event.src)


def _check_counter(key: tuple[str, str], events: list[Event]) -> list[dict[str, Any]]:
    kind, name = key
    owner = f"run {name}" if kind == "run" else f"source {name}"
    warnings = []
    expected = 1
    for event in events:
        if event.seq < expected:
            warnings.append(
                {"code": "seq_dup", "detail": f"{owner}: seq {event.seq} is repeated", kind: name,
                 "ts": format_time(event.ts), "value": event.seq}
            )
            continue
        if event.seq > expected:
            missing = event.seq - expected
            warnings.append(
                {"code": "seq_gap", "detail": f"{owner}: {missing} event(s) missing before seq {event.seq}",
                 kind: name, "ts": format_time(event.ts), "value": missing}
            )
        expected = event.seq + 1
    return warnings
