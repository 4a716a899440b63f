"""What a Freshdesk ticket needs from the other records of an import: contacts, agents and
companies (small, held in memory, as zendesk.py holds users), satisfaction ratings, and
conversations exported in their own files. Conversations can outweigh the tickets, so they
are spilled to an on-disk SQLite file keyed by ticket id and read back ticket by ticket.
Built once, from every file named, and shared by both passes of every file."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import orjson

from .json_records import BAD, records

WRAPPERS = frozenset({"tickets", "contacts", "conversations", "satisfaction_ratings", "agents",
                      "companies", "results"})
KIND_OF_PAGE = {"tickets": "ticket", "contacts": "contact", "conversations": "conversation",
                "satisfaction_ratings": "rating", "agents": "agent", "companies": "company"}


def kind(obj: dict, page: str | None) -> str:
    """ticket | contact | conversation | rating | agent | company | other."""
    if page in KIND_OF_PAGE:
        return KIND_OF_PAGE[page]
    if "ratings" in obj and "ticket_id" in obj:
        return "rating"
    if "ticket_id" in obj and any(k in obj for k in ("body", "body_text", "incoming", "private")):
        return "conversation"
    if "requester_id" in obj or ("subject" in obj and "status" in obj):
        return "ticket"
    if isinstance(obj.get("contact"), dict):
        return "agent"
    if "domains" in obj:
        return "company"
    if "email" in obj or "name" in obj:
        return "contact"
    return "other"


@dataclass(frozen=True)
class Found:
    """A record and where it is: `file`, `where` (`contacts[2]`, a line number)."""

    file: str
    where: str | int
    obj: dict


class FreshdeskCatalog:
    def __init__(self, paths: list[Path]):
        self.paths = paths
        self.contacts: dict[object, Found] = {}
        self.agents: dict[object, str] = {}
        self.companies: dict[object, str] = {}
        self.ratings: dict[object, Found] = {}
        self._db: sqlite3.Connection | None = None
        self._folder: str | None = None

    def build(self) -> None:
        """Read every file once (the first time only)."""
        if self._db is not None:
            return
        self._folder = tempfile.mkdtemp(prefix="desk-freshdesk-")
        weakref.finalize(self, shutil.rmtree, self._folder, True)
        db = sqlite3.connect(Path(self._folder) / "conversations.db")
        db.execute("CREATE TABLE c (tid TEXT, file TEXT, place TEXT, obj BLOB)")
        batch: list[tuple] = []
        for path in self.paths:
            if path.suffix.lower() == ".csv":
                continue
            for where, page, obj in records(path, WRAPPERS):
                if BAD in obj:
                    continue  # reported by the file's own source
                found = Found(str(path), where, obj)
                what = kind(obj, page)
                if what == "contact" and obj.get("id") is not None:
                    self.contacts[obj["id"]] = found
                elif what == "agent":
                    contact = obj.get("contact") or {}
                    self.agents[obj.get("id")] = contact.get("name") or contact.get("email") or "agent"
                elif what == "company":
                    self.companies[obj.get("id")] = obj.get("name")
                elif what == "rating" and obj.get("ticket_id") is not None:
                    earlier = self.ratings.get(obj["ticket_id"])  # a ticket's latest rating counts
                    if earlier is None or str(earlier.obj.get("created_at") or "") <= str(obj.get("created_at") or ""):
                        self.ratings[obj["ticket_id"]] = found
                elif what == "conversation" and obj.get("ticket_id") is not None:
                    batch.append((str(obj["ticket_id"]), str(path), str(where), orjson.dumps(obj)))
                    if len(batch) >= 5000:
                        db.executemany("INSERT INTO c VALUES (?,?,?,?)", batch)
                        batch.clear()
        db.executemany("INSERT INTO c VALUES (?,?,?,?)", batch)
        db.execute("CREATE INDEX c_tid ON c (tid)")
        db.commit()
        self._db = db

    def conversations(self, ticket_id: object) -> Iterator[Found]:
        """The conversations of a ticket found in files of their own, in file order."""
        assert self._db is not None, "build() first"
        cursor = self._db.execute("SELECT file, place, obj FROM c WHERE tid = ? ORDER BY rowid",
                                  (str(ticket_id),))
        for file, place, obj in cursor:
            yield Found(file, int(place) if place.isdigit() else place, orjson.loads(obj))

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
        if self._folder:
            shutil.rmtree(self._folder, ignore_errors=True)
