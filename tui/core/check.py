"""`desk check`: validate every record of a store without changing a byte of it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator


from .check_integrity import duplicate_key_problems, missing_event_problems
from .eventlog import EVENTS_FILE, ReadStats, iter_lines
from .fileio import read_file
from .models import MODELS_BY_TABLE
from .permissions import data_dir_problem, unsafe_store_files
from .quickcheck import Problem, check_schema, document_problems
from .store.errors import StoreCorrupt
from .store.tinydb.archive_index import INDEX_FILE, ArchiveHeads, IndexUnusable, head_of
from .store.tinydb.journal import JournaledCollection


def _load(data_dir: Path, name: str) -> tuple[JournaledCollection | None, list[Problem]]:
    coll = JournaledCollection(data_dir / f"{name}.json", data_dir / f"{name}.journal",
                               strict=False)
    for path in (coll.snapshot, coll.journal):
        if path.exists() and not os.access(path, os.R_OK):
            return None, [Problem(str(path), "-", "-", "cannot be read (permission denied); "
                                  "ask for read access to the data directory's group")]
    try:
        coll.load()
    except StoreCorrupt as exc:
        return None, [Problem(str(coll.snapshot), "-", "-", str(exc).split(": ", 1)[-1])]
    problems = [Problem(str(coll.journal), f"line {n}", "-", "damaged line (bad CRC or JSON); "
                        "desk refuses the store until `desk check --repair` sets it aside")
                for n in coll.stats.bad_lines]
    if coll.stats.torn_tail:
        problems.append(Problem(str(coll.journal), "last line", "-",
                                "torn (an interrupted write); it is ignored", fatal=False))
    return coll, problems


def _validate_tables(file: str, tables: dict[str, Any]) -> Iterator[Problem]:
    for table, model in MODELS_BY_TABLE.items():
        seen: dict[str, str] = {}
        for doc_id, doc in tables.get(table, {}).items():
            rid, found = document_problems(file, table, doc_id, doc, model)
            yield from found
            if not isinstance(doc, dict):
                continue
            if rid in seen:
                yield Problem(file, rid, "id", f"duplicate id: also stored under key {seen[rid]}")
            seen[rid] = doc_id
            expected_key = rid.split("-", 1)[-1].lstrip("0") or "0"
            if "-" in rid and expected_key != doc_id:
                yield Problem(file, rid, "id", f"stored under key {doc_id!r}, expected {expected_key!r}")


def check_store(data_dir: Path | str) -> list[Problem]:
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        return [Problem(str(data_dir), "-", "-", "no such data directory")]
    if not (data_dir / "store.json").exists():
        return [Problem(str(data_dir / "store.json"), "-", "-",
                        "missing: this directory holds no desk store")]
    problems, untrusted = _trust_problems(data_dir)
    if untrusted:
        return problems
    active, found = _load(data_dir, "store")
    problems += found
    archive, found = _load(data_dir, "archive")
    problems += found
    if active is not None:
        problems += check_schema(str(active.snapshot), active.tables)
        problems += _validate_tables(str(active.snapshot), active.tables)
    if archive is not None:
        problems += _validate_tables(str(archive.snapshot), {"tickets": archive.tables.get("tickets", {})})
    if active is not None and archive is not None:
        both = set(active.tables.get("tickets", {})) & set(archive.tables.get("tickets", {}))
        for doc_id in sorted(both, key=int):
            problems.append(Problem(str(archive.snapshot), f"T-{doc_id}", "id",
                                    "duplicate id: also in the active store"))
    if archive is not None:
        problems += _check_index(data_dir / INDEX_FILE, archive)
    problems += _check_events(data_dir / EVENTS_FILE)
    problems += duplicate_key_problems(data_dir)
    problems += missing_event_problems(data_dir)
    return problems


def _trust_problems(data_dir: Path) -> tuple[list[Problem], bool]:
    """What desk refuses to open: a data directory others can write to (or a link), store
    files that are links, not regular files or not the team's; and whether to stop there.
    With such a file nothing is read: a link is never followed, and no content of such a
    file can be trusted."""
    problem = data_dir_problem(data_dir)
    found = [Problem(str(data_dir), "-", "-", problem.split(": ", 1)[1])] if problem else []
    if data_dir.is_symlink():
        return found, True
    unsafe = [Problem(str(path), "-", "-", reason) for path, reason in unsafe_store_files(data_dir)]
    return found + unsafe, bool(unsafe)


def _check_index(path: Path, archive: JournaledCollection) -> list[Problem]:
    """The archive index is derived from the archive: a bad one is a warning, as desk
    rebuilds it, unless it looks intact but says something else than the archive."""
    if not path.exists():
        return []
    heads = ArchiveHeads(archive.snapshot, archive.journal, path)
    heads.load()
    if heads.index is None:
        return [Problem(str(path), "-", "-", f"{heads.problem}; desk rebuilds it from the "
                        "archive when it next needs it", fatal=False)]
    expected: dict[str, dict[str, Any]] = {}
    for doc_id, doc in archive.tables.get("tickets", {}).items():
        if isinstance(doc, dict) and isinstance(doc.get("customer"), str):
            expected.setdefault(doc["customer"], {})[doc_id] = head_of(doc)
    wrong = []
    for customer in sorted(set(heads.index.customers()) | set(expected)):
        try:
            if heads.for_customer(customer) != expected.get(customer, {}):
                wrong.append(customer)
        except IndexUnusable:
            wrong.append(customer)
    since_snapshot = heads.tables.get("tickets", {})
    unlisted = [doc_id for doc_id in archive.tables.get("tickets", {})
                if doc_id not in since_snapshot and heads.index.holds(doc_id) is False]
    if unlisted:
        wrong.append(f"ticket ids ({len(unlisted)} archived tickets not listed)")
    if not wrong:
        return []
    return [Problem(str(path), ", ".join(wrong[:5]) + (" …" if len(wrong) > 5 else ""), "-",
                    f"{len(wrong)} customer(s)' tickets differ from the archive; delete the "
                    "file and desk rebuilds it", fatal=False)]


def _check_events(path: Path) -> list[Problem]:
    if not path.exists():
        return []
    try:
        raw = read_file(path)
    except PermissionError:
        return [Problem(str(path), "-", "-", "cannot be read (permission denied)")]
    stats = ReadStats()
    for _ in iter_lines(raw, stats):
        pass
    found = []
    if stats.bad_lines:
        found.append(Problem(str(path), f"{stats.bad_lines} line(s)", "-",
                             "damaged event lines; metrics skip and count them", fatal=False))
    if stats.torn_lines:
        found.append(Problem(str(path), "last line", "-", "torn; metrics drop it", fatal=False))
    return found

