"""An import, file by file: a first pass reads everything and finds every problem (all a dry
run does); only a file without problems (or, with `skip_bad`, its good rows) is written, in a
second pass, so a bad row never leaves half a file behind. A killed import is finished by
running it again: tickets already written are recognised by their source id."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from .landing import Counts, Landing, check_ticket
from .records import InTicket, Problem

Progress = Callable[[str, int, int, int], None]  # file, bytes done, bytes total, tickets


@dataclass
class FileResult:
    path: Path
    tickets: int = 0
    problems: list[Problem] = field(default_factory=list)
    written: bool = False

    @property
    def bad(self) -> list[Problem]:
        return [p for p in self.problems if not p.warning]


def scan(source, progress: Progress | None = None) -> Iterator[InTicket | Problem]:
    """Every ticket and problem of one source, the models' checks included."""
    last = 0.0
    tickets = 0
    for item in source.items():
        if isinstance(item, InTicket):
            problems = check_ticket(item)
            if problems:
                yield from problems
                continue
            tickets += 1
        yield item
        now = time.monotonic()
        if progress and now - last >= 0.2:
            last = now
            progress(str(source.path), *source.progress(), tickets)


def check_file(source, progress: Progress | None = None) -> FileResult:
    result = FileResult(source.path)
    for item in scan(source, progress):
        if isinstance(item, Problem):
            result.problems.append(item)
        elif isinstance(item, InTicket):
            result.tickets += 1
    return result


def import_file(store, make_source: Callable[[], object], *, skip_bad: bool,
                progress: Progress | None = None, landing: Landing | None = None) -> tuple[FileResult, Counts]:
    """Check one file, then write it if it may be written. Returns what was found and done."""
    result = check_file(make_source(), progress)
    landing = landing or Landing(store)
    if result.bad and not skip_bad:
        return result, landing.counts
    source = make_source()
    landing.land(t for t in scan(source, progress) if not isinstance(t, Problem))
    landing.finish()
    result.written = True
    return result, landing.counts
