"""What a Zendesk ticket needs from the other records of an import: its requester's,
assignee's and comment authors' users, their organizations and the ticket's satisfaction
rating. Users and ratings can each outnumber the tickets, so they are spilled to an on-disk
SQLite file keyed by id and read back ticket by ticket (the few fields a ticket uses);
organizations (a customer base's companies: few) are held in memory. Built once, from every
file named, and shared by every file's pass."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Callable, Iterator

import orjson

from .temp_catalog import TempCatalog

CACHE_USERS = 50_000
RATED_BYTES = 1 << 20
RATED_MASK = RATED_BYTES * 8 - 1
USER_FIELDS = ("name", "email", "phone", "organization_id", "role")
RATING_FIELDS = ("score", "comment", "created_at", "updated_at")
Objects = Callable[[Path, str], Iterator[tuple[Any, dict]]]  # zendesk._objects


class ZendeskPeople(TempCatalog):
    what = "Zendesk users and ratings"
    prefix = "desk-zendesk-"

    def __init__(self, paths: list[Path], objects: Objects, is_lines: Callable[[Path], bool],
                 kind: Callable[[dict], str]):
        super().__init__()
        self.paths = paths
        self._objects, self._is_lines, self._kind = objects, is_lines, kind
        self.orgs: dict[Any, str] = {}
        self._users: dict[str, dict[str, Any]] = {}  # found, up to CACHE_USERS (tickets share requesters)
        self._rated = bytearray(RATED_BYTES)  # a bit per hash of a rated ticket's id: clear = no rating

    def _fill(self, db: sqlite3.Connection) -> sqlite3.Connection:
        db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                         "CREATE TABLE u (id TEXT PRIMARY KEY, obj BLOB);"
                         "CREATE TABLE r (tid TEXT PRIMARY KEY, obj BLOB);")
        rows: dict[str, list[tuple]] = {"u": [], "r": []}
        for path in self.paths:
            lines = self._is_lines(path)
            for prefix in (("users", "organizations", "satisfaction_ratings") if not lines else ("x",)):
                for _, obj in self._objects(path, prefix):
                    kind = self._kind(obj) if lines else {"users": "user", "organizations": "organization",
                                                          "satisfaction_ratings": "rating"}[prefix]
                    if kind == "user" and obj.get("id") is not None:
                        rows["u"].append((str(obj["id"]), orjson.dumps({k: obj.get(k) for k in USER_FIELDS})))
                    elif kind == "organization":
                        self.orgs[obj.get("id")] = obj.get("name")
                    elif kind == "rating" and obj.get("ticket_id") is not None:
                        bit = hash(str(obj["ticket_id"])) & RATED_MASK
                        self._rated[bit >> 3] |= 1 << (bit & 7)
                        rows["r"].append((str(obj["ticket_id"]),
                                          orjson.dumps({k: obj.get(k) for k in RATING_FIELDS})))
                    if len(rows["u"]) + len(rows["r"]) >= 5000:
                        _flush(db, rows)
        _flush(db, rows)
        return db

    def user(self, user_id: Any) -> dict[str, Any]:
        """The user's fields ({} for one not in any file)."""
        key = str(user_id)
        found = self._users.get(key)
        if found is None:
            found = self._one("SELECT obj FROM u WHERE id = ?", user_id) or {}
            if len(self._users) >= CACHE_USERS:
                self._users.clear()
            self._users[key] = found
        return found

    def rating(self, ticket_id: Any) -> dict[str, Any] | None:
        self.build()
        bit = hash(str(ticket_id)) & RATED_MASK
        if not self._rated[bit >> 3] & (1 << (bit & 7)):
            return None
        return self._one("SELECT obj FROM r WHERE tid = ?", ticket_id)

    def _one(self, sql: str, key: Any) -> dict[str, Any] | None:
        self.build()  # the organizations too, whatever is asked
        if key is None:
            return None
        rows = self._rows(sql, key)
        return orjson.loads(rows[0][0]) if rows else None


def _flush(db: sqlite3.Connection, rows: dict[str, list[tuple]]) -> None:
    """The rows so far; a later record of the same id wins, as the last one read did."""
    for table, batch in rows.items():
        db.executemany(f"INSERT OR REPLACE INTO {table} VALUES (?, ?)", batch)
        batch.clear()
    db.commit()
