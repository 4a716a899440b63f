"""The TinyDB store against issue 2's storage requirements, on real files."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson
import pytest

from tui.core import eventlog
from tui.core.eventlog import ReadStats, read_events
from tui.core.fileio import crc_line, parse_crc_line
from tui.core.models import SCHEMA_VERSION, RecordError, Ticket
from tui.core.store import (
    ConflictError,
    NotFound,
    StoreCorrupt,
    StoreError,
    StoreWriteError,
    TinyDBStore,
)
from tui.core.store.tinydb import journal as journal_mod
from tui.core.store.tinydb import store as tinydb_store

TS = "2025-06-01T09:00:00.000Z"


# -- helpers ------------------------------------------------------------------
def seed(data: Path, *, tickets: dict | None = None, archive: dict | None = None,
         meta: dict | None = None) -> Path:
    """Write a store in the bulk format: plain TinyDB JSON, as `desk demo` does."""
    data.mkdir(mode=0o770, exist_ok=True)
    tables = {
        "_meta": {"1": meta if meta is not None else {"schema": SCHEMA_VERSION}},
        "customers": {
            "1": {"id": "C-1", "name": "Håkon Bråten", "language": "nb-NO", "region": "Nordics",
                  "customer_since": "2020-01-01T00:00:00.000Z"},
            "2": {"id": "C-2", "name": "Jiří Dvořák", "language": "cs", "region": "Central Europe",
                  "customer_since": "2021-01-01T00:00:00.000Z"},
        },
        "products": {"1": {"id": "P-1", "name": "Router X", "category": "networking"}},
        "purchases": {"1": {"id": "O-1", "customer": "C-1", "product": "P-1", "date": TS,
                            "amount": 189.0, "currency": "EUR", "channel": "online"}},
        "tickets": tickets or {},
    }
    (data / "store.json").write_bytes(orjson.dumps(tables))
    if archive is not None:
        (data / "archive.json").write_bytes(orjson.dumps({"tickets": archive}))
    return data


def ticket_doc(number: int, status: str = "open", **extra) -> dict:
    return {"id": f"T-{number}", "customer": "C-1", "subject": f"Ticket {number}",
            "status": status, "created": TS, "updated": TS, "_rev": 1, **extra}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return seed(tmp_path / "data")


@pytest.fixture
def store(data: Path):
    s = TinyDBStore(data, agent="alice")
    yield s
    s.close()


def read_collection(data: Path, name: str) -> tuple[dict, list[int], bool]:
    """An independent reader: snapshot + journal. Returns (tables, bad line numbers, torn)."""
    snap = data / f"{name}.json"
    tables = orjson.loads(snap.read_bytes()) if snap.exists() and snap.stat().st_size else {}
    journal = data / f"{name}.journal"
    raw = journal.read_bytes() if journal.exists() else b""
    torn = bool(raw) and not raw.endswith(b"\n")
    bad = []
    for n, line in enumerate(raw[: raw.rfind(b"\n") + 1].splitlines(), 1):
        try:
            entry = parse_crc_line(line, require_crc=True)
        except ValueError:
            bad.append(n)
            continue
        for table, doc_id, doc in entry["ops"]:
            docs = tables.setdefault(table, {})
            if doc is None:
                docs.pop(doc_id, None)
            else:
                docs[doc_id] = doc
    return tables, bad, torn


def events(data: Path) -> list[dict]:
    return read_events([data / "events.jsonl"]) if (data / "events.jsonl").exists() else []


def file_bytes(data: Path) -> dict[str, bytes]:
    """Every store file's bytes (the empty `.lock` aside: opening may create it)."""
    return {p.name: p.read_bytes() for p in sorted(data.iterdir())
            if p.is_file() and p.name != ".lock"}


def new_ticket(store: TinyDBStore, **kw) -> Ticket:
    kw.setdefault("customer", "C-1")
    kw.setdefault("subject", "Router drops Wi-Fi")
    kw.setdefault("body", "Since the update the router reboots every hour.")
    return store.insert_ticket(**kw)


# -- round trip ---------------------------------------------------------------
def test_round_trip_model_store_model(data: Path, store: TinyDBStore):
    due = datetime(2026, 1, 5, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    t = new_ticket(store, channel="phone", priority="high", product="P-1", assignee="alice",
                   group="L1", tags=["wifi", " router "], issue_key="wifi-drop",
                   first_reply_due=due)
    assert t.id == "T-1" and t.rev == 1
    assert t.first_reply_due == datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc)
    assert t.tags == ["router", "wifi"]
    assert store.get_ticket("T-1") == t
    other = TinyDBStore(data)
    try:
        again = other.get_ticket("T-1")
    finally:
        other.close()
    assert again == t
    assert again.model_dump() == t.model_dump()
    assert again.created.tzinfo is timezone.utc
    # The stored document is exactly the model's document.
    tables, bad, torn = read_collection(data, "store")
    assert tables["tickets"]["1"] == t.to_doc() and not bad and not torn
    # Updated fields round-trip as well.
    t2 = store.update_ticket("T-1", {"status": "pending", "subject": "Router drops Wi-Fi (fw 2.1)"},
                             t.rev)
    assert t2.rev == 2 and store.get_ticket("T-1") == t2
    reopened = TinyDBStore(data)
    assert reopened.get_ticket("T-1") == t2
    reopened.close()


def test_reads_query_customers_products(data: Path, store: TinyDBStore):
    from tinydb import Query

    new_ticket(store, priority="urgent")
    new_ticket(store, customer="C-2", subject="Faktura chybí", body="Nepřišla mi faktura.")
    assert [d["id"] for d in store.query("tickets", Query().priority == "urgent")] == ["T-1"]
    assert store.search("FAKTURA") == ["T-2"] and store.search("chybi") == ["T-2"]
    assert store.get_customer("C-2").name == "Jiří Dvořák"
    assert [p.id for p in store.products()] == ["P-1"]
    assert {c.id for c in store.customers()} == {"C-1", "C-2"}
    with pytest.raises(NotFound):
        store.get_ticket("T-99")
    with pytest.raises(NotFound):
        store.get_ticket("nonsense")


def test_insert_rejects_bad_values_with_record_error(data: Path, store: TinyDBStore):
    before = file_bytes(data)
    with pytest.raises(RecordError) as info:
        new_ticket(store, channel="fax")
    assert info.value.field == "channel" and info.value.record == "T-1"
    assert str(data / "store.json") in str(info.value)
    with pytest.raises(RecordError) as info:
        new_ticket(store, priority="whenever")
    assert info.value.field == "priority"
    with pytest.raises(RecordError):
        store.update_ticket("T-1", {"nonexistent": 1}, 1)
    assert file_bytes(data) == before
    assert new_ticket(store).id == "T-1"  # no id was used up


# -- conflicts and merges -----------------------------------------------------
def test_stale_rev_raises_conflict_with_current_doc_and_is_not_applied(data: Path):
    a, b = TinyDBStore(data, agent="alice"), TinyDBStore(data, agent="bob")
    try:
        t = new_ticket(a)
        seen_by_b = b.get_ticket(t.id)
        newer = a.update_ticket(t.id, {"priority": "urgent"}, t.rev)
        journal_before = (data / "store.journal").read_bytes()
        events_before = len(events(data))
        with pytest.raises(ConflictError) as info:
            b.update_ticket(t.id, {"priority": "low", "assignee": "bob"}, seen_by_b.rev)
        err = info.value
        assert err.record == t.id and err.expected_rev == seen_by_b.rev
        assert err.current == newer and err.current.priority == "urgent" and err.current.rev == 2
        assert "revision 1" in str(err) and "now 2" in str(err)
        # Never applied: not in memory, not on disk, no event.
        assert b.get_ticket(t.id) == newer and a.get_ticket(t.id) == newer
        assert (data / "store.journal").read_bytes() == journal_before
        assert len(events(data)) == events_before
        fresh = TinyDBStore(data)
        assert fresh.get_ticket(t.id) == newer
        fresh.close()
        # With the current rev it goes through.
        assert b.update_ticket(t.id, {"priority": "low"}, err.current.rev).rev == 3
    finally:
        a.close()
        b.close()


def test_tags_and_messages_merge_without_conflict(data: Path):
    a, b = TinyDBStore(data, agent="alice"), TinyDBStore(data, agent="bob")
    try:
        t = new_ticket(a, tags=["base"])
        b.get_ticket(t.id)  # both hold rev 1
        a.change_tags(t.id, add=["from-a"])
        b.change_tags(t.id, add=["from-b"], remove=["base"])
        a.append_message(t.id, kind="internal_note", body="note by alice")
        b.append_message(t.id, kind="public_reply", body="reply by bob")
        a.append_message(t.id, kind="customer_message", body="customer again", author="C-1",
                         author_kind="customer")
        for s in (a, b):
            final = s.get_ticket(t.id)
            assert final.tags == ["from-a", "from-b"]
            assert [m.body for m in final.messages] == [
                "Since the update the router reboots every hour.", "note by alice",
                "reply by bob", "customer again"]
            assert [m.author for m in final.messages][1:3] == ["alice", "bob"]
            assert final.rev == 6
            assert final.first_replied is not None
    finally:
        a.close()
        b.close()


# -- archive ------------------------------------------------------------------
def test_closed_tickets_move_to_archive_and_stay_findable(data: Path, store: TinyDBStore):
    keep = new_ticket(store, subject="Still open")
    t = new_ticket(store, subject="Kettle whistles", body="Konvice píská příliš hlasitě.")
    t = store.update_ticket(t.id, {"status": "solved", "resolution_code": "fixed"}, t.rev)
    closed = store.update_ticket(t.id, {"status": "closed"}, t.rev)
    assert closed.status == "closed" and closed.solved is not None
    active, _, _ = read_collection(data, "store")
    archive, bad, _ = read_collection(data, "archive")
    assert set(active["tickets"]) == {"1"} and not active.get("_archive_outbox")
    assert archive["tickets"]["2"]["status"] == "closed" and not bad
    assert [d["id"] for d in store.ticket_docs()] == [keep.id]
    fresh = TinyDBStore(data)
    try:
        assert fresh.get_ticket(t.id) == closed
        assert [d["id"] for d in fresh.ticket_docs()] == [keep.id]
        assert {d["id"] for d in fresh.ticket_docs(include_archive=True)} == {keep.id, t.id}
        assert fresh.search("pisk") == []
        assert fresh.search("pisk", include_archive=True) == [t.id]
        assert [x.id for x in fresh.customer_history("C-1").tickets] == [t.id, keep.id]
        assert [p.id for p in fresh.customer_history("C-1").purchases] == ["O-1"]
        # A closed ticket can still be rated, and cannot be reopened.
        assert fresh.rate(t.id, 5, "quick").satisfaction.score == 5
        with pytest.raises(StoreError):
            fresh.update_ticket(t.id, {"status": "open"}, closed.rev + 1)
    finally:
        fresh.close()
    assert store.get_ticket(t.id).satisfaction.score == 5


def test_interrupted_archive_move_is_completed_on_open(data: Path, store: TinyDBStore):
    t = new_ticket(store)
    store.close()
    # The process crashed after the outbox line, before the archive copy.
    closed = {**t.to_doc(), "status": "closed", "_rev": t.rev + 1}
    with open(data / "store.journal", "ab") as fh:
        fh.write(crc_line({"ops": [["tickets", "1", None], ["_archive_outbox", "1", closed]]}))
    assert not (data / "archive.journal").exists()
    s = TinyDBStore(data)
    try:
        active, _, _ = read_collection(data, "store")
        archive, bad, torn = read_collection(data, "archive")
        assert not active.get("_archive_outbox") and "1" not in active["tickets"]
        assert archive["tickets"]["1"] == closed and not bad and not torn
        assert s.get_ticket(t.id).status == "closed"
        assert s.search("router", include_archive=True) == [t.id]
    finally:
        s.close()
    # Opening again does not copy it twice.
    size = (data / "archive.journal").stat().st_size
    TinyDBStore(data).close()
    assert (data / "archive.journal").stat().st_size == size


def test_outbox_flush_uses_a_fresh_view_under_the_lock(data: Path):
    """Regression: a reader that saw the outbox before taking the lock must not copy its
    stale document over a newer archived one (a lost update)."""
    s1 = TinyDBStore(data)
    t = s1.insert_ticket(customer="C-1", subject="S", body="B")
    s1.close()
    reader = TinyDBStore(data)
    reader.ticket_docs(include_archive=True)  # archive loaded (empty)
    closed = {**t.to_doc(), "status": "closed", "_rev": 2}
    with open(data / "store.journal", "ab") as fh:  # a writer's move, interrupted
        fh.write(crc_line({"ops": [["tickets", "1", None], ["_archive_outbox", "1", closed]]}))
    reader._active.refresh()  # the reader has looked: it sees the outbox...
    other = TinyDBStore(data)  # ...then another process finishes the move
    other.rate(t.id, 4, "good")  # and changes the archived ticket
    other.close()
    reader._load_archive()  # now the reader's lock is granted
    reader.close()
    fresh = TinyDBStore(data)
    try:
        final = fresh.get_ticket(t.id)
        assert final.rev == 3 and final.satisfaction and final.satisfaction.score == 4
    finally:
        fresh.close()


def test_archive_copy_failure_does_not_fail_the_acknowledged_close(data, store, monkeypatch):
    t = new_ticket(store)
    real = os.fdatasync

    def archive_disk_full(fd):
        if os.readlink(f"/proc/self/fd/{fd}").endswith("archive.journal"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd)

    monkeypatch.setattr(journal_mod.os, "fdatasync", archive_disk_full)
    closed = store.update_ticket(t.id, {"status": "closed"}, t.rev)  # durable via the outbox
    assert closed.status == "closed"
    assert store.get_ticket(t.id) == closed
    assert store.search("router", include_archive=True) == [t.id]
    assert store.ticket_docs() == []
    assert [x.id for x in store.customer_history("C-1").tickets] == [t.id]
    monkeypatch.setattr(journal_mod.os, "fdatasync", real)
    fresh = TinyDBStore(data)
    try:
        assert fresh.get_ticket(t.id) == closed
        archive, _, _ = read_collection(data, "archive")
        active, _, _ = read_collection(data, "store")
        assert archive["tickets"]["1"]["status"] == "closed" and not active["_archive_outbox"]
    finally:
        fresh.close()


# -- files --------------------------------------------------------------------
def test_files_are_created_0660_even_with_umask_022(tmp_path: Path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir(mode=0o770)
    old = os.umask(0o022)
    try:
        s = TinyDBStore(data, agent="alice")
        t = new_ticket(s)
        s.update_ticket(t.id, {"status": "closed"}, t.rev)  # archive journal
        s.compact()  # snapshots via temp + replace
        s.close()
    finally:
        os.umask(old)
    names = {p.name for p in data.iterdir()}
    assert {".lock", "store.json", "store.journal", "archive.json", "archive.journal",
            "events.jsonl"} <= names
    for p in data.iterdir():
        assert p.stat().st_mode & 0o777 == 0o660, p.name


def test_stray_temp_files_removed_at_open(data: Path):
    strays = [data / ".store.json.4242.desk-tmp", data / ".archive.json.7.desk-tmp"]
    for p in strays:
        p.write_bytes(b'{"half": ')
    keep = data / "notes.txt"
    keep.write_text("mine")
    TinyDBStore(data).close()
    assert not any(p.exists() for p in strays)
    assert keep.read_text() == "mine"


@pytest.mark.parametrize("content", [b'{"tickets": {"1": {"id": "T-1", ', b"[1, 2, 3]",
                                     b'{"tickets": []}', b"\x00\x00\x00\x00"])
def test_unparseable_snapshot_refused_and_left_alone(data: Path, content: bytes):
    TinyDBStore(data).close()
    (data / "store.json").write_bytes(content)
    with open(data / "store.journal", "ab") as fh:
        fh.write(crc_line({"ops": [["tickets", "1", ticket_doc(1)]]}))
    before = file_bytes(data)
    with pytest.raises(StoreCorrupt) as info:
        TinyDBStore(data)
    assert str(data / "store.json") in str(info.value)
    assert file_bytes(data) == before


def test_unparseable_archive_refused_and_left_alone(data: Path):
    s = TinyDBStore(data)
    new_ticket(s)
    (data / "archive.json").write_bytes(b'{"tickets": {')
    before = (data / "archive.json").read_bytes()
    with pytest.raises(StoreCorrupt) as info:
        s.search("x", include_archive=True)
    assert str(data / "archive.json") in str(info.value)
    assert (data / "archive.json").read_bytes() == before
    s.close()


def test_future_schema_version_refused(tmp_path: Path):
    data = seed(tmp_path / "data", meta={"schema": SCHEMA_VERSION + 1})
    before = file_bytes(data)
    with pytest.raises(StoreCorrupt) as info:
        TinyDBStore(data)
    msg = str(info.value)
    assert str(data / "store.json") in msg and "_meta" in msg and "schema" in msg
    assert file_bytes(data) == before


def test_world_writable_data_dir_refused(tmp_path: Path):
    data = seed(tmp_path / "data")
    data.chmod(0o777)
    with pytest.raises(StoreError, match="world-writable"):
        TinyDBStore(data)


# -- torn lines ---------------------------------------------------------------
@pytest.mark.parametrize("cut", [1, 9, 40, -1])
def test_torn_final_journal_line_ignored_and_next_write_kept(data: Path, cut: int):
    s = TinyDBStore(data)
    t = new_ticket(s)
    s.append_message(t.id, kind="internal_note", body="kept")
    s.close()
    # A writer died mid-line: part of an update that was never acknowledged.
    line = crc_line({"ops": [["tickets", "1", {**t.to_doc(), "subject": "torn", "_rev": 9}]]})
    with open(data / "store.journal", "ab") as fh:
        fh.write(line[:cut])
    s = TinyDBStore(data)
    try:
        assert s.get_ticket(t.id).subject == t.subject and s.get_ticket(t.id).rev == 2
        assert s.journal_problems() == []
        t2 = new_ticket(s, subject="after the tear")
        upd = s.update_ticket(t.id, {"priority": "high"}, 2)
    finally:
        s.close()
    tables, bad, torn = read_collection(data, "store")
    assert not bad and not torn
    assert tables["tickets"]["2"]["subject"] == "after the tear"
    fresh = TinyDBStore(data)
    try:
        assert fresh.get_ticket(t2.id) == t2 and fresh.get_ticket(t.id) == upd
        assert fresh.journal_problems() == []
    finally:
        fresh.close()


def test_torn_journal_line_left_by_another_process_while_open(data: Path):
    s = TinyDBStore(data)
    t = new_ticket(s)
    with open(data / "store.journal", "ab") as fh:  # another writer dies mid-line
        fh.write(crc_line({"ops": [["tickets", "7", ticket_doc(7)]]})[:30])
    assert s.refresh() is False
    upd = s.update_ticket(t.id, {"status": "open"}, t.rev)
    s.close()
    tables, bad, torn = read_collection(data, "store")
    assert not bad and not torn and tables["tickets"]["1"] == upd.to_doc()
    assert "7" not in tables["tickets"]


def test_torn_final_event_line_dropped(data: Path, store: TinyDBStore):
    t = new_ticket(store)
    store.append_message(t.id, kind="public_reply", body="hello")
    store.events.flush()
    whole = events(data)
    assert [e["type"] for e in whole] == ["ticket_created", "customer_contact", "agent_reply"]
    with open(data / "events.jsonl", "ab") as fh:
        fh.write(crc_line({"v": 1, "id": "X", "type": "status_change"})[:-1])  # no newline
    stats = ReadStats()
    assert read_events([data / "events.jsonl"], stats) == whole
    assert stats.torn_lines == 1 and stats.bad_lines == 0


def test_event_after_a_torn_event_line_is_not_lost(data: Path):
    """Regression: an event appended after another writer's torn line used to be glued
    onto it, making one bad line, so the new event was lost."""
    s = TinyDBStore(data, agent="alice")
    t = new_ticket(s)
    s.close()
    with open(data / "events.jsonl", "ab") as fh:  # another run died mid-event
        fh.write(crc_line({"v": 1, "id": "TORN", "type": "heartbeat"})[:25])
    s = TinyDBStore(data, agent="bob")
    s.update_ticket(t.id, {"status": "solved"}, t.rev)
    s.close()
    stats = ReadStats()
    got = read_events([data / "events.jsonl"], stats)
    assert [e["type"] for e in got] == ["ticket_created", "customer_contact", "status_change"]
    assert got[-1]["agent"] == "bob"
    assert stats.torn_lines == 0 and stats.bad_lines == 1  # the fragment, now terminated


def test_event_writer_waits_for_a_line_still_being_written(data: Path):
    """Regression: a writer that saw another's line half-written took it for a dead
    writer's fragment and ended it early, leaving bad lines behind."""
    import fcntl
    import threading

    path = data / "events.jsonl"
    theirs = crc_line({"v": 1, "id": "LIVE", "type": "heartbeat", "data": {}})
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o660)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a live writer in the middle of its write
    os.write(fd, theirs[:20])
    writer = eventlog.EventWriter(path, eventlog.RunContext(agent="alice"))
    done = threading.Event()
    thread = threading.Thread(target=lambda: (writer.emit("heartbeat", "work"), done.set()))
    thread.start()
    done.wait(0.3)  # with the bug it has written by now; fixed, it waits for the lock
    os.write(fd, theirs[20:])
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
    thread.join(10)
    writer.close()
    stats = ReadStats()
    got = read_events([path], stats)
    assert [e["id"] for e in got][0] == "LIVE" and len(got) == 2
    assert stats == ReadStats(torn_lines=0, bad_lines=0)


# -- other processes ----------------------------------------------------------
CHILD = textwrap.dedent("""
    import sys
    from tui.core.store import TinyDBStore
    s = TinyDBStore(sys.argv[1], agent="bob")
    t = s.get_ticket("T-1")
    s.update_ticket("T-1", {"assignee": "bob", "status": "open"}, t.rev)
    s.append_message("T-1", kind="public_reply", body="from the other process")
    n = s.insert_ticket(customer="C-2", subject="born elsewhere", body="x")
    print(n.id)
    s.close()
""")


def test_write_visible_to_another_process_on_next_read(data: Path, store: TinyDBStore):
    t = new_ticket(store)
    assert store.get_ticket(t.id).assignee is None
    gen = store.generation
    out = subprocess.run([sys.executable, "-c", CHILD, str(data)], check=True,
                         capture_output=True, text=True).stdout.split()
    assert out == ["T-2"]
    # No explicit refresh: the next read sees it.
    got = store.get_ticket(t.id)
    assert got.assignee == "bob" and got.status == "open" and got.rev == 3
    assert got.messages[-1].body == "from the other process"
    assert store.generation != gen
    assert {d["id"] for d in store.ticket_docs()} == {"T-1", "T-2"}
    assert store.search("born elsewhere") == ["T-2"]
    assert store.refresh() is False  # nothing new since
    # And ours is visible to them: the next insert gets the next id.
    assert new_ticket(store).id == "T-3"


def test_ids_allocated_under_the_lock(data: Path):
    a, b = TinyDBStore(data), TinyDBStore(data)
    try:
        assert new_ticket(a).id == "T-1"
        assert new_ticket(b).id == "T-2"  # b had not read since a's insert
        assert new_ticket(a).id == "T-3"
        assert {d["id"] for d in b.ticket_docs()} == {"T-1", "T-2", "T-3"}
    finally:
        a.close()
        b.close()


def test_bulk_store_without_counter_never_reuses_an_archived_id(tmp_path: Path):
    """Regression: ids came from the active set only, so a bulk-written store whose highest
    tickets were closed (in archive.json) handed out an archived ticket's id again."""
    data = seed(tmp_path / "data", tickets={str(n): ticket_doc(n) for n in (1, 2, 3)},
                archive={str(n): ticket_doc(n, "closed") for n in (4, 5)})
    s = TinyDBStore(data)
    try:
        assert new_ticket(s).id == "T-6"
        assert new_ticket(s).id == "T-7"
        assert s.get_ticket("T-5").status == "closed"
    finally:
        s.close()


def test_counter_behind_the_data_never_overwrites(tmp_path: Path):
    data = seed(tmp_path / "data", tickets={str(n): ticket_doc(n) for n in (1, 2, 3)},
                meta={"schema": SCHEMA_VERSION, "next": {"tickets": 2}})
    s = TinyDBStore(data)
    try:
        assert new_ticket(s).id == "T-4"
        assert s.get_ticket("T-2").subject == "Ticket 2"
    finally:
        s.close()


# -- write failures -----------------------------------------------------------
def _disk_full(*_args):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("fail", ["fdatasync", "write"])
def test_write_failure_raises_and_leaves_store_unchanged(data, store, monkeypatch, fail):
    t = new_ticket(store)
    before = file_bytes(data)
    if fail == "fdatasync":
        monkeypatch.setattr(journal_mod.os, "fdatasync", _disk_full)
    else:
        real_write = os.write

        def write(fd, line):  # only the journal's lines fail
            if b'"ops"' in bytes(line):
                raise OSError(errno.ENOSPC, "No space left on device")
            return real_write(fd, line)

        monkeypatch.setattr(journal_mod.os, "write", write)
    attempts = [
        lambda: store.update_ticket(t.id, {"priority": "urgent"}, t.rev),
        lambda: store.update_ticket(t.id, {"status": "closed"}, t.rev),
        lambda: store.append_message(t.id, kind="public_reply", body="lost?"),
        lambda: store.change_tags(t.id, add=["x"]),
        lambda: store.rate(t.id, 3),
        lambda: new_ticket(store),
    ]
    for attempt in attempts:
        with pytest.raises(StoreWriteError, match="No space left|could not save"):
            attempt()
        assert store.get_ticket(t.id) == t  # readable and unchanged
        assert [d["id"] for d in store.ticket_docs(include_archive=True)] == [t.id]
    assert file_bytes(data) == before  # journal truncated back, no event emitted
    monkeypatch.undo()
    fresh = TinyDBStore(data)
    try:
        assert fresh.get_ticket(t.id) == t
        assert new_ticket(fresh).id == "T-2"  # the failed insert used no id
        assert store.update_ticket(t.id, {"priority": "urgent"}, t.rev).rev == 2
    finally:
        fresh.close()


def test_compaction_failure_does_not_fail_an_acknowledged_write(data, store, monkeypatch):
    """Regression: a failed compaction (no room for the new snapshot) raised from the
    write that triggered it, although that write was already durable."""
    t = new_ticket(store)
    monkeypatch.setattr(tinydb_store, "COMPACT_AT_BYTES", 0)
    monkeypatch.setattr(journal_mod.snapshot_file, "write", _disk_full)  # the compaction's snapshot
    upd = store.update_ticket(t.id, {"priority": "high"}, t.rev)
    assert upd.rev == 2
    monkeypatch.undo()
    fresh = TinyDBStore(data)
    try:
        assert fresh.get_ticket(t.id) == upd
    finally:
        fresh.close()
    assert not list(data.glob("*.desk-tmp")) and not list(data.glob(".*.desk-tmp"))


def test_refresh_racing_a_compaction_never_reads_a_misaligned_journal(data: Path):
    """Regression: a reader that found the snapshot unchanged, then read the journal after
    another process had compacted and written again, read the new journal from its old
    offset: a spurious damaged line and a view missing changes."""
    a, b = TinyDBStore(data), TinyDBStore(data)
    try:
        t = new_ticket(a)
        for i in range(3):
            a.append_message(t.id, kind="internal_note", body=f"before {i} " + "x" * 200)
        b.get_ticket(t.id)
        a.append_message(t.id, kind="internal_note", body="b has not read this yet")
        coll = b._active
        real_read = coll._read_journal_bytes

        def compaction_in_between(pos):  # b has stat()ed both files; now a works
            coll._read_journal_bytes = real_read
            a.compact()
            for i in range(8):
                a.append_message(t.id, kind="internal_note", body=f"after {i} " + "y" * 200)
            return real_read(pos)

        coll._read_journal_bytes = compaction_in_between
        got = b.get_ticket(t.id)
        assert b.journal_problems() == []
        assert got == a.get_ticket(t.id) and got.messages[-1].body.startswith("after 7")
    finally:
        a.close()
        b.close()


def test_compaction_folds_the_journal_and_others_follow(data, monkeypatch):
    a, b = TinyDBStore(data), TinyDBStore(data)
    try:
        t = new_ticket(a)
        assert b.get_ticket(t.id) == t
        monkeypatch.setattr(tinydb_store, "COMPACT_AT_BYTES", 0)
        upd = a.update_ticket(t.id, {"priority": "high"}, t.rev)  # compacts after the write
        assert (data / "store.journal").stat().st_size == 0
        snap = orjson.loads((data / "store.json").read_bytes())
        assert snap["tickets"]["1"] == upd.to_doc()
        assert b.get_ticket(t.id) == upd  # b notices the new snapshot
        upd2 = b.update_ticket(t.id, {"priority": "low"}, upd.rev)
        assert a.get_ticket(t.id) == upd2
    finally:
        a.close()
        b.close()
    # Stock TinyDB can still read the snapshot.
    from tinydb import TinyDB

    db = TinyDB(data / "store.json", access_mode="r")
    assert db.table("tickets").get(doc_id=1)["priority"] == "low"
    db.close()


# -- the lock is never held while a whole file is parsed --------------------------
@pytest.fixture
def parse_probe(data: Path, monkeypatch):
    """Records, for each parse of a whole snapshot, whether another process could have
    taken the store's exclusive lock at that moment (True: writers were not held up)."""
    import fcntl

    from tui.core.store.tinydb import snapshot

    from tui.core.store.tinydb import journal

    real_read, real_on_demand = snapshot.read, journal.read_on_demand
    seen: list[tuple[str, bool]] = []

    def probe(fh):
        for name in ("store.json", "archive.json"):
            if Path(fh.name) == data / name and os.fstat(fh.fileno()).st_size > 2:
                fd = os.open(data / ".lock", os.O_RDWR)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    fcntl.flock(fd, fcntl.LOCK_UN)
                    seen.append((name, True))
                except BlockingIOError:
                    seen.append((name, False))
                finally:
                    os.close(fd)

    def read(fh):
        probe(fh)
        return real_read(fh)

    def read_on_demand(fh, *args, **kwargs):  # the active set's tables (on_demand.py)
        tables = real_on_demand(fh, *args, **kwargs)
        if tables is not None:  # else read whole, by `read`
            probe(fh)
        return tables

    from tui.core.store.tinydb.snapshot_index import SnapshotIndex

    real_index_read = SnapshotIndex.read

    def index_read(self, stamp, file, projectors):  # the snapshot read from its index
        tables = real_index_read(self, stamp, file, projectors)
        if tables is not None:
            probe(file._fh)
        return tables

    monkeypatch.setattr(snapshot, "read", read)
    monkeypatch.setattr(journal, "read_on_demand", read_on_demand)
    monkeypatch.setattr(SnapshotIndex, "read", index_read)
    return seen


def test_open_parses_without_holding_the_lock(data: Path, parse_probe):
    TinyDBStore(data).close()
    assert parse_probe == [("store.json", True)]


def test_reload_after_another_compaction_does_not_hold_up_writers(data: Path, parse_probe):
    """Regression: after one process compacted, the others reloaded the whole snapshot
    under the lock (inside their next write, or a reader's shared lock), stopping every
    writer for the length of the parse: seconds at 100k."""
    a, b = TinyDBStore(data), TinyDBStore(data)
    try:
        t = new_ticket(a)
        b.compact()
        parse_probe.clear()
        assert a.update_ticket(t.id, {"priority": "high"}, t.rev).rev == 2
        assert parse_probe == [("store.json", True)]
        b.compact()
        parse_probe.clear()
        assert a.get_ticket(t.id).rev == 2  # a reader's reload
        assert parse_probe == [("store.json", True)]
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize("index", [True, False])
def test_closing_does_not_read_the_archive_under_the_lock(data: Path, parse_probe, index: bool):
    """With the archive index a close appends to the archive journal without reading the
    archive; without one (an older store) the index is rebuilt first, outside the lock."""
    a = TinyDBStore(data)
    t1, t2 = new_ticket(a), new_ticket(a)
    a.update_ticket(t1.id, {"status": "closed"}, t1.rev)
    a.compact()  # archive.json now holds T-1, archive-index.json its index
    a.close()
    if not index:
        (data / "archive-index.json").unlink()
    b = TinyDBStore(data)
    try:
        parse_probe.clear()
        assert b.update_ticket(t2.id, {"status": "closed"}, t2.rev).status == "closed"
        assert parse_probe == ([] if index else [("archive.json", True)])
        assert not b.archive_loaded
    finally:
        b.close()
    archive, bad, torn = read_collection(data, "archive")
    assert set(archive["tickets"]) == {"1", "2"} and not bad and not torn


def test_reader_and_writer_threads_do_not_deadlock_on_a_reload(data: Path):
    """Regression: a writer thread took the store lock then the store's mutex, a reader
    thread reloading after a compaction took them in the other order: a deadlock, as
    the app's poll and write workers are threads."""
    import fcntl
    import threading

    s, other = TinyDBStore(data), TinyDBStore(data)
    t = new_ticket(s)
    fd = os.open(data / ".lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another process is writing
    results: dict[str, object] = {}

    def write():
        results["write"] = s.update_ticket(t.id, {"priority": "high"}, t.rev)

    def read():
        results["read"] = s.get_ticket(t.id)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()  # waits for the other process's lock
    time.sleep(0.2)
    other._active.compact()  # the other process compacts while it holds the lock
    reader = threading.Thread(target=read, daemon=True)
    reader.start()  # a reload is due
    time.sleep(0.2)
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
    writer.join(10)
    reader.join(10)
    assert not writer.is_alive() and not reader.is_alive(), "deadlock"
    assert results["write"].priority == "high" and results["read"].id == t.id
    other.close()
    s.close()


# -- events -------------------------------------------------------------------
def test_every_change_emits_its_ticket_event(data: Path, store: TinyDBStore):
    t = new_ticket(store, channel="chat")
    store.append_message(t.id, kind="customer_message", body="still broken",
                         author="C-1", author_kind="customer")
    store.append_message(t.id, kind="public_reply", body="try this")
    store.append_message(t.id, kind="internal_note", body="firmware bug")
    start = datetime(2026, 1, 1, 9, 0, tzinfo=timezone.utc)
    store.append_message(t.id, kind="call_log", body="called", call_start=start,
                         call_end=start + timedelta(minutes=4))
    cur = store.get_ticket(t.id)
    cur = store.update_ticket(t.id, {"status": "open"}, cur.rev)
    cur = store.update_ticket(t.id, {"assignee": "alice", "group": "L2"}, cur.rev)
    cur = store.update_ticket(t.id, {"priority": "high", "issue_key": "fw-bug",
                                     "product": "P-1"}, cur.rev)
    cur = store.update_ticket(t.id, {"status": "solved", "resolution_code": "fixed"}, cur.rev)
    store.update_ticket(t.id, {"status": "closed"}, cur.rev)
    t2 = new_ticket(store, source="agent", subject="Proactive notice", body="FYI")
    store.close()
    got = events(data)
    assert [(e["type"], e["ticket"]) for e in got] == [
        ("ticket_created", "T-1"), ("customer_contact", "T-1"),
        ("customer_contact", "T-1"), ("agent_reply", "T-1"), ("internal_note", "T-1"),
        ("internal_note", "T-1"),
        ("status_change", "T-1"), ("assign", "T-1"),
        ("field_change", "T-1"), ("field_change", "T-1"), ("field_change", "T-1"),
        ("status_change", "T-1"), ("status_change", "T-1"),
        ("ticket_created", t2.id),
    ]
    by_type = [(e["type"], e["data"]) for e in got]
    assert by_type[0][1]["channel"] == "chat" and by_type[0][1]["source"] == "customer"
    assert by_type[0][1]["region"] == "Nordics" and by_type[0][1]["customer"] == "C-1"
    assert by_type[1][1]["kind"] == "chat_start"
    assert by_type[3][1]["public"] is True
    assert by_type[5][1]["call_log"] is True
    assert by_type[5][1]["call_start"] == "2026-01-01T09:00:00.000Z"
    assert by_type[6][1] == {"from": "new", "to": "open"}
    assert by_type[7][1]["to_agent"] == "alice" and by_type[7][1]["to_group"] == "L2"
    assert {(d["field"], d["value"]) for _, d in by_type[8:11]} == {
        ("priority", "high"), ("issue_key", "fw-bug"), ("product", "P-1")}
    assert by_type[11][1] == {"from": "open", "to": "solved", "resolution_code": "fixed"}
    assert by_type[12][1]["to"] == "closed"
    assert by_type[13][1]["source"] == "agent"
    # The §B.3.2 envelope, and the CRC line form of §B.3.4.
    for n, e in enumerate(got, 1):
        assert e["v"] == 1 and e["stream"] == "ticket" and e["src"] == "app"
        assert e["agent"] == "alice" and e["seq"] == n and isinstance(e["mono_ms"], int)
        assert eventlog.parse_event_ts(e["ts"]).tzinfo is not None and e["ts"].endswith("Z")
    assert len({e["id"] for e in got}) == len(got)
    for line in (data / "events.jsonl").read_bytes().splitlines():
        assert line[8:9] == b" " and parse_crc_line(line, require_crc=True)


def test_tag_changes_emit_events_and_field_change_for_channel_customer(data, store):
    t = new_ticket(store)
    store.change_tags(t.id, add=["vip"])
    cur = store.get_ticket(t.id)
    store.update_ticket(t.id, {"channel": "phone", "customer": "C-2"}, cur.rev)
    got = [(e["type"], e["data"]) for e in events(data)][2:]
    assert got[0] == ("tags_change", {"added": ["vip"], "removed": []})
    assert sorted(d["field"] for _, d in got[1:]) == ["channel", "customer"]
