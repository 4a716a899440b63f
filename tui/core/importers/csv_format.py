"""`desk import csv`: any CSV through a mapping (mapping.py). One row per ticket, or one row
per message or status change, grouped into tickets by the id column (spilled to a temporary
SQLite file, so a big conversation export is never held in memory), ordered by time and
threaded by a reply-to column."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import itertools
import sqlite3
import tempfile
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, Iterator

import orjson

from .cleaning import body_text, email, one_value, parse_int, parse_time, present
from .mapping import Mapping
from .records import BadValue, InCustomer, InMessage, InStatus, InTicket, Problem
from .textfile import open_text

csv.field_size_limit(1 << 30)
Item = InTicket | Problem
AUTHOR_KIND = {"customer": "customer", "end-user": "customer", "end_user": "customer",
               "requester": "customer", "contact": "customer", "user": "customer",
               "agent": "agent", "admin": "agent", "staff": "agent", "support": "agent",
               "system": "system", "bot": "system", "automation": "system"}


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


class CsvSource:
    """Reads one CSV file through a mapping; `progress()` is (bytes read, file size)."""

    def __init__(self, path: Path, mapping: Mapping, tz: tzinfo):
        self.path, self.mapping, self.tz = path, mapping, tz
        self.size = path.stat().st_size
        self._counted = None
        self.encoding: str | None = None

    def progress(self) -> tuple[int, int]:
        return (self._counted.done if self._counted else 0, self.size)

    def items(self) -> Iterator[Item]:
        text, self._counted, self.encoding = open_text(self.path)
        with text:
            first = text.readline()
            if not first.strip():
                yield Problem(str(self.path), 1, "(header)", "the file is empty or has no header row")
                return
            reader = csv.reader(itertools.chain([first], text), delimiter=_delimiter(first))
            try:
                header = [h.strip() for h in next(reader)]
            except csv.Error as exc:
                yield Problem(str(self.path), 1, "(header)", f"not CSV ({exc})")
                return
            index, names, missing = self.mapping.find_columns(header)
            if missing:
                yield Problem(str(self.path), 1, "(header)",
                              f"no column {missing[0]!r} (the mapping {self.mapping.name} names it; "
                              f"the file has {', '.join(header)})")
                return
            self.mapping = dataclasses.replace(self.mapping, columns=names)  # problems name what the file calls them
            rows = self._rows(reader, index)
            if self.mapping.rows == "tickets":
                yield from self._tickets(rows)
            else:
                yield from self._grouped(rows)

    def _rows(self, reader, index: dict[str, int]) -> Iterator[tuple[int, dict[str, str]] | Problem]:
        line = 2
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield Problem(str(self.path), line, "(row)", f"not readable as CSV ({exc})")
                line = reader.line_num + 1
                continue
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            yield start, {what: row[i] if i < len(row) else "" for what, i in index.items()}

    def _problem(self, line: int, exc: BadValue) -> Problem:
        return Problem(str(self.path), line, self.mapping.columns.get(exc.column, exc.column), exc.reason)

    # -- one row per ticket -------------------------------------------------------
    def _tickets(self, rows) -> Iterator[Item]:
        seen: dict[str, tuple[int, int]] = {}  # ticket id -> its line, a hash of its row
        for entry in rows:
            if isinstance(entry, Problem):
                yield entry
                continue
            line, row = entry
            digest = hash(tuple(row.values()))  # same cells, same hash (64 bits, in this process)
            key = present(row.get("id"))
            if key in seen:
                first_line, first_digest = seen[key]
                if first_digest == digest:
                    yield Problem(str(self.path), line, self.mapping.columns["id"],
                                  f"a duplicate of line {first_line}; skipped", warning=True)
                else:
                    yield Problem(str(self.path), line, self.mapping.columns["id"],
                                  f"ticket {key} is also on line {first_line}, with other values")
                continue
            try:
                ticket, warnings = self._ticket(line, row)
            except BadValue as exc:
                yield self._problem(line, exc)
                continue
            seen[ticket.source_id.split(":", 1)[1]] = (line, digest)
            yield from warnings
            yield ticket

    def _value(self, table: dict[str, str], what: str, row: dict[str, str]) -> str | None:
        text = present(row.get(what))
        if text is None:
            return None
        found = table.get(text.lower()) or table.get(text.lower().replace("-", " ").replace("_", " "))
        if found is None:
            raise BadValue(what, f"{text!r} is not a {what} desk knows; map it in the mapping's [{what}] table")
        return found

    def _time(self, row: dict[str, str], what: str) -> datetime | None:
        return parse_time(row.get(what), what, self.tz, dayfirst=self.mapping.dayfirst)

    def _common(self, line: int, row: dict[str, str]) -> InTicket:
        key = present(row.get("id"))
        if key is None:
            raise BadValue("id", "no ticket id")
        ticket = InTicket(source_id=f"{self.mapping.source}:{key}", where=(str(self.path), line))
        ticket.subject = one_value(row.get("subject")) or ""
        ticket.priority = self._value(self.mapping.priority, "priority", row) or "normal"
        ticket.channel = self._value(self.mapping.channel, "channel", row) or "email"
        ticket.customer = InCustomer(name=one_value(row.get("customer_name")),
                                     email=email(row.get("customer_email"), "customer_email"),
                                     phone=one_value(row.get("customer_phone")),
                                     company=one_value(row.get("company")))
        ticket.product = one_value(row.get("product"))
        ticket.category = one_value(row.get("category"))
        ticket.purchased = self._time(row, "purchased")
        tags = present(row.get("tags")) or ""
        ticket.tags = [t.strip().lower().replace(" ", "_") for t in tags.replace(";", ",").replace("|", ",").split(",") if t.strip()]
        ticket.assignee = one_value(row.get("assignee"))
        ticket.group = one_value(row.get("group"))
        return ticket

    def _ticket(self, line: int, row: dict[str, str]) -> tuple[InTicket, list[Problem]]:
        ticket = self._common(line, row)
        warnings: list[Problem] = []
        ticket.status = self._value(self.mapping.status, "status", row) or "new"
        ticket.created = self._time(row, "created")
        ticket.updated = self._time(row, "updated")
        solved = self._time(row, "solved")
        first = self._time(row, "first_response")
        if solved and first and solved < first:
            warnings.append(Problem(str(self.path), line, self.mapping.columns.get("first_response", ""),
                                    "the first response is after the resolution; it is left unknown",
                                    warning=True))
            first = None
        ticket.first_replied = first
        if ticket.status in ("solved", "closed"):
            ticket.solved = solved
        rating = present(row.get("csat"))
        score = self.mapping.csat.get(rating.lower()) if rating else None
        score = score if score is not None else parse_int(rating, "csat", 1, 5)
        anchor = ticket.created or min(ticket.known_times() or [None], key=lambda t: t or datetime.max)
        body = body_text(row.get("body"))
        if body:
            name = ticket.customer.name or ticket.customer.email or "customer"
            ticket.messages.append(InMessage("body", "customer_message", "customer", name, body, anchor,
                                             time_known=ticket.created is not None))
        resolution = body_text(row.get("resolution"))
        if resolution:
            ticket.messages.append(InMessage("resolution", "public_reply", "agent",
                                             ticket.assignee or "agent", resolution, ticket.solved or anchor,
                                             time_known=ticket.solved is not None))
        if score is not None:
            ticket.csat = (score, one_value(row.get("csat_comment")) or "", ticket.solved or max(ticket.known_times(), default=None))
        if not ticket.subject:
            ticket.subject = (body.split("\n", 1)[0][:80] if body else "") or "(no subject)"
        return ticket, warnings

    # -- one row per message or status change ---------------------------------------
    def _grouped(self, rows) -> Iterator[Item]:
        with tempfile.TemporaryDirectory(prefix="desk-import-") as tmp:
            db = sqlite3.connect(Path(tmp) / "rows.db")
            db.execute("CREATE TABLE r (tid TEXT, ts TEXT, line INTEGER, row BLOB)")
            batch: list[tuple] = []
            for entry in rows:
                if isinstance(entry, Problem):
                    yield entry
                    continue
                line, row = entry
                tid = present(row.get("id"))
                if tid is None:
                    yield self._problem(line, BadValue("id", "no ticket id"))
                    continue
                try:
                    when = self._time(row, "time")
                except BadValue as exc:
                    yield self._problem(line, exc)
                    continue
                if when is None:
                    yield self._problem(line, BadValue("time", "no time"))
                    continue
                batch.append((tid, when.isoformat(), line, orjson.dumps(row)))
                if len(batch) >= 5000:
                    db.executemany("INSERT INTO r VALUES (?,?,?,?)", batch)
                    batch.clear()
            db.executemany("INSERT INTO r VALUES (?,?,?,?)", batch)
            db.execute("CREATE INDEX r_order ON r (tid, ts, line)")
            cursor = db.execute("SELECT tid, ts, line, row FROM r ORDER BY tid, ts, line")
            for _, group in itertools.groupby(cursor, key=lambda r: r[0]):
                found = list(group)
                try:
                    yield self._from_rows([(line, datetime.fromisoformat(ts), orjson.loads(raw))
                                           for _, ts, line, raw in found])
                except BadValue as exc:
                    yield self._problem(getattr(exc, "line", found[0][2]), exc)
            db.close()

    def _from_rows(self, rows: list[tuple[int, datetime, dict[str, Any]]]) -> InTicket:
        line0, _, row0 = rows[0]
        try:
            ticket = self._common(line0, {k: next((r[k] for _, _, r in rows if present(r.get(k))), "")
                                          for k in row0})
        except BadValue as exc:
            exc.line = line0  # type: ignore[attr-defined]
            raise
        ticket.created = rows[0][1]
        messages: list[tuple[str | None, InMessage]] = []
        for line, when, row in rows:
            try:
                kind = self._value(self.mapping.kind, "kind", row)
                status = self._value(self.mapping.status, "new_status", row) if "new_status" in row else None
                if status is None and self.mapping.status and "status" in self.mapping.columns:
                    status = self._value(self.mapping.status, "status", row)
                author_kind = AUTHOR_KIND.get((present(row.get("author_kind")) or "").lower())
            except BadValue as exc:
                exc.line = line  # type: ignore[attr-defined]
                raise
            body = body_text(row.get("body"))
            if status and (kind == "status" or not body):
                ticket.statuses.append(InStatus(when, status))
                continue
            if not body:
                continue
            if kind in (None, "status"):
                kind = "customer_message" if author_kind in (None, "customer") else "public_reply"
            author_kind = author_kind or ("customer" if kind == "customer_message" else "agent")
            author = one_value(row.get("author")) or (ticket.customer.name if author_kind == "customer" else None) or author_kind
            key = present(row.get("message_id")) or hashlib.blake2b(
                f"{when.isoformat()}|{author}|{body}".encode(), digest_size=8).hexdigest()
            messages.append((present(row.get("reply_to")),
                             InMessage(key, kind, author_kind, author, body, when)))
            if kind == "public_reply" and ticket.first_replied is None:
                ticket.first_replied = when
        ticket.messages = _threaded(messages)
        if ticket.statuses:
            ticket.status = ticket.statuses[-1].to
        elif ticket.first_replied:
            ticket.status = "open"
        if ticket.status in ("solved", "closed"):
            ticket.solved = next((s.at for s in reversed(ticket.statuses) if s.to in ("solved", "closed")), None)
        ticket.updated = rows[-1][1]
        if not ticket.subject:
            first = ticket.messages[0].body if ticket.messages else ""
            ticket.subject = first.split("\n", 1)[0][:80] or "(no subject)"
        return ticket


def _threaded(messages: list[tuple[str | None, InMessage]]) -> list[InMessage]:
    """Time order, except that a reply never comes before the message it answers."""
    placed: list[InMessage] = []
    ids: set[str] = set()
    waiting: dict[str, list[InMessage]] = {}
    known = {m.key for _, m in messages}

    def place(message: InMessage) -> None:
        placed.append(message)
        ids.add(message.key)
        for child in waiting.pop(message.key, []):
            place(child)

    for parent, message in messages:
        if parent and parent in known and parent not in ids:
            waiting.setdefault(parent, []).append(message)
        else:
            place(message)
    for children in waiting.values():  # a reply-to loop: kept in time order
        placed.extend(children)
    return placed
