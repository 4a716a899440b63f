"""The active set read on demand (store/tinydb/on_demand.py) answers exactly what the full
load answered: over random snapshots and journals, and over random stores changed by
another process while a desk had them open."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tinydb import Query

from tui.core import demo
from tui.core.fileio import crc_line
from tui.core.queue import QueueIndex, by_id, summary_entry
from tui.core.store import StoreCorrupt, TinyDBStore
from tui.core.store.tinydb import snapshot
from tui.core.store.tinydb.journal import JournaledCollection
from tui.core.quickcheck import ticket_head
from tui.core.store.tinydb.on_demand import OnDemandTable

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
# ids as desk writes them, any text, and text made of the layout's own punctuation
KEYS = st.one_of(st.integers(0, 10_000).map(str), TEXT, st.text('"\\:{},\n a', max_size=6))
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**53, 2**53) | st.floats(allow_nan=False,
                                                                     allow_infinity=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8)
DOCS = st.dictionaries(TEXT, VALUES, max_size=5)
TABLES = st.dictionaries(st.sampled_from(["tickets", "customers", "purchases", "_meta", "x\"y"]),
                         st.dictionaries(KEYS, DOCS, max_size=6), max_size=4)
OPS = st.lists(st.lists(st.tuples(st.sampled_from(["tickets", "customers", "new"]), KEYS,
                                  st.none() | DOCS), min_size=1, max_size=3), max_size=4)


def project(doc_id, doc):
    return (doc_id, len(orjson.dumps(doc)))


def write_store(where: Path, tables, lines) -> tuple[Path, Path]:
    where.mkdir(parents=True, exist_ok=True)
    snap, journal = where / "store.json", where / "store.journal"
    snapshot.write(snap, tables)
    journal.write_bytes(b"".join(crc_line({"ops": ops}) for ops in lines))
    return snap, journal


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tables=TABLES, lines=OPS)
def test_tables_on_demand_are_the_full_load(tmp_path_factory, tables, lines):
    snap, journal = write_store(tmp_path_factory.mktemp("s"), tables, lines)
    full = JournaledCollection(snap, journal)
    full.load()
    lazy = JournaledCollection(snap, journal, projectors={"tickets": project, "new": project})
    lazy.load()
    assert list(lazy.tables) == list(full.tables)
    for name, docs in full.tables.items():
        held = lazy.tables[name]
        assert isinstance(held, OnDemandTable)
        assert list(held.items()) == list(docs.items())  # same documents, same order
        assert len(held) == len(docs) and all(k in held for k in docs)
        if name in ("tickets", "new"):
            assert held.projections == {k: project(k, d) for k, d in docs.items()}
    # Read from the file by offset (not the whole-file fallback): what the journal did not
    # touch is the snapshot's very bytes.
    touched = {(name, key) for ops in lines for name, key, _ in ops}
    for name, docs in tables.items():
        for key, doc in docs.items():
            if (name, key) not in touched:
                assert lazy.tables[name].raw(key) == orjson.dumps(doc)
    # A compaction writes the same snapshot (unchanged documents copied as they were).
    assert snapshot.encode(lazy.tables) == snapshot.encode(full.tables)


def test_a_snapshot_in_another_layout_is_read_whole_into_the_same_tables(tmp_path):
    snap, journal = tmp_path / "store.json", tmp_path / "store.journal"
    snap.write_text(json.dumps({"tickets": {"1": {"id": "T-1"}}, "_meta": {}}))  # stock TinyDB
    lazy = JournaledCollection(snap, journal, projectors={"tickets": project})
    lazy.load()
    assert dict(lazy.tables["tickets"]) == {"1": {"id": "T-1"}}
    assert lazy.tables["tickets"].projections == {"1": project("1", {"id": "T-1"})}


def test_a_damaged_document_refuses_the_store_at_open_as_the_full_load_did(tmp_path):
    demo.generate(tmp_path, tickets=20, seed=3)
    raw = (tmp_path / "store.json").read_bytes()
    at = raw.index(b'"customers":{\n') + len(b'"customers":{\n')
    at = raw.index(b"{", raw.index(b":", at))  # the first customer's document
    (tmp_path / "store.json").write_bytes(raw[:at + 1] + b"\x00" + raw[at + 1:])
    with pytest.raises(StoreCorrupt, match="store.json: not valid JSON"):
        TinyDBStore(tmp_path)


def test_a_reader_of_a_compacted_away_snapshot_still_reads_its_own_file(tmp_path):
    """Another desk compacts (a new store.json renamed over the old): this desk's tables
    keep reading the file they were made from until it reloads, never the new file's bytes
    at the old offsets."""
    demo.generate(tmp_path, tickets=30, seed=5)
    ana, bob = TinyDBStore(tmp_path, agent="ana"), TinyDBStore(tmp_path, agent="bob")
    try:
        tickets = ana._active.tables["tickets"]
        before = {k: tickets[k] for k in tickets}
        tickets._recent.clear()
        first = next(iter(before))
        bob.update_ticket(before[first]["id"], {"subject": "x" * 500}, before[first]["_rev"])
        bob.compact()
        assert {k: tickets[k] for k in tickets} == before  # the old file, as it was
        tickets._recent.clear()
        assert ana.get_ticket(before[first]["id"]).subject == "x" * 500  # after a reload
    finally:
        ana.close()
        bob.close()


# -- whole stores, changed by another process ----------------------------------------
WRITER = textwrap.dedent("""
    import random, sys
    from tui.core.store import TinyDBStore, StoreError
    data_dir, seed, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    store = TinyDBStore(data_dir, agent="bob")
    for _ in range(steps):
        docs = store.ticket_docs()
        doc = rng.choice(docs)
        what = rng.random()
        try:
            if what < 0.3:
                store.update_ticket(doc["id"], {"priority": rng.choice(["low", "urgent"]),
                                               "assignee": rng.choice(["bob", "cy", None])},
                                    doc["_rev"])
            elif what < 0.45:
                store.update_ticket(doc["id"], {"status": "closed"}, doc["_rev"])
            elif what < 0.6:
                store.append_message(doc["id"], kind="public_reply", body="r" * rng.randint(1, 90))
            elif what < 0.7:
                customer = store.insert_customer(name=f"New {rng.random()}")
                store.insert_ticket(customer=customer.id, subject="new one", body="hello")
            elif what < 0.8:
                store.insert_ticket(customer=doc["customer"], subject="again", body="hi",
                                    priority="high")
            elif what < 0.9:
                store.change_tags(doc["id"], add=[rng.choice(["a", "b"])])
            else:
                store.compact()
        except StoreError:
            pass
    store.close()
""")


def full_reference(data_dir: Path):
    """The active set as a full load reads it (no projections, plain dicts)."""
    coll = JournaledCollection(data_dir / "store.json", data_dir / "store.journal")
    coll.load()
    return coll.tables


def queue_entries(rows) -> list[list]:
    return [summary_entry(row) for row in rows]


def assert_same_as_full_load(store: TinyDBStore, data_dir: Path, index: QueueIndex) -> None:
    """`index` is the desk's queue, kept across the change (its rows are reused by revision)."""
    store.refresh()
    ref = full_reference(data_dir)
    tickets = ref.get("tickets", {})
    assert sorted(d["id"] for d in store.ticket_docs()) == sorted(d["id"] for d in tickets.values())
    for doc in tickets.values():
        assert store.get_ticket(doc["id"]).to_doc() == store._ticket(doc, False).to_doc()
    everything = Query().noop()
    products = by_id(store.query("products", everything))
    lazy_rows = index.update_on_demand(store.queue_tickets(), store.customers_by_id(), products)
    full_rows = QueueIndex().update(list(tickets.values()), by_id(ref["customers"].values()), products)
    assert queue_entries(lazy_rows) == queue_entries(full_rows)
    assert [r.customer_name for r in lazy_rows] == [r.customer_name for r in full_rows]
    names = {d.get("assignee") for d in tickets.values()} | {store.agent}
    assert store.agents() == sorted(n for n in names if n)
    for customer in {d["customer"] for d in tickets.values()}:
        history = store.customer_history(customer)
        active = {d["id"] for d in tickets.values() if d["customer"] == customer}
        assert active <= {t.id for t in history.tickets}
        assert {p.id for p in history.purchases} == {
            p["id"] for p in ref.get("purchases", {}).values() if p["customer"] == customer}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**16), steps=st.integers(1, 25))
def test_a_store_changed_by_another_process_reads_as_a_full_load(tmp_path_factory, seed, steps):
    data_dir = tmp_path_factory.mktemp("store")
    demo.generate(data_dir, tickets=random.Random(seed).randint(5, 60), seed=seed)
    ana = TinyDBStore(data_dir, agent="ana")
    index = QueueIndex()
    try:
        assert_same_as_full_load(ana, data_dir, index)
        subprocess.run([sys.executable, "-c", WRITER, str(data_dir), str(seed), str(steps)],
                       check=True, env={**os.environ, "PYTHONPATH": str(Path.cwd())})
        assert_same_as_full_load(ana, data_dir, index)
    finally:
        ana.close()


# -- the snapshot's index (snapshot_index.py) -----------------------------------------
def reads_index(monkeypatch) -> list[bool]:
    """Whether each open of the active set was read from the snapshot's index."""
    from tui.core.store.tinydb.snapshot_index import SnapshotIndex

    seen: list[bool] = []
    real = SnapshotIndex.read

    def read(self, stamp, file, projectors):
        tables = real(self, stamp, file, projectors)
        seen.append(tables is not None)
        return tables

    monkeypatch.setattr(SnapshotIndex, "read", read)
    return seen


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**16), steps=st.integers(1, 20))
def test_an_open_from_the_snapshot_index_is_the_full_load(tmp_path_factory, seed, steps):
    data_dir = tmp_path_factory.mktemp("store")
    demo.generate(data_dir, tickets=random.Random(seed).randint(5, 60), seed=seed)
    subprocess.run([sys.executable, "-c", WRITER, str(data_dir), str(seed), str(steps)],
                   check=True, env={**os.environ, "PYTHONPATH": str(Path.cwd())})
    TinyDBStore(data_dir).compact()  # the index of the new snapshot, written beside it
    with pytest.MonkeyPatch.context() as monkeypatch:
        opened = reads_index(monkeypatch)
        store = TinyDBStore(data_dir, agent="ana")
        try:
            store.products()
            assert opened == [True]
            ref = full_reference(data_dir)
            for name, docs in ref.items():
                held = store._active.tables[name]
                assert list(held.items()) == list(docs.items())
            heads = store._active.tables["tickets"].projections
            assert heads == {k: ticket_head(str(data_dir / "store.json"), k, d)
                             for k, d in ref["tickets"].items()}
            assert store._active.tables["purchases"].projections == {
                k: d["customer"] for k, d in ref.get("purchases", {}).items()}
            assert_same_as_full_load(store, data_dir, QueueIndex())
        finally:
            store.close()


def test_an_index_of_another_snapshot_or_damaged_is_not_used(tmp_path, monkeypatch):
    demo.generate(tmp_path, tickets=20, seed=2)
    TinyDBStore(tmp_path).close()  # a scan; the journal is empty: the index is written
    index = tmp_path / "store-index.json"
    good = index.read_bytes()
    opened = reads_index(monkeypatch)
    TinyDBStore(tmp_path).close()
    assert opened == [True]
    store = TinyDBStore(tmp_path)
    doc = store.ticket_docs()[0]
    store.update_ticket(doc["id"], {"priority": "urgent"}, doc["_rev"])
    store.compact()  # a new snapshot and its index
    store.close()
    index.write_bytes(good)  # the index of the snapshot before
    opened.clear()
    store = TinyDBStore(tmp_path)
    assert opened == [False] and store.get_ticket(doc["id"]).priority == "urgent"
    store.close()
    index.write_bytes(b"{not json")
    opened.clear()
    store = TinyDBStore(tmp_path)
    assert opened == [False] and store.get_ticket(doc["id"]).priority == "urgent"
    store.close()


def test_a_store_with_a_record_the_open_refuses_gets_no_index(tmp_path):
    demo.generate(tmp_path, tickets=10, seed=2)
    raw = (tmp_path / "store.json").read_bytes()
    (tmp_path / "store.json").write_bytes(raw.replace(b'"status":"open"', b'"status":"lost"', 1))
    with pytest.raises(StoreCorrupt, match="status"):
        TinyDBStore(tmp_path)
    with pytest.raises(StoreCorrupt, match="status"):
        TinyDBStore(tmp_path)  # refused again: no index said otherwise


def test_an_index_that_points_past_its_snapshot_is_a_clear_error(tmp_path):
    """A damaged or forged store-index.json with the right stamp: the record it misplaces is
    refused with the file and record named, never a traceback (an OSError) in the app."""
    import base64
    from array import array

    demo.generate(tmp_path, tickets=10, seed=2)
    TinyDBStore(tmp_path).close()  # writes the index
    index = tmp_path / "store-index.json"
    found = orjson.loads(index.read_bytes())
    spans = array("Q")
    spans.frombytes(base64.b64decode(found["tables"]["tickets"]["spans"]))
    size = (tmp_path / "store.json").stat().st_size
    spans[0] = (size << 32) | 100  # past the end of the file
    found["tables"]["tickets"]["spans"] = base64.b64encode(spans.tobytes()).decode()
    index.write_bytes(orjson.dumps(found))
    store = TinyDBStore(tmp_path)
    try:
        first = next(iter(store._active.tables["tickets"]))
        with pytest.raises(StoreCorrupt, match=rf"store.json: record {first}: the file ends"):
            store._active.tables["tickets"][first]
    finally:
        store.close()
