"""What `desk check` looks for beyond record validation: JSON that says one key twice (the
fast parser keeps the last one and says nothing), and a change whose events the log lacks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .eventlog import EVENTS_FILE
from .fileio import read_file
from .quickcheck import Problem
from .store.tinydb.event_replay import last_events, missing_from_log

SNAPSHOTS = ("store.json", "archive.json")
JOURNALS = ("store.journal", "archive.journal")


class _Duplicate(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _Duplicate(key)
        seen[key] = value
    return seen


def _duplicate_in(text: bytes) -> str | None:
    try:
        json.loads(text, object_pairs_hook=_no_duplicates)
    except _Duplicate as exc:
        return str(exc)
    except ValueError:
        return None  # not JSON at all: the loader reports that
    return None


def duplicate_key_problems(data_dir: Path) -> list[Problem]:
    problems = []
    for name in SNAPSHOTS:
        try:
            raw = read_file(data_dir / name)
        except (FileNotFoundError, OSError):
            continue
        key = _duplicate_in(raw)
        if key is not None:
            problems.append(Problem(str(data_dir / name), "-", key,
                                    "the key appears twice in one object; desk would keep only "
                                    "the last one. Remove the wrong copy"))
    for name in JOURNALS:
        try:
            raw = read_file(data_dir / name)
        except (FileNotFoundError, OSError):
            continue
        for number, line in enumerate(raw[: raw.rfind(b"\n") + 1].split(b"\n")[:-1], 1):
            payload = line.partition(b" ")[2]
            key = _duplicate_in(payload)
            if key is not None:
                problems.append(Problem(str(data_dir / name), f"line {number}", key,
                                        "the key appears twice in one object"))
    return problems


def missing_event_problems(data_dir: Path) -> list[Problem]:
    """A durable change whose ticket events are not in the event log (a kill between the two,
    or a full disk). desk writes them at its next open or change; check only says so."""
    problems = []
    for name in JOURNALS:
        try:
            found = last_events(data_dir / name)
        except OSError:
            continue
        if found is None:
            continue
        try:
            missing = missing_from_log(data_dir / EVENTS_FILE, *found)
        except OSError:
            continue
        if missing:
            tickets = sorted({str(e.get("ticket")) for e in missing})
            problems.append(Problem(str(data_dir / EVENTS_FILE), ", ".join(tickets), "-",
                                    f"{len(missing)} event(s) of the last change in {name} are "
                                    "missing from the log; desk writes them when it next opens "
                                    "the store"))
    return problems
