"""Search everywhere: a full-text index of every ticket, active and archived, on disk.

`search-index.sqlite` sits in the store directory and is derived from the store, never its
source of truth. It is an SQLite FTS5 table over each ticket's subject and thread, folded
(`textfold.fold`: case, accents and ø/ß-like letters), so `vanzari` finds `vânzări` and a
word is found by its beginning. Every process shares it:

- **Staleness.** Its `meta` table records, for the active set and the archive, the snapshot
  it was derived from (`snapshot.file_stamp`) and how far into the journal it has read
  (inode and offset). `sync()` reads only the journal lines appended since, under the
  store's shared lock, so a change costs O(change); a new snapshot (a compaction) rebuilds
  that part from the store.
- **Crashes and damage.** A missing, damaged or foreign file (or a symbolic link, or not a
  regular file) is rebuilt into a temp file and renamed over it, so a kill -9 leaves the
  old index or none; increments are SQLite transactions.
- **Several writers.** Increments run in `BEGIN IMMEDIATE` and re-read `meta` inside it,
  so two processes never apply the same lines twice.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from .fileio import FILE_MODE, open_read
from .oserror import describe
from .store.errors import StoreError
from .store.tinydb.journal import JournaledCollection, journal_entries
from .store.tinydb.names import OUTBOX
from .store.tinydb.snapshot import file_stamp
from .textfold import fold

INDEX_FILE = "search-index.sqlite"
FORMAT = "desk-search-1"
PARTS = ("active", "archive")
SNIPPET_WORDS = 12


@dataclass(frozen=True, slots=True)
class SearchHit:
    ticket_id: str
    status: str
    subject: str
    archived: bool
    snippet: str  # raw ticket text: pass it through safetext before a terminal


class IndexUnusable(Exception):
    pass


def ticket_text(doc: dict[str, Any]) -> str:
    messages = doc.get("messages") or []
    bodies = [m.get("body", "") for m in messages if isinstance(m, dict)]
    return "\n".join([str(doc.get("subject", ""))] + [b for b in bodies if isinstance(b, str)])


def match_query(text: str) -> tuple[str, list[str]]:
    """The FTS5 query for what the user typed (every word, each as a prefix) and its words."""
    words = [w for w in "".join(c if c.isalnum() else " " for c in fold(text)).split() if w]
    return " AND ".join(f'"{w}"*' for w in words), words


def snippet(raw: str, words: list[str]) -> str:
    """About SNIPPET_WORDS words of `raw` around the first one that starts like a query word."""
    parts = raw.split()
    at = next((i for i, p in enumerate(parts)
               if any(fold("".join(c for c in p if c.isalnum())).startswith(w) for w in words)), 0)
    start = max(0, at - SNIPPET_WORDS // 3)
    out = " ".join(parts[start:start + SNIPPET_WORDS])
    return ("…" if start else "") + out + ("…" if start + SNIPPET_WORDS < len(parts) else "")


_SCHEMA = (
    "CREATE TABLE meta (part TEXT PRIMARY KEY, stamp TEXT, ino INTEGER, pos INTEGER)",
    "CREATE TABLE heads (doc_id INTEGER PRIMARY KEY, ticket_id TEXT, status TEXT, "
    "subject TEXT, part TEXT)",
    "CREATE VIRTUAL TABLE fts USING fts5(folded, raw UNINDEXED, "
    "tokenize = 'unicode61 remove_diacritics 2')",
    "CREATE TABLE format (name TEXT)",
)


_QUERY = ("SELECT h.ticket_id, h.status, h.subject, h.part, f.raw FROM fts AS f "
          "JOIN heads AS h ON h.doc_id = f.rowid WHERE fts MATCH ? "
          "ORDER BY f.rowid DESC LIMIT ?")


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


class SearchIndex:
    """The index of one store (a TinyDBStore; see its `_active`, `_archive`, `_lock`)."""

    def __init__(self, store: Any):
        self.store = store
        self.path = Path(store.data_dir) / INDEX_FILE
        self._db: sqlite3.Connection | None = None
        self._ino: int | None = None
        self.rebuilds = 0  # whole-file rebuilds done by this process (tests read it)
        self._mutex = threading.Lock()  # one connection, used by one thread at a time

    # -- opening -----------------------------------------------------------------------
    def _connect(self, path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA trusted_schema = OFF")
        return db

    def _open(self) -> sqlite3.Connection:
        """The index file, verified; reopened when another process replaced it."""
        if not _is_regular(self.path):  # missing, a link, a FIFO...: never opened
            raise IndexUnusable("missing or not a regular file")
        ino = os.lstat(self.path).st_ino
        if self._db is not None and ino == self._ino:
            return self._db
        self.close()
        db = self._connect(self.path)
        try:
            if db.execute("SELECT name FROM format").fetchall() != [(FORMAT,)]:
                raise IndexUnusable("not an index this desk wrote")
            db.execute("SELECT count(*) FROM meta").fetchone()
        except (sqlite3.DatabaseError, IndexUnusable):
            db.close()
            raise IndexUnusable("damaged") from None
        self._db, self._ino = db, ino
        return db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
        self._db = self._ino = None

    # -- what the store holds now ----------------------------------------------------
    def _collection(self, part: str) -> Any:
        return self.store._active if part == "active" else self.store._archive

    def _position(self, part: str) -> tuple[str, int | None, int]:
        coll = self._collection(part)
        stamp = file_stamp(coll.snapshot)
        try:
            st = os.stat(coll.journal)
            return repr(stamp), st.st_ino, st.st_size
        except FileNotFoundError:
            return repr(stamp), None, 0

    def _loaded_docs(self, part: str) -> tuple[Iterable[tuple[str, dict | None, str]], tuple]:
        """Every ticket of `part` with where it belongs, and the position it is true at,
        under the shared lock. The tables are copied there (documents are never changed in
        place) and read one document at a time afterwards: the active set's on demand, the
        archive's from a reading of its own, on demand too, unless the store holds it."""
        store = self.store
        if part == "archive" and not store._archive_loaded:
            # Not under the store's mutex: the scan takes seconds at 100k; its load holds the
            # shared lock while it opens the files, so what it read is one position.
            coll = JournaledCollection(store._archive.snapshot, store._archive.journal,
                                       store._lock, projectors={})
            coll.load()
            position = (repr(coll.stamp), coll._journal_ino, coll._pos)
            tables = [(coll.tables.get("tickets", {}), part)]
        else:
            with store._mutex, store._lock.shared():
                coll = self._collection(part)
                coll.refresh()
                position = (repr(file_stamp(coll.snapshot)), getattr(coll, "_journal_ino", None),
                            coll._pos)
                tables = [(coll.tables.get("tickets", {}).copy(), part)]
                if part == "active":
                    tables.append((coll.tables.get(OUTBOX, {}).copy(), "archive"))
        docs = ((d, table[d], where) for table, where in tables for d in table)
        return docs, position

    # -- writing -----------------------------------------------------------------------
    @staticmethod
    def _put(db: sqlite3.Connection, doc_id: str, doc: dict | None, part: str) -> None:
        try:
            key = int(doc_id)
        except ValueError:
            return  # a damaged store (desk check reports it)
        db.execute("DELETE FROM fts WHERE rowid = ?", (key,))
        db.execute("DELETE FROM heads WHERE doc_id = ?", (key,))
        if not isinstance(doc, dict):
            return
        raw = ticket_text(doc)
        db.execute("INSERT INTO fts (rowid, folded, raw) VALUES (?, ?, ?)", (key, fold(raw), raw))
        db.execute("INSERT INTO heads VALUES (?, ?, ?, ?, ?)",
                   (key, str(doc.get("id", "")), str(doc.get("status", "")),
                    str(doc.get("subject", "")), part))

    def _fill_part(self, db: sqlite3.Connection, part: str) -> None:
        docs, (stamp, ino, pos) = self._loaded_docs(part)
        owned = ("active",) if part == "active" else ("archive",)
        for (key,) in db.execute(f"SELECT doc_id FROM heads WHERE part IN ({','.join('?' * len(owned))})",
                                 owned).fetchall():
            db.execute("DELETE FROM fts WHERE rowid = ?", (key,))
            db.execute("DELETE FROM heads WHERE doc_id = ?", (key,))
        for doc_id, doc, where in docs:
            self._put(db, doc_id, doc, where)
        db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?, ?, ?)", (part, stamp, ino, pos))

    def rebuild(self) -> None:
        """Derive the whole index from the store into a temp file, then rename it in place."""
        self.close()
        # Not fileio's TEMP_SUFFIX: a desk opening the store removes those, and another
        # process may be building this one meanwhile, outside the store lock. The name is
        # the process's and the thread's: two desks in one process build at once too.
        tmp = self.path.with_name(
            f".{INDEX_FILE}.{os.getpid()}.{threading.get_ident()}.building")
        for leftover in (tmp, Path(f"{tmp}-journal")):
            leftover.unlink(missing_ok=True)
        old = os.umask(0o007)
        try:
            db = self._connect(tmp)
        finally:
            os.umask(old)
        try:
            for statement in _SCHEMA:
                db.execute(statement)
            db.execute("INSERT INTO format VALUES (?)", (FORMAT,))
            db.execute("BEGIN")
            for part in PARTS:
                self._fill_part(db, part)
            db.execute("COMMIT")
            db.close()
            os.chmod(tmp, FILE_MODE)
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
        except BaseException:
            db.close()
            tmp.unlink(missing_ok=True)
            raise
        self.rebuilds += 1

    def _catch_up(self, db: sqlite3.Connection, part: str) -> bool:
        """Apply the journal lines since the recorded position; False if the part must be
        derived again (a compaction, a replaced or shortened journal)."""
        row = db.execute("SELECT stamp, ino, pos FROM meta WHERE part = ?", (part,)).fetchone()
        coll = self._collection(part)
        with self.store._lock.shared():
            stamp, ino, size = self._position(part)
            if row is None or row[0] != stamp:
                return False
            if ino is None:
                return row[2] == 0
            if row[1] not in (None, ino) or size < row[2]:
                return False
            if size == row[2]:
                return True
            try:
                with open_read(coll.journal) as fh:
                    if os.fstat(fh.fileno()).st_ino != ino:
                        return False
                    fh.seek(row[2])
                    chunk = fh.read()
            except FileNotFoundError:
                return False
        end = chunk.rfind(b"\n") + 1
        for ops in journal_entries(chunk):
            if ops is None:
                return False  # a damaged line: the store refuses it; derive from the store
            for table, doc_id, doc in ops:
                if table == "tickets":
                    self._put(db, str(doc_id), doc, part)
                elif table == OUTBOX and part == "active" and doc is not None:
                    self._put(db, str(doc_id), doc, "archive")
        db.execute("UPDATE meta SET ino = ?, pos = ? WHERE part = ?", (ino, row[2] + end, part))
        return True

    def find(self, text: str, limit: int = 50) -> list[SearchHit]:
        """`sync()` then `search()`, one thread at a time. A disk that cannot hold the index
        (read-only, full) raises a StoreError naming the file."""
        with self._mutex, self._as_store_error():
            self._sync_once_more()
            return self.search(text, limit)

    def warm(self) -> None:
        with self._mutex, self._as_store_error():
            self._sync_once_more()

    def _sync_once_more(self) -> None:
        """`sync()`, again on a fresh connection if another process renamed its rebuild over
        the file meanwhile (SQLite then calls the one we had read-only)."""
        try:
            self.sync()
        except sqlite3.OperationalError:
            self.close()
            self.sync()

    @contextmanager
    def _as_store_error(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: the search index cannot be written ({exc}); "
                             "search needs a writable data directory") from None
        except StoreError:
            raise
        except IndexUnusable as exc:  # still unusable right after a rebuild
            raise StoreError(f"{self.path}: the search index is {exc}; "
                             "it is built again at the next search") from None
        except OSError as exc:
            raise StoreError(f"the search index cannot be written: {describe(exc)}") from None

    def sync(self) -> None:
        """Bring the index up to the store's files (building it the first time)."""
        try:
            db = self._open()
        except IndexUnusable:
            self.rebuild()
            db = self._open()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                for part in PARTS:
                    if not self._catch_up(db, part):
                        self._fill_part(db, part)
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        except sqlite3.OperationalError:
            raise  # busy or locked past the timeout, a full disk: not damage
        except sqlite3.DatabaseError:
            self.rebuild()  # damaged under us: derive it again

    # -- reading -----------------------------------------------------------------------
    def search(self, text: str, limit: int = 50) -> list[SearchHit]:
        """Tickets whose subject or thread has every word typed (each as a prefix), newest
        first. Call `sync()` first to see the latest changes."""
        query, words = match_query(text)
        if not query:
            return []
        try:
            rows = self._open().execute(_QUERY, (query, limit)).fetchall()
        except sqlite3.OperationalError:
            raise
        except (sqlite3.DatabaseError, IndexUnusable):
            self.rebuild()  # damaged since the sync: derive it again, then ask once more
            rows = self._open().execute(_QUERY, (query, limit)).fetchall()
        return [SearchHit(tid, status, subject, part == "archive", snippet(raw, words))
                for tid, status, subject, part, raw in rows]
