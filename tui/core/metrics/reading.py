"""Reading event files under the torn-line / bad-line rule of §B.3.4."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ..eventlog import ReadStats, iter_lines


@dataclass
class ReadSummary:
    """What reading the files found: counts for `input` and warnings for `warnings`."""

    lines: int = 0
    torn_lines: int = 0
    bad_lines: int = 0
    warnings: list[dict[str, Any]] = field(default_factory=list)


def read_event_files(paths: Iterable[Path | str]) -> tuple[list[dict[str, Any]], ReadSummary]:
    """Parse every file in order. OSError propagates: an unreadable file is the caller's error."""
    events: list[dict[str, Any]] = []
    summary = ReadSummary()
    for path in paths:
        stats = ReadStats()
        found = list(iter_lines(Path(path).read_bytes(), stats))
        events.extend(found)
        summary.lines += len(found) + stats.bad_lines + stats.torn_lines
        summary.torn_lines += stats.torn_lines
        summary.bad_lines += stats.bad_lines
        summary.warnings.extend(_file_warnings(str(path), stats))
    return events, summary


def _file_warnings(path: str, stats: ReadStats) -> list[dict[str, Any]]:
    warnings = []
    if stats.torn_lines:
        warnings.append(
            {"code": "torn_line", "detail": f"{path}: dropped a final line without a newline",
             "value": stats.torn_lines}
        )
    if stats.bad_lines:
        warnings.append(
            {"code": "bad_line", "detail": f"{path}: skipped {stats.bad_lines} damaged line(s)",
             "value": stats.bad_lines}
        )
    return warnings
