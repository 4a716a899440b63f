"""Opening a big store: snapshots read a slice at a time, the queue from its summary (issue 6)."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.core.demo import generate
from tui.core.fileio import crc_line
from tui.core.queue import QueueIndex, summary_entry
from tui.core.store import StoreCorrupt, TinyDBStore
from tui.core.store.tinydb import queue_summary, snapshot
from tui.core.store.tinydb.journal import JournaledCollection

docs = st.dictionaries(st.text(max_size=8), st.one_of(
    st.none(), st.integers(-2**63, 2**63 - 1), st.text(), st.lists(st.text(max_size=5), max_size=3)), max_size=5)
tables = st.dictionaries(st.text(min_size=1, max_size=6),
                         st.dictionaries(st.text(max_size=6), docs, max_size=6), max_size=4)


# -- snapshot layout -------------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(tables)
def test_snapshot_round_trip(t):
    raw = snapshot.encode(t)
    assert orjson.loads(raw) == t  # plain JSON: stock TinyDB reads it
    assert snapshot.decode(raw) == t


def test_snapshot_is_read_in_slices(monkeypatch):
    """Each orjson call parses about a slice, so other threads run between them."""
    t = {"tickets": {str(n): {"id": f"T-{n}", "body": "x" * 500} for n in range(3000)},
         "customers": {}, "_meta": {"1": {"schema": 1}}}
    raw = snapshot.encode(t)
    sizes: list[int] = []
    real = orjson.loads

    def loads(data):
        sizes.append(len(data))
        return real(data)

    monkeypatch.setattr(snapshot.orjson, "loads", loads)
    monkeypatch.setattr(snapshot, "SLICE_BYTES", 64 * 1024)
    assert snapshot.decode(raw) == t
    assert max(sizes) < 100 * 1024 and len(sizes) > 10


def test_other_layouts_are_parsed_whole():
    t = {"tickets": {"1": {"id": "T-1"}}}
    for raw in (orjson.dumps(t), orjson.dumps(t, option=orjson.OPT_INDENT_2), b'{\n"tickets": {"1": {"id": "T-1"}}}'):
        assert snapshot.decode(raw) == t


def test_a_damaged_snapshot_says_where():
    raw = snapshot.encode({"tickets": {"1": {"id": "T-1"}, "2": {"id": "T-2"}}})
    with pytest.raises(orjson.JSONDecodeError):
        snapshot.decode(raw[:-9])


# -- the queue summary -----------------------------------------------------------
@pytest.fixture(scope="module")
def demo_store(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "store"
    generate(out, tickets=400)
    return out


def copy_store(source: Path, target: Path) -> Path:
    target.mkdir(mode=0o770)
    for f in source.iterdir():
        (target / f.name).write_bytes(f.read_bytes())
        (target / f.name).chmod(0o660)
    import os
    st = (source / "store.json").stat()
    os.utime(target / "store.json", ns=(st.st_atime_ns, st.st_mtime_ns))
    return target


@contextmanager
def opened(data: Path, **kwargs):
    store = TinyDBStore(data, **kwargs)
    try:
        yield store
    finally:
        store.close()


def rows_of(store: TinyDBStore) -> dict[str, list]:
    """The queue's rows as the loaded store gives them, by ticket id."""
    index = QueueIndex()
    rows = index.update(store.ticket_docs(), {c["id"]: c for c in store.query("customers", _all())},
                        {})
    return {r.id: [r.customer_name, *summary_entry(r)] for r in rows}


def _all():
    from tinydb import Query
    return Query().noop()


def preview_rows(store: TinyDBStore) -> dict[str, list]:
    preview = store.queue_preview
    assert preview is not None
    index = QueueIndex()
    rows = index.seed(preview.entries, preview.names)
    return {r.id: [r.customer_name, *summary_entry(r)] for r in rows}


def test_demo_writes_a_summary_that_lists_the_queue_as_the_store_does(demo_store, tmp_path):
    data = copy_store(demo_store, tmp_path / "s")
    with opened(data, defer_load=True) as deferred:
        assert not deferred.loaded and not deferred.summary_due
        expected = preview_rows(deferred)
    with opened(data) as full:
        assert expected == rows_of(full)


def test_journal_changes_since_the_summary_are_in_the_preview(demo_store, tmp_path):
    data = copy_store(demo_store, tmp_path / "s")
    with opened(data) as writer:
        first = writer.ticket_docs()[0]["id"]
        t = writer.get_ticket(first)
        writer.update_ticket(first, {"priority": "urgent", "subject": "changed [/]"}, t.rev)
        new = writer.insert_ticket(customer="C-1", subject="brand new", body="hello")
        closed = writer.ticket_docs()[5]["id"]
        writer.update_ticket(closed, {"status": "closed"}, writer.get_ticket(closed).rev)
        expected = rows_of(writer)
    with opened(data, defer_load=True) as store:
        got = preview_rows(store)
        assert got == expected
        assert got[first][3] == "changed [/]" and new.id in got and closed not in got


def test_a_deferred_store_reads_itself_at_first_use(demo_store, tmp_path):
    data = copy_store(demo_store, tmp_path / "s")
    with opened(data, defer_load=True) as store:
        generation = store.generation
        assert store.refresh() is True and store.loaded
        assert store.generation != generation and store.queue_preview is None
        assert store.get_ticket("T-1").id == "T-1"


def test_a_deferred_store_writes_only_after_reading(demo_store, tmp_path):
    """A write before the first read must land after the journal, never over it."""
    data = copy_store(demo_store, tmp_path / "s")
    other = TinyDBStore(data)
    t = other.ticket_docs()[0]
    other.update_ticket(t["id"], {"priority": "low"}, t["_rev"])
    other.close()
    with opened(data, defer_load=True) as store:
        ticket_id = t["id"]
        store.update_ticket(ticket_id, {"priority": "high"}, t["_rev"] + 1)
    with opened(data) as again:
        assert again.get_ticket(ticket_id).priority == "high"
        assert again.get_ticket(ticket_id).rev == t["_rev"] + 2
        assert not again.journal_problems()


def test_threads_wait_for_the_one_read(demo_store, tmp_path, monkeypatch):
    data = copy_store(demo_store, tmp_path / "s")
    store = TinyDBStore(data, defer_load=True)
    loads = []
    real = JournaledCollection.load

    def slow_load(self):
        loads.append(threading.get_ident())
        time.sleep(0.2)
        real(self)

    monkeypatch.setattr(JournaledCollection, "load", slow_load)
    seen: list[int] = []
    threads = [threading.Thread(target=lambda: seen.append(len(store.ticket_docs())))
               for _ in range(3)]
    try:
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert len(loads) == 1 and len(set(seen)) == 1 and seen[0] > 0
    finally:
        store.close()


@pytest.mark.parametrize("spoil", ["stale", "damaged", "missing", "newer schema", "outbox"])
def test_an_unusable_summary_means_a_full_read(demo_store, tmp_path, spoil):
    data = copy_store(demo_store, tmp_path / "s")
    path = data / queue_summary.SUMMARY_FILE
    if spoil == "stale":
        s = TinyDBStore(data)
        with s._lock.exclusive():
            s._active.compact()  # a new snapshot, the summary not rewritten
        s.close()
    elif spoil == "damaged":
        path.write_bytes(path.read_bytes()[:-10])
    elif spoil == "missing":
        path.unlink()
    elif spoil == "newer schema":
        summary = orjson.loads(path.read_bytes())
        summary["schema"] += 1
        path.write_bytes(orjson.dumps(summary))
    elif spoil == "outbox":  # a close that a crash cut short after its durable line
        doc_id, doc = next(iter(snapshot.decode((data / "store.json").read_bytes())["tickets"].items()))
        closed = {**doc, "status": "closed", "_rev": doc["_rev"] + 1}
        with open(data / "store.journal", "ab") as f:
            f.write(crc_line({"ops": [["tickets", doc_id, None],
                                      ["_archive_outbox", doc_id, closed]]}))
    with opened(data, defer_load=True) as store:
        assert store.loaded and store.queue_preview is None
        assert store.summary_due
        store.save_queue_summary()
    if spoil != "outbox":
        with opened(data, defer_load=True) as again:
            assert not again.loaded and again.queue_preview is not None


def test_compaction_rewrites_the_summary(demo_store, tmp_path):
    data = copy_store(demo_store, tmp_path / "s")
    with opened(data) as store:
        t = store.ticket_docs()[0]
        store.update_ticket(t["id"], {"subject": "after compaction"}, t["_rev"])
        store.compact()
        expected = rows_of(store)
    assert (data / "store.journal").stat().st_size == 0
    assert snapshot.decode((data / "store.json").read_bytes())  # the sliced layout
    assert (data / "store.json").read_bytes().startswith(snapshot.HEAD)
    with opened(data, defer_load=True) as deferred:
        assert preview_rows(deferred) == expected


def test_a_broken_record_in_the_journal_is_refused_at_open(demo_store, tmp_path):
    """The summary never shows a store that the full read would refuse."""
    data = copy_store(demo_store, tmp_path / "s")
    with open(data / "store.journal", "ab") as f:
        f.write(crc_line({"ops": [["tickets", "9999", {"id": "T-9999", "status": "bogus"}]]}))
    with pytest.raises(StoreCorrupt, match="T-9999"):
        TinyDBStore(data, defer_load=True)


@pytest.mark.parametrize("slice_bytes", [16, 300, 1 << 20])
def test_a_snapshot_file_is_read_a_slice_at_a_time(tmp_path, monkeypatch, slice_bytes):
    """Read from the file in slices: the whole file is never in memory beside its tables."""
    t = {"_meta": {"1": {"schema": 1}}, "empty": {},
         "tickets": {str(n): {"id": f"T-{n}", "body": "}\n{" * n} for n in range(200)}}
    path = tmp_path / "store.json"
    path.write_bytes(snapshot.encode(t))
    reads: list[int] = []
    monkeypatch.setattr(snapshot, "SLICE_BYTES", slice_bytes)
    with open(path, "rb") as fh:
        real = fh.read
        fh.read = lambda n=-1: (reads.append(n), real(n))[1]  # type: ignore[method-assign]
        assert snapshot.read(fh) == t
    assert -1 not in reads  # never the rest of the file at once


def test_a_damaged_snapshot_file_says_where(tmp_path):
    path = tmp_path / "store.json"
    path.write_bytes(snapshot.encode({"tickets": {"1": {"id": "T-1"}}})[:-12])
    with open(path, "rb") as fh, pytest.raises(orjson.JSONDecodeError, match="line"):
        snapshot.read(fh)
