"""`desk check --repair`: the one way past a damaged journal line. Explicit, and with a backup.

A journal line that fails its CRC (or is not JSON) stops desk, because the change it held
cannot be read and a compaction would otherwise drop it for good. Repair copies the journal
to `<journal>.damaged-<UTC time>` first, then rewrites it without the damaged lines (and
without a torn tail), under the store's exclusive lock. Nothing else is touched.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from .fileio import BadLine, atomic_write, parse_crc_line, read_file
from .store.tinydb.lock import StoreLock

JOURNALS = ("store.journal", "archive.journal")


@dataclass
class Repaired:
    journal: Path
    dropped: list[int]  # line numbers, from 1
    backup: Path

    def __str__(self) -> str:
        lines = ", ".join(map(str, self.dropped))
        return (f"{self.journal}: set aside {len(self.dropped)} damaged line(s) (line {lines}); "
                f"the journal as it was is kept in {self.backup}")


def damaged_lines(raw: bytes) -> list[int]:
    found = []
    for number, line in enumerate(raw[: raw.rfind(b"\n") + 1].split(b"\n")[:-1], 1):
        try:
            entry = parse_crc_line(line, require_crc=True)
            if not isinstance(entry, dict) or not isinstance(entry.get("ops"), list):
                raise BadLine("not a journal entry")
        except BadLine:
            found.append(number)
    return found


def repair_journals(data_dir: Path, now: float | None = None) -> list[Repaired]:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    repaired = []
    lock = StoreLock(data_dir / ".lock")
    try:
        with lock.exclusive():
            for name in JOURNALS:
                journal = data_dir / name
                try:
                    raw = read_file(journal)
                except FileNotFoundError:
                    continue
                bad = damaged_lines(raw)
                if not bad:
                    continue
                backup = journal.with_name(f"{name}.damaged-{stamp}")
                atomic_write(backup, raw)
                lines = raw[: raw.rfind(b"\n") + 1].split(b"\n")[:-1]
                kept = [line + b"\n" for n, line in enumerate(lines, 1) if n not in set(bad)]
                atomic_write(journal, b"".join(kept))
                repaired.append(Repaired(journal, bad, backup))
    finally:
        lock.close()
    return repaired
