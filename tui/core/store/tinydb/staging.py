"""A store's documents on disk in a private sqlite file, while an import writes to it
(import_writer.py): what the import looks up (a ticket by source id, a customer by email, a
purchase) and what the snapshots are written from at its end, without the tables in memory.

The file lives in a private directory inside the data directory (so its space is the
store's, and nobody else's tmpfs), is never trusted across runs (rebuilt from the store's
files each time) and is removed when the import ends; `remove_stale` removes what a killed
import left. Documents are kept as orjson bytes; a few fields are copied into columns to be
found by: a ticket's source id and customer, a customer's source id and email, a purchase's
customer, product and date."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator

import orjson

from ...eventlog import parse_event_ts
from ...models import format_ts
from ..errors import StoreCorrupt, StoreWriteError
from .journal import Op, damaged_line, journal_entries
from .snapshot import HEAD
from . import snapshot as snapshot_file

ACTIVE_COLL, ARCHIVE_COLL = 0, 1
PREFIX = ".import-staging-"
_SEP = "\x1f"
MAYBE_BYTES = 1 << 23
MAYBE_MASK = MAYBE_BYTES * 8 - 1

NOT_A_NUMBER = -1  # `num` of a key that is not a record number (a damaged store)
# num: the key as a number, for the snapshot's order; k1: a ticket's or customer's source id,
# a purchase's purchase_key; k2: a customer's email; grp: a ticket's customer.
_SCHEMA = """
CREATE TABLE docs (coll INTEGER NOT NULL, tbl TEXT NOT NULL, num INTEGER NOT NULL,
                   key TEXT NOT NULL, doc BLOB NOT NULL, k1 TEXT, k2 TEXT, grp TEXT,
                   UNIQUE (coll, tbl, num, key));
CREATE INDEX docs_k1 ON docs (tbl, k1) WHERE k1 IS NOT NULL;
CREATE INDEX docs_k2 ON docs (k2) WHERE k2 IS NOT NULL;
CREATE TABLE tables (coll INTEGER NOT NULL, tbl TEXT NOT NULL, pos INTEGER NOT NULL,
                     PRIMARY KEY (coll, tbl));
"""
_ROW = "INSERT OR REPLACE INTO docs VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
_WHERE_KEY = "coll = ? AND tbl = ? AND num = ? AND key = ?"


def purchase_key(customer: Any, product: Any, date: Any) -> str:
    return f"{customer}{_SEP}{product}{_SEP}{_date_form(date)}"


def _date_form(date: Any) -> str:
    if not isinstance(date, str):
        return str(date)
    try:
        return format_ts(parse_event_ts(date))
    except (TypeError, ValueError):
        return date


def _columns(tbl: str, doc: dict[str, Any]) -> tuple[Any, Any, Any]:
    """The lookup columns (k1, k2, grp) of a document of table `tbl`."""
    source = doc.get("source_id")
    source = source if isinstance(source, str) and source else None
    if tbl in ("tickets", "_archive_outbox"):
        customer = doc.get("customer")
        return source, None, customer if isinstance(customer, str) else None
    if tbl == "customers":
        email = doc.get("email")
        return source, email.lower() if isinstance(email, str) and email else None, None
    if tbl == "purchases":
        return purchase_key(doc.get("customer"), doc.get("product"), doc.get("date")), None, None
    return None, None, None


def _number(key: str) -> int:
    try:
        number = int(key)
    except ValueError:
        return NOT_A_NUMBER
    return number if number >= 0 else NOT_A_NUMBER


def _row(coll: int, tbl: str, key: str, raw: bytes, doc: Any) -> tuple:
    k1, k2, grp = _columns(tbl, doc) if isinstance(doc, dict) else (None, None, None)
    return (coll, tbl, _number(key), key, raw, k1, k2, grp)


def _owner_tag() -> str:
    """`<pid>@<host>`: who made a staging directory, so another host sharing the data
    directory (or another pid namespace) never takes a running import's for a dead one's."""
    host = "".join(c for c in socket.gethostname() if c.isalnum() or c in ".") or "host"
    return f"{os.getpid()}@{host}"


def remove_stale(data_dir: Path) -> None:
    """Staging directories of imports on this host that are no longer running (their pid
    is gone)."""
    here = _owner_tag().split("@", 1)[1]
    for path in data_dir.glob(PREFIX + "*"):
        try:
            pid, _, rest = path.name[len(PREFIX):].partition("@")
            if rest.split("-", 1)[0] != here:
                continue
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except (ValueError, PermissionError, OSError):
            continue  # someone else's, alive, or not ours to judge


class Staging:
    def __init__(self, data_dir: Path):
        remove_stale(data_dir)
        self._dir = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{_owner_tag()}-", dir=data_dir))
        try:
            self.db = sqlite3.connect(self._dir / "docs.sqlite", isolation_level=None)
            self.db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; "
                                  "PRAGMA temp_store=FILE; PRAGMA cache_size=-8000;")
            self.db.executescript(_SCHEMA)
        except BaseException:
            shutil.rmtree(self._dir, ignore_errors=True)
            raise
        self._table_pos: dict[tuple[int, str], int] = {}
        # One bit per hash of every lookup value ever staged: a clear bit means "not held",
        # answered without a query (an import's lookups mostly miss). Fixed size, so the
        # memory does not grow; a false "maybe" (about n / 2^26) costs only the query.
        self._maybe = bytearray(MAYBE_BYTES)

    def _note(self, value: str | None) -> None:
        if value is not None:
            h = hash(value) & MAYBE_MASK
            self._maybe[h >> 3] |= 1 << (h & 7)

    def may_hold(self, value: str) -> bool:
        h = hash(value) & MAYBE_MASK
        return bool(self._maybe[h >> 3] & (1 << (h & 7)))

    def close(self) -> None:
        try:
            self.db.close()
        finally:
            shutil.rmtree(self._dir, ignore_errors=True)

    # -- filling ------------------------------------------------------------------
    def clear(self, coll: int) -> None:
        self.db.execute("DELETE FROM docs WHERE coll = ?", (coll,))
        self.db.execute("DELETE FROM tables WHERE coll = ?", (coll,))
        self._table_pos = {k: v for k, v in self._table_pos.items() if k[0] != coll}

    def _table(self, coll: int, tbl: str) -> None:
        if (coll, tbl) not in self._table_pos:
            pos = len(self._table_pos)
            self._table_pos[(coll, tbl)] = pos
            self.db.execute("INSERT OR IGNORE INTO tables VALUES (?, ?, ?)", (coll, tbl, pos))

    def put(self, coll: int, ops: Iterable[Op]) -> None:
        """Apply journal ops (a None document deletes)."""
        rows, gone = [], []
        for tbl, key, doc in ops:
            key = str(key)
            self._table(coll, tbl)
            if doc is None:
                gone.append((coll, tbl, _number(key), key))
            else:
                rows.append(_row(coll, tbl, key, orjson.dumps(doc), doc))
        self._write(rows, gone)

    def _write(self, rows: list, gone: list) -> None:
        for row in rows:
            self._note(row[5])
            self._note(row[6])
        try:
            self.db.execute("BEGIN")
            try:
                if gone:
                    self.db.executemany("DELETE FROM docs WHERE " + _WHERE_KEY, gone)
                if rows:
                    self.db.executemany(_ROW, rows)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StoreWriteError(
                f"{self._dir}: the import's working copy of the store could not be written "
                f"({exc}); the import stopped. What it wrote to the store so far stands (run it "
                "again to finish); free some space first: it needs about the store's size.") from None

    def put_journal(self, coll: int, chunk: bytes, journal: Path, first_line: int = 1) -> int:
        """Apply the complete lines of journal bytes; a damaged line stops the import with
        StoreCorrupt (the end of the import must never fold a journal without it). Returns
        how many lines were applied."""
        count = 0
        for count, ops in enumerate(journal_entries(chunk), 1):
            if ops is None:
                raise damaged_line(journal, first_line + count - 1)
            try:
                self.put(coll, ops)
            except (TypeError, ValueError):
                raise damaged_line(journal, first_line + count - 1) from None
        return count

    def load_snapshot(self, coll: int, fh, name: str) -> None:
        """The documents of a snapshot file, a line at a time in `snapshot.encode`'s layout,
        as strictly as `snapshot.read` takes it: anything else (another layout, which stock
        TinyDB or an old desk wrote, or damage) is parsed whole, and damage is StoreCorrupt
        with the message a desk that opens the store gives. Nothing half read is kept."""
        if os.fstat(fh.fileno()).st_size == 0:
            raise StoreCorrupt(
                f"{name}: is empty (0 bytes), so it holds no tables, not even empty ones; a store "
                "file is never empty. Nothing was imported; restore it from a backup, then run "
                "`desk check`.")
        if fh.read(len(HEAD)) == HEAD:
            try:
                self._load_lines(coll, fh)
                return
            except (orjson.JSONDecodeError, ValueError, TypeError):
                self.clear(coll)  # parsed whole below, for an error that says where
        fh.seek(0)
        try:
            tables = snapshot_file.read(fh)
        except orjson.JSONDecodeError as exc:
            raise StoreCorrupt(f"{name}: not valid JSON ({exc}). Nothing was imported; "
                               "restore it from a backup, then run `desk check`.") from None
        if not isinstance(tables, dict) or not all(isinstance(t, dict) for t in tables.values()):
            raise StoreCorrupt(f"{name}: expected TinyDB tables (an object of objects).")
        for tbl, docs in tables.items():
            self._table(coll, tbl)
            # Every document as it is (a null one too, for the checks to refuse), never
            # through `put`, where None deletes.
            self._write([_row(coll, tbl, str(k), orjson.dumps(d), d) for k, d in docs.items()], [])

    def _load_lines(self, coll: int, fh) -> None:
        """The lines of `snapshot.encode`: a header `"name":{`, its documents `"key":{...},`
        (the last without the comma), `},` (the last `}`), then `}` and nothing more; any
        other line, or an end before the last `}`, raises ValueError."""
        tbl: str | None = None
        rows: list = []
        done = False
        comma = True  # the table's previous document line ended with a comma (or there is none)
        for line in fh:
            if done:
                if line.strip():
                    raise ValueError("text after the closing brace")
                continue
            if tbl is None:
                if line.rstrip(b"\n") == b"}":
                    done = True
                elif line.startswith(b'"') and line.endswith(b":{\n"):
                    tbl = orjson.loads(line[:-3])
                    if not isinstance(tbl, str):
                        raise ValueError("not a table name")
                    self._table(coll, tbl)
                    comma = True
                else:
                    raise ValueError("not a table header")
                continue
            if line in (b"}\n", b"},\n"):
                tbl = None
                continue
            if not comma:
                raise ValueError("two documents without a comma between them")
            if not line.startswith(b'"') or not line.endswith((b"},\n", b"}\n")):
                raise ValueError("not a document line")
            comma = line.endswith(b",\n")
            member = orjson.loads(b"{" + line.rstrip(b",\n") + b"}")
            if len(member) != 1:
                raise ValueError("not one document")  # (a key twice on one line: parsed whole)
            (key, doc), = member.items()
            # Written again rather than cut from the line: the same bytes for what orjson
            # wrote, and never more than the one document for what it did not.
            rows.append(_row(coll, tbl, key, orjson.dumps(doc), doc))
            if len(rows) >= 2000:
                self._write(rows, [])
                rows = []
        if not done:
            raise ValueError("the file ends before its last brace")
        self._write(rows, [])

    def duplicate_ticket_id(self, coll: int) -> str | None:
        """A ticket `id` two documents of the collection share, if any (quickcheck's check
        across the whole table, which the staging makes without holding every id)."""
        row = self.db.execute(
            "SELECT i FROM (SELECT json_extract(CAST(doc AS TEXT), '$.id') AS i FROM docs "
            "WHERE coll = ? AND tbl = 'tickets') WHERE i IS NOT NULL GROUP BY i HAVING COUNT(*) > 1 "
            "LIMIT 1", (coll,)).fetchone()
        return row[0] if row else None

    # -- reads ------------------------------------------------------------------------
    def doc(self, coll: int, tbl: str, key: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT doc FROM docs WHERE " + _WHERE_KEY,
                              (coll, tbl, _number(key), key)).fetchone()
        return orjson.loads(row[0]) if row else None

    def has(self, coll: int, tbl: str, key: str) -> bool:
        return self.db.execute("SELECT 1 FROM docs WHERE " + _WHERE_KEY,
                               (coll, tbl, _number(key), key)).fetchone() is not None

    def keys(self, coll: int, tbl: str) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT key FROM docs WHERE coll = ? AND tbl = ? ORDER BY num, key", (coll, tbl))]

    def max_number(self, coll: int, tbl: str) -> int:
        row = self.db.execute("SELECT MAX(num) FROM docs WHERE coll = ? AND tbl = ?",
                              (coll, tbl)).fetchone()
        return max(row[0] or 0, 0)

    def by_k1(self, tbl: str, value: str) -> list[tuple[int, str, str]]:
        """(coll, tbl, key) of the documents of `tbl` (or of the outbox, for tickets) whose
        first lookup column is `value`."""
        if not self.may_hold(value):
            return []
        tbls = (tbl, "_archive_outbox") if tbl == "tickets" else (tbl,)
        return self.db.execute(
            f"SELECT coll, tbl, key FROM docs WHERE tbl IN ({','.join('?' * len(tbls))}) AND k1 = ?",
            (*tbls, value)).fetchall()

    def customer(self, key: str) -> str | None:
        """The doc key of the customer whose source id, or else whose email (lower case), is
        `key` (of several, the last made)."""
        if not self.may_hold(key):
            return None
        row = self.db.execute(
            "SELECT key FROM (SELECT 1 AS o, num, key FROM docs WHERE tbl = 'customers' AND k1 = ?1 "
            "UNION ALL SELECT 2, num, key FROM docs WHERE k2 = ?1) ORDER BY o, num DESC LIMIT 1",
            (key,)).fetchone()
        return row[0] if row else None

    def table_names(self, coll: int) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT tbl FROM tables WHERE coll = ? ORDER BY pos", (coll,))]

    def raw_docs(self, coll: int, tbl: str) -> Iterator[tuple[str, bytes]]:
        """(key, orjson bytes) of a table's documents, in key order."""
        cursor = self.db.execute("SELECT key, doc FROM docs WHERE coll = ? AND tbl = ? "
                                 "ORDER BY num, key", (coll, tbl))
        while rows := cursor.fetchmany(1000):
            yield from rows

    def docs(self, coll: int, tbl: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for key, raw in self.raw_docs(coll, tbl):
            yield key, orjson.loads(raw)

    def by_customer(self, coll: int, tbl: str) -> Iterator[tuple[str, str, bytes]]:
        """(customer, key, doc) of the documents that name a customer, grouped by customer."""
        self.db.execute("CREATE INDEX IF NOT EXISTS docs_grp ON docs (coll, tbl, grp, num, key) "
                        "WHERE grp IS NOT NULL")  # at the end, once: cheaper than kept up
        cursor = self.db.execute("SELECT grp, key, doc FROM docs WHERE coll = ? AND tbl = ? AND "
                                 "grp IS NOT NULL ORDER BY grp, num, key", (coll, tbl))
        while rows := cursor.fetchmany(1000):
            yield from rows

    def numbers(self, coll: int, tbl: str) -> Iterator[int]:
        cursor = self.db.execute("SELECT num FROM docs WHERE coll = ? AND tbl = ? ORDER BY num",
                                 (coll, tbl))
        while rows := cursor.fetchmany(5000):
            for (num,) in rows:
                yield num

    def snapshot_pieces(self, coll: int) -> Iterator[bytes]:
        """The bytes of a snapshot of the collection, in `snapshot.encode`'s layout."""
        yield HEAD
        names = self.table_names(coll)
        for t, name in enumerate(names):
            yield orjson.dumps(name) + b":{\n"
            previous: bytes | None = None
            for key, raw in self.raw_docs(coll, name):
                if previous is not None:
                    yield previous + b",\n"
                previous = orjson.dumps(key) + b":" + raw
            if previous is not None:
                yield previous + b"\n"
            yield b"},\n" if t < len(names) - 1 else b"}\n"
        yield b"}\n"
