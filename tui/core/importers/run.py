"""An import, file by file: a first pass reads everything and finds every problem (all a dry
run does), validating each ticket once and keeping the good ones in a spill file (spill.py);
only a file without problems (or, with `skip_bad`, its good rows) is written, in a second pass
over the spill, so a bad row never leaves half a file behind. A killed import is finished by
running it again: tickets already written are recognised by their source id."""

from __future__ import annotations

import gc
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from ..models import now_utc
from .derived import spilled
from .landing import Counts, Landed, Landing, checked_doc
from .records import InTicket, Problem, Record
from .spill import Spill

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


def scan(source, progress: Progress | None = None
         ) -> Iterator[tuple[InTicket, dict[str, Any]] | Record | Problem]:
    """Every ticket (with its `checked_doc`), whole record (desk's export) and problem of one
    source, the models' checks included."""
    last = 0.0
    tickets = 0
    started = now_utc()  # a ticket without any known time was created when it was imported
    for item in source.items():
        if isinstance(item, InTicket):
            checked = checked_doc(item, started)
            if isinstance(checked, list):
                yield from checked
                continue
            tickets += 1
            yield item, checked
        else:
            yield item
        now = time.monotonic()
        if progress and now - last >= 0.2:
            last = now
            progress(str(source.path), *source.progress(), tickets)


def check_file(source, progress: Progress | None = None, spill: Spill | None = None) -> FileResult:
    """The first pass; with `spill`, the good tickets (and the whole records) are kept there
    for the second."""
    result = FileResult(source.path)
    for item in scan(source, progress):
        if isinstance(item, Problem):
            result.problems.append(item)
        elif isinstance(item, tuple):  # a ticket and its checked doc
            result.tickets += 1
            if spill is not None:
                spill.add(spilled(item[0]), item[1])
        elif spill is not None:  # a whole record (desk's export): landed as it is
            spill.add(item, None)
    return result


def import_file(store, make_source: Callable[[], object], *, skip_bad: bool,
                progress: Progress | None = None, landing: Landing | None = None,
                writer=None) -> tuple[FileResult, Counts]:
    """Check one file, then write it if it may be written. Returns what was found and done.
    With a `writer` shared by several files, its `finish()` (after the last) folds the
    journals; without one, this file's landing does."""
    landing = landing or Landing(store, writer=writer)
    try:
        with Spill(landing.writer.spill_dir) as spill, _rare_collections():
            result = check_file(make_source(), progress, spill)
            if result.bad and not skip_bad:
                return result, landing.counts
            landing.land(_reported(spill, str(result.path), progress))
            landing.finish()
    finally:
        landing.close()
    result.written = True
    return result, landing.counts


@contextmanager
def _rare_collections() -> Iterator[None]:
    """The cyclic GC's young collections every 50,000 allocations instead of 700: an import
    makes and drops a few hundred objects a ticket, none in cycles, and the collections
    (with the older ones they bring on) took a tenth of its time at 20k tickets."""
    before = gc.get_threshold()
    gc.set_threshold(50_000, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _reported(spill: Spill, path: str, progress: Progress | None) -> Iterator[Landed]:
    """The spilled tickets and records, with progress (bytes of the spill read back, tickets)
    as they are written."""
    last = 0.0
    tickets = 0
    for item in spill.read():
        tickets += item[1] is not None
        yield item
        now = time.monotonic()
        if progress and now - last >= 0.2:
            last = now
            progress(path, spill.done, spill.size, tickets)
