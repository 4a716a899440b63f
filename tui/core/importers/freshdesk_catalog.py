"""What a Freshdesk ticket needs from the other records of an import: contacts, satisfaction
ratings and conversations exported in files of their own, and agents, groups, products and
companies. Contacts, ratings and conversations can each outnumber the tickets, so they are
spilled to an on-disk SQLite file keyed by id and read back ticket by ticket; the others (a
team's agents and groups, a catalogue's products, a customer base's companies: few) are held
in memory. Built once, from every file named, and shared by both passes of every file."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import orjson

from .json_records import BAD, records
from .temp_catalog import TempCatalog

WRAPPERS = frozenset({"tickets", "contacts", "conversations", "satisfaction_ratings", "agents",
                      "companies", "groups", "products", "results"})
KIND_OF_PAGE = {"tickets": "ticket", "contacts": "contact", "conversations": "conversation",
                "satisfaction_ratings": "rating", "agents": "agent", "companies": "company",
                "groups": "group", "products": "product"}


CONTACT_FIELDS = ("name", "email", "phone", "mobile", "company_id")


def kind(obj: dict, page: str | None) -> str:
    """ticket | contact | conversation | rating | agent | company | group | product | other."""
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
    if "agent_ids" in obj or "unassigned_for" in obj:
        return "group"
    if "primary_email" in obj:
        return "product"
    if "email" in obj or "name" in obj:
        return "contact"
    return "other"


@dataclass(frozen=True)
class Found:
    """A record and where it is: `file`, `where` (`contacts[2]`, a line number)."""

    file: str
    where: str | int
    obj: dict


class FreshdeskCatalog(TempCatalog):
    what = "Freshdesk contacts, conversations and ratings"
    prefix = "desk-freshdesk-"

    def __init__(self, paths: list[Path]):
        super().__init__()
        self.paths = paths
        self.agents: dict[object, str] = {}
        self.companies: dict[object, str] = {}
        self.groups: dict[object, str] = {}
        self.products: dict[object, str] = {}

    def _fill(self, db: sqlite3.Connection) -> sqlite3.Connection:
        db.executescript("""
            CREATE TABLE c (tid TEXT, file TEXT, place TEXT, obj BLOB);
            CREATE TABLE p (id TEXT PRIMARY KEY, file TEXT, place TEXT, obj BLOB);
            CREATE TABLE r (tid TEXT PRIMARY KEY, created TEXT, file TEXT, place TEXT, obj BLOB);
        """)
        rows: dict[str, list[tuple]] = {"c": [], "p": [], "r": []}
        for path in self.paths:
            for where, page, obj in records(path, WRAPPERS):
                if BAD in obj:
                    continue  # reported by the file's own source
                what = kind(obj, page)
                place = (str(path), str(where))
                if what == "contact" and obj.get("id") is not None:
                    slim = {k: obj.get(k) for k in CONTACT_FIELDS}
                    rows["p"].append((str(obj["id"]), *place, orjson.dumps(slim)))
                elif what == "agent":
                    contact = obj.get("contact") if isinstance(obj.get("contact"), dict) else {}
                    self.agents[obj.get("id")] = contact.get("name") or contact.get("email") or "agent"
                elif what in ("company", "group", "product"):
                    named = {"company": self.companies, "group": self.groups, "product": self.products}
                    named[what][obj.get("id")] = obj.get("name")
                elif what == "rating" and obj.get("ticket_id") is not None:
                    rows["r"].append((str(obj["ticket_id"]), str(obj.get("created_at") or ""), *place,
                                      orjson.dumps(obj)))
                elif what == "conversation" and obj.get("ticket_id") is not None:
                    rows["c"].append((str(obj["ticket_id"]), *place, orjson.dumps(obj)))
                if sum(len(r) for r in rows.values()) >= 5000:
                    _flush(db, rows)
        _flush(db, rows)
        db.execute("CREATE INDEX c_tid ON c (tid)")
        db.commit()
        return db

    def contact(self, contact_id: object) -> Found | None:
        return self._one("SELECT file, place, obj FROM p WHERE id = ?", contact_id)

    def rating(self, ticket_id: object) -> Found | None:
        """A ticket's latest satisfaction rating."""
        return self._one("SELECT file, place, obj FROM r WHERE tid = ?", ticket_id)

    def _one(self, sql: str, key: object) -> Found | None:
        assert self._db is not None, "build() first"
        if key is None:
            return None
        rows = self._rows(sql, key)
        return _found(*rows[0]) if rows else None

    def conversations(self, ticket_id: object) -> Iterator[Found]:
        """The conversations of a ticket found in files of their own, in file order."""
        assert self._db is not None, "build() first"
        for row in self._rows("SELECT file, place, obj FROM c WHERE tid = ? ORDER BY rowid", ticket_id):
            yield _found(*row)

def _found(file: str, place: str, obj: bytes) -> Found:
    return Found(file, int(place) if place.isdigit() else place, orjson.loads(obj))


def _flush(db: sqlite3.Connection, rows: dict[str, list[tuple]]) -> None:
    """Write what was read: a later contact replaces an earlier one, a later rating an earlier."""
    db.executemany("INSERT INTO c VALUES (?,?,?,?)", rows["c"])
    db.executemany("INSERT OR REPLACE INTO p VALUES (?,?,?,?)", rows["p"])
    db.executemany("INSERT INTO r VALUES (?,?,?,?,?) ON CONFLICT (tid) DO UPDATE SET created = excluded.created,"
                   " file = excluded.file, place = excluded.place, obj = excluded.obj"
                   " WHERE excluded.created >= r.created", rows["r"])
    for batch in rows.values():
        batch.clear()
