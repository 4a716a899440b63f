"""The same operations on plain TinyDB (JSONStorage) and on sqlite3, and on desk's core.

Each function here runs in a child process (`bench_ui.py --child ...`), so that
every figure comes from a fresh interpreter and its RSS is its own.

The sqlite3 database is what a straightforward sqlite design of desk would hold:
tickets as columns (indexes on status and customer), messages in their own table,
WAL journal; a durable write is `synchronous=FULL`.
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
import time
from pathlib import Path
from typing import Any, Callable

OPEN = ("new", "open", "pending", "on_hold")
RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}

TICKET_COLS = ("id", "num", "status", "priority", "prio_rank", "channel", "subject", "customer",
               "product", "assignee", "tags", "created", "updated", "first_reply_due",
               "resolution_due", "first_replied", "solved", "issue_key", "rev", "doc")


# -- building the sqlite3 copy ------------------------------------------------------
def build_sqlite(store: Path, target: Path) -> None:
    """All tickets (active and archive) of a desk store in one sqlite3 file."""
    import orjson

    tables = orjson.loads((store / "store.json").read_bytes())
    tickets = dict(tables.get("tickets", {}))
    archive = store / "archive.json"
    if archive.exists():
        tickets.update(orjson.loads(archive.read_bytes())["tickets"])
    tmp = target.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript("""
        CREATE TABLE tickets (id TEXT PRIMARY KEY, num INTEGER, status TEXT, priority TEXT,
            prio_rank INTEGER, channel TEXT, subject TEXT, customer TEXT, product TEXT,
            assignee TEXT, tags TEXT, created TEXT, updated TEXT, first_reply_due TEXT,
            resolution_due TEXT, first_replied TEXT, solved TEXT, issue_key TEXT, rev INTEGER,
            doc TEXT);
        CREATE TABLE messages (ticket_id TEXT, seq INTEGER, id TEXT, kind TEXT, author TEXT,
            author_kind TEXT, body TEXT, created TEXT, doc TEXT);
        CREATE TABLE customers (id TEXT PRIMARY KEY, name TEXT, company TEXT, email TEXT,
            language TEXT, region TEXT, doc TEXT);
        CREATE TABLE products (id TEXT PRIMARY KEY, name TEXT, category TEXT, doc TEXT);
        CREATE TABLE purchases (id TEXT PRIMARY KEY, customer TEXT, product TEXT, date TEXT,
            doc TEXT);
    """)
    rows, msgs = [], []
    for doc in tickets.values():
        rest = {k: v for k, v in doc.items() if k != "messages"}
        rows.append((doc["id"], int(doc["id"].split("-")[1]), doc.get("status"),
                     doc.get("priority"), RANK.get(doc.get("priority"), 4), doc.get("channel"),
                     doc.get("subject"), doc.get("customer"), doc.get("product"),
                     doc.get("assignee"), json.dumps(doc.get("tags", [])), doc.get("created"),
                     doc.get("updated"), doc.get("first_reply_due"), doc.get("resolution_due"),
                     doc.get("first_replied"), doc.get("solved"), doc.get("issue_key"),
                     doc.get("_rev", 0), json.dumps(rest)))
        for n, m in enumerate(doc.get("messages", [])):
            msgs.append((doc["id"], n, m.get("id"), m.get("kind"), m.get("author"),
                         m.get("author_kind"), m.get("body"), m.get("created"), json.dumps(m)))
    db.executemany(f"INSERT INTO tickets VALUES ({','.join('?' * len(TICKET_COLS))})", rows)
    db.executemany("INSERT INTO messages VALUES (?,?,?,?,?,?,?,?,?)", msgs)
    db.executemany("INSERT INTO customers VALUES (?,?,?,?,?,?,?)", [
        (c["id"], c.get("name"), c.get("company"), c.get("email"), c.get("language"),
         c.get("region"), json.dumps(c)) for c in tables.get("customers", {}).values()])
    db.executemany("INSERT INTO products VALUES (?,?,?,?)", [
        (p["id"], p.get("name"), p.get("category"), json.dumps(p))
        for p in tables.get("products", {}).values()])
    db.executemany("INSERT INTO purchases VALUES (?,?,?,?,?)", [
        (p["id"], p.get("customer"), p.get("product"), p.get("date"), json.dumps(p))
        for p in tables.get("purchases", {}).values()])
    db.executescript("""
        CREATE INDEX tickets_status ON tickets(status);
        CREATE INDEX tickets_customer ON tickets(customer);
        CREATE INDEX messages_ticket ON messages(ticket_id, seq);
        CREATE INDEX purchases_customer ON purchases(customer);
    """)
    db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    tmp.rename(target)


# -- the queue's sort: SLA (earliest running due first), priority, age ----------------
def next_due(doc: dict[str, Any]) -> str | None:
    running = [d for d, done in ((doc.get("first_reply_due"), doc.get("first_replied")),
                                 (doc.get("resolution_due"), doc.get("solved"))) if d and not done]
    return min(running) if running else None


def tinydb_sort_key(doc: dict[str, Any]) -> tuple:
    due = next_due(doc)
    return (due is None, due or "", RANK.get(doc.get("priority"), 4), doc.get("created", ""),
            doc.get("id", ""))


_DUE = ("(CASE WHEN t.first_replied IS NULL THEN t.first_reply_due END)",
        "(CASE WHEN t.solved IS NULL THEN t.resolution_due END)")
NEXT_DUE_SQL = (f"CASE WHEN {_DUE[0]} IS NULL THEN {_DUE[1]} WHEN {_DUE[1]} IS NULL THEN {_DUE[0]} "
                f"ELSE min({_DUE[0]}, {_DUE[1]}) END")
QUEUE_SQL = f"""
    SELECT t.id, t.subject, c.name, t.priority, t.status, {NEXT_DUE_SQL} AS due, t.created,
           t.assignee
    FROM tickets t LEFT JOIN customers c ON c.id = t.customer
    WHERE t.status IN ({', '.join(repr(s) for s in OPEN)}) {{extra}}
    ORDER BY due IS NULL, due, t.prio_rank, t.created, t.id"""
FILTER_SQL = QUEUE_SQL.format(extra="""AND (t.id LIKE :p OR t.subject LIKE :p OR c.name LIKE :p
    OR c.company LIKE :p OR c.email LIKE :p OR t.tags LIKE :p OR t.product IN
    (SELECT id FROM products WHERE name LIKE :p OR category LIKE :p))""")


def sqlite_connect(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    db.execute("PRAGMA synchronous=FULL")  # WAL + FULL: fsync at every commit
    return db


# -- start: open + the first sorted query of the open tickets ------------------------
def start_tinydb(path: str) -> int:
    from tinydb import Query, TinyDB

    db = TinyDB(path)
    found = db.table("tickets").search(Query().status.one_of(OPEN))
    found.sort(key=tinydb_sort_key)
    return len(found)


def start_sqlite(path: str) -> int:
    db = sqlite_connect(path)
    return len(db.execute(QUEUE_SQL.format(extra="")).fetchall())


def start_desk_core(path: str) -> int:
    """desk without its UI: open the store and select the "All open" view, as the first
    screen does (from the queue summary when the store has one; the store itself is read
    after that, in the app's poll worker)."""
    from datetime import datetime, timezone

    from tui.core.filter import parse
    from tui.core.queue import QueueIndex
    from tui.core.queue_views import VIEWS_BY_KEY, ViewContext, select
    from tui.core.store import TinyDBStore

    store = TinyDBStore(Path(path), agent="bench", defer_load=True)
    preview = store.take_queue_preview()
    if preview is None:
        return len(desk_select(store, "").rows)
    rows = QueueIndex().seed(preview.entries, preview.names)
    ctx = ViewContext.at("bench", datetime.now(timezone.utc))
    return len(select(rows, VIEWS_BY_KEY["open"], parse(""), ctx).rows)


# -- desk's core, as the UI calls it -------------------------------------------------
def open_desk(path: str):
    from tui.core.store import TinyDBStore

    return TinyDBStore(Path(path), agent="bench")


_INDEX: Any = None


def desk_select(store, text: str):
    """What QueuePanel.reload does: docs, customers, products -> rows -> view + filter."""
    from datetime import datetime, timezone

    from tinydb import Query

    from tui.core.filter import parse
    from tui.core.queue import QueueIndex, by_id
    from tui.core.queue_views import VIEWS_BY_KEY, ViewContext, select

    global _INDEX
    if _INDEX is None:
        _INDEX = QueueIndex()
    docs = store.ticket_docs()
    everything = Query().noop()
    rows = _INDEX.update(docs, by_id(store.query("customers", everything)),
                         by_id(store.query("products", everything)))
    ctx = ViewContext.at("bench", datetime.now(timezone.utc))
    return select(rows, VIEWS_BY_KEY["open"], parse(text), ctx)


def desk_open_ticket(store, ticket_id: str) -> None:
    """The data the detail and customer panes need: the ticket, its customer's history, loyalty."""
    from datetime import datetime, timezone

    from tui.core.loyalty import loyalty

    ticket = store.get_ticket(ticket_id)
    history = store.customer_history(ticket.customer)
    loyalty(history.customer, history.purchases, history.tickets, datetime.now(timezone.utc))


# -- the operations ----------------------------------------------------------------
def timed(items: list, op: Callable[[Any], Any], budget: float, at_least: int) -> list[float]:
    """Run `op` on items in turn; stop after `budget` seconds (but after at least `at_least`)."""
    out: list[float] = []
    start = time.perf_counter()
    for n, item in enumerate(items):
        if n >= at_least and time.perf_counter() - start > budget:
            break
        t0 = time.perf_counter()
        op(item)
        out.append(time.perf_counter() - t0)
    return out


def ops(backend: str, path: str, ids: list[str], prefixes: list[str], needles: list[str],
        budget: float) -> dict[str, Any]:
    """get by id, open a ticket, the queue filter per keystroke, full-text search."""
    res: dict[str, Any] = {}
    t0 = time.perf_counter()
    if backend == "desk":
        store = open_desk(path)
        res["open_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        desk_open_ticket(store, ids[0])  # the first one also loads the archive
        res["first_open_s"] = time.perf_counter() - t0
        res["get"] = timed(ids[1:], store.get_ticket, budget, 3)
        res["open"] = timed(ids[1:], lambda i: desk_open_ticket(store, i), budget, 3)
        t0 = time.perf_counter()
        desk_select(store, "")  # the queue as first shown (rows built)
        res["queue_s"] = time.perf_counter() - t0
        res["filter"] = timed(prefixes, lambda p: desk_select(store, p), budget, 3)
        # Search everywhere, as the app searches: the shared index (search_index.py), which
        # the work copy's last desk left current; the first search of this process opens it.
        t0 = time.perf_counter()
        store.search_everywhere(needles[0])
        res["search_cold_s"] = time.perf_counter() - t0
        res["search"] = timed(needles[1:] + needles, store.search_everywhere, budget, 3)
    elif backend == "tinydb":
        from tinydb import Query, TinyDB

        db = TinyDB(path)  # JSONStorage: every call reads the whole file, as stock TinyDB does
        tickets, purchases = db.table("tickets"), db.table("purchases")
        res["open_s"] = time.perf_counter() - t0
        q = Query()

        def get(ticket_id: str):
            return tickets.get(doc_id=int(ticket_id.split("-")[1]))

        def open_ticket(ticket_id: str) -> None:
            doc = get(ticket_id)
            tickets.search(q.customer == doc["customer"])
            purchases.search(q.customer == doc["customer"])

        names = {c["id"]: " ".join(str(c.get(k) or "") for k in ("name", "company", "email"))
                 for c in db.table("customers").all()}  # once: customers change rarely

        def filt(text: str) -> None:
            needle = text.lower()

            def matches(d: dict[str, Any]) -> bool:
                return d.get("status") in OPEN and needle in " ".join(
                    (d.get("id", ""), d.get("subject", ""), names.get(d.get("customer"), ""),
                     " ".join(d.get("tags", [])), d.get("product") or "")).lower()

            tickets.search(matches).sort(key=tinydb_sort_key)

        def search(needle: str) -> None:
            rx = re.escape(needle)
            tickets.clear_cache()
            tickets.search(q.subject.search(rx, flags=re.IGNORECASE)
                           | q.messages.any(q.body.search(rx, flags=re.IGNORECASE)))

        res["get"] = timed(ids[1:], get, budget, 3)
        res["open"] = timed(ids[1:], open_ticket, budget, 3)
        res["filter"] = timed(prefixes, filt, budget, 2)
        res["search"] = timed(needles, search, budget, 2)
    else:
        db = sqlite_connect(path)
        res["open_s"] = time.perf_counter() - t0

        def get(ticket_id: str):
            row = db.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
            msgs = db.execute("SELECT * FROM messages WHERE ticket_id = ? ORDER BY seq",
                              (ticket_id,)).fetchall()
            return row, msgs

        def open_ticket(ticket_id: str) -> None:
            row, _ = get(ticket_id)
            customer = row[7]
            db.execute("SELECT * FROM customers WHERE id = ?", (customer,)).fetchone()
            db.execute("SELECT * FROM tickets WHERE customer = ? ORDER BY created DESC",
                       (customer,)).fetchall()
            db.execute("SELECT * FROM purchases WHERE customer = ?", (customer,)).fetchall()

        def filt(text: str) -> None:
            db.execute(FILTER_SQL, {"p": f"%{text}%"}).fetchall()

        def search(needle: str) -> None:
            like = f"%{needle}%"
            db.execute("SELECT id FROM tickets WHERE subject LIKE ? UNION "
                       "SELECT ticket_id FROM messages WHERE body LIKE ?", (like, like)).fetchall()

        res["get"] = timed(ids[1:], get, budget, 3)
        res["open"] = timed(ids[1:], open_ticket, budget, 3)
        res["filter"] = timed(prefixes, filt, budget, 3)
        res["search"] = timed(needles, search, budget, 3)
    return res


# -- sqlite writers (desk's and TinyDB's come from bench_store) -------------------------
def sqlite_writer(path: str, updates: int, seed: int, go: str) -> dict[str, Any]:
    from bench_store import maxrss_mb, wait_go  # type: ignore[import-not-found]

    db = sqlite_connect(path)
    db.execute("PRAGMA busy_timeout=30000")
    ids = [r[0] for r in db.execute(
        f"SELECT id FROM tickets WHERE status IN ({','.join('?' * len(OPEN))})", OPEN)]
    rng = random.Random(seed)
    wait_go(go, seed)
    lat = []
    t_start = time.perf_counter()
    for i in range(updates):
        tid = rng.choice(ids)
        t0 = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        db.execute("UPDATE tickets SET issue_key = ?, rev = rev + 1 WHERE id = ?",
                   (f"b{seed}-{i}", tid))
        db.execute("COMMIT")
        lat.append(time.perf_counter() - t0)
    wall = time.perf_counter() - t_start
    db.close()
    return {"lat": lat, "wall": wall, "conflicts": 0, "rss_mb": maxrss_mb()}
