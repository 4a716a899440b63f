"""The import writes without the store's tables in memory (store/tinydb/import_writer.py):
its streamed fold gives the very store, archive index and queue summary that loading the
journals gives, also while other desks write and compact between its batches; it never
loads the store; a death at any step of the fold leaves a sound store that a second run
finishes; a damaged journal stops it before anything is written."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.core.importers.test_import_passes import _Source, _ticket
from tui.core.demo import copy_demo
from tui.core.store.errors import StoreCorrupt
from tui.core.importers.landing import Landing
from tui.core.importers.run import import_file
from tui.core.paths import demo_store
from tui.core.store import TinyDBStore
from tui.core.store.tinydb import queue_summary
from tui.core.store.tinydb.archive_index import ArchiveIndex, build_index, read_index
from tui.core.store.tinydb.import_writer import ImportWriter
from tui.core.store.tinydb.snapshot import file_stamp
from tui.core.store.tinydb.staging import PREFIX, Staging, _owner_tag


@pytest.fixture
def data(tmp_path) -> Path:
    out = tmp_path / "demo"
    copy_demo(demo_store(), out, datetime.now(timezone.utc))
    return out


def _tickets(n: int, start: int = 1) -> list:
    return [_ticket(i, ["open", "closed", "pending"][i % 3]) for i in range(start, start + n)]


def _loaded(data: Path) -> tuple[dict, dict]:
    """Both collections as a desk that reads the files whole holds them (empty tables left
    out: a fold keeps a table its last document left, a streamed one need not)."""
    store = TinyDBStore(data)
    try:
        store._load_archive()
        return tuple({name: dict(docs) for name, docs in coll.tables.items() if docs}
                     for coll in (store._active, store._archive))
    finally:
        store.close()


def _import(data: Path, tickets: list, between=None, batch_size: int = 4) -> ImportWriter:
    """Land `tickets` in batches, calling `between()` after each batch; the writer is left
    unfinished (its journals not folded)."""
    store = TinyDBStore(data, load=False)
    writer = ImportWriter(store)
    if between is not None:
        write = writer.write_batch

        def write_then(plan):
            write(plan)
            between()
        writer.write_batch = write_then
    import_file(store, lambda: _Source(data / "t.json", tickets), skip_bad=False,
                landing=Landing(store, batch_size=batch_size, writer=writer))
    return writer


def test_the_streamed_fold_is_the_journal_replayed_with_others_writing_between_batches(data):
    agent = TinyDBStore(data, agent="kari")
    calls = []

    def between():  # another desk works between the import's batches
        calls.append(1)
        open_ones = [d for d in agent.ticket_docs() if d["status"] == "open"]
        if len(calls) == 2:
            agent.append_message(open_ones[0]["id"], kind="public_reply",
                                 body="Written between two batches.")
        if len(calls) == 3:
            agent.update_ticket(open_ones[1]["id"], {"status": "closed"}, open_ones[1]["_rev"])
        if len(calls) == 4:
            agent.compact()  # the staging reads the new snapshots again

    try:
        writer = _import(data, _tickets(30), between)
        assert len(calls) >= 5
        expected = _loaded(data)
        store = writer.store
        writer.finish()
        writer.close()
        store.close()
    finally:
        agent.close()
    assert _loaded(data) == expected
    active, archive = expected
    imported = [d for d in [*active["tickets"].values(), *archive["tickets"].values()]
                if str(d.get("source_id", "")).startswith("test:")]
    assert len(imported) == 30
    assert not list(data.glob(PREFIX + "*"))  # the staging is gone


def test_the_streamed_index_and_summary_are_those_built_from_the_tables(data):
    writer = _import(data, _tickets(20))
    store = writer.store
    writer.finish()
    writer.close()
    store.close()
    active, archive = _loaded(data)
    stamp = file_stamp(data / "archive.json")
    streamed = read_index(data / "archive-index.json", stamp)
    built = ArchiveIndex.parse(build_index(archive["tickets"], stamp), stamp)
    assert sorted(streamed.customers()) == sorted(built.customers())
    assert all(streamed.heads(c) == built.heads(c) for c in built.customers())
    assert list(streamed._ids) == list(built._ids)

    snapshot = data / "store.json"
    got = queue_summary.read(data, snapshot, data / "store.journal", store._lock.__class__(data / ".lock"))
    want = queue_summary._preview(queue_summary.build(active, file_stamp(snapshot)), b"",
                                  file_stamp(snapshot), str(snapshot))
    assert got is not None and sorted(got.entries) == sorted(want.entries)
    assert got.names == want.names


def test_an_import_never_loads_the_store(data, tmp_path):
    store = TinyDBStore(data, load=False)
    try:
        _, counts = import_file(store, lambda: _Source(tmp_path / "t.json", _tickets(12)),
                                skip_bad=False, landing=Landing(store, batch_size=5))
        assert counts.created == 12
        assert not store.loaded and not store.archive_loaded
    finally:
        store.close()
    assert not list(data.glob(PREFIX + "*"))  # the staging is gone


@pytest.mark.parametrize("dies_after", ["archive", "index", "active"])
def test_a_death_at_any_step_of_the_fold_leaves_a_sound_store_a_second_run_finishes(
        data, monkeypatch, dies_after):
    tickets = _tickets(15)
    writer = _import(data, tickets)
    expected = _loaded(data)
    store = writer.store

    class Died(Exception):
        pass

    import tui.core.store.tinydb.import_writer as module
    steps = {"archive": (store._archive, "replace_unloaded"),
             "index": (module, "write_archive_index"),
             "active": (store._active, "replace_unloaded")}
    owner, name = steps[dies_after]
    real = getattr(owner, name)

    def then_die(*args, **kwargs):
        real(*args, **kwargs)
        raise Died
    monkeypatch.setattr(owner, name, then_die)
    with pytest.raises(Died):
        writer.finish()
    writer.close()
    store.close()
    monkeypatch.undo()
    assert _loaded(data) == expected  # whatever step it died after
    store = TinyDBStore(data, load=False)
    try:
        _, again = import_file(store, lambda: _Source(data / "t.json", tickets), skip_bad=False)
        assert (again.created, again.updated, again.unchanged) == (0, 0, 15)
    finally:
        store.close()
    assert _loaded(data) == expected


def test_a_damaged_journal_line_stops_the_import_before_it_writes(data, tmp_path):
    agent = TinyDBStore(data, agent="kari")
    try:
        doc = next(d for d in agent.ticket_docs() if d["status"] == "open")
        agent.append_message(doc["id"], kind="public_reply", body="one")
        agent.append_message(doc["id"], kind="public_reply", body="two")
    finally:
        agent.close()
    journal = data / "store.journal"
    lines = journal.read_bytes().splitlines(keepends=True)
    lines[0] = lines[0][:20] + b"X" + lines[0][21:]
    journal.write_bytes(b"".join(lines))
    before = {p.name: p.read_bytes() for p in data.iterdir() if p.is_file()}
    store = TinyDBStore(data, load=False)
    try:
        with pytest.raises(StoreCorrupt, match=r"store\.journal: line 1 is damaged"):
            import_file(store, lambda: _Source(tmp_path / "t.json", _tickets(3)), skip_bad=False)
    finally:
        store.close()
    after = {p.name: p.read_bytes() for p in data.iterdir() if p.is_file()}
    assert after == before


def test_a_killed_imports_staging_is_removed_and_a_running_ones_kept(data):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    host = _owner_tag().split("@", 1)[1]
    stale, alive = data / f"{PREFIX}{gone}@{host}-x", data / f"{PREFIX}{os.getppid()}@{host}-y"
    elsewhere = data / f"{PREFIX}{gone}@another.host-z"  # a pid of another host says nothing here
    for path in (stale, alive, elsewhere):
        path.mkdir()
        (path / "docs.sqlite").write_bytes(b"left behind")
    Staging(data).close()
    assert not stale.exists() and alive.exists() and elsewhere.exists()


def test_a_reimport_that_changes_nothing_rewrites_no_file(data, tmp_path):
    tickets = _tickets(9)
    for run in range(2):
        store = TinyDBStore(data, load=False)
        try:
            _, counts = import_file(store, lambda: _Source(tmp_path / "t.json", tickets), skip_bad=False)
        finally:
            store.close()
        if run == 0:
            written = {p.name: os.stat(p).st_ino for p in data.iterdir() if p.is_file()}
    assert counts.unchanged == 9
    assert {p.name: os.stat(p).st_ino for p in data.iterdir() if p.is_file()} == written


def _damaged(data: Path, how: str, snapshot: str = "store.json") -> None:
    path = data / snapshot
    lines = path.read_bytes().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line == b'"tickets":{\n') + 5
    if how == "zeroed line":  # a block of zeros after a crash
        lines[at] = b"\0" * (len(lines[at]) - 1) + b"\n"
    elif how == "cut short":  # at a line's end
        lines = lines[:at]
    elif how == "empty":
        lines = []
    elif how == "null ticket":  # a ticket's document replaced by null
        lines[at] = lines[at].split(b":", 1)[0] + b":null,\n"
    elif how == "missing comma":  # a document line whose comma was lost (a hand edit)
        lines[at] = lines[at].rstrip(b",\n") + b"\n"
    elif how == "newer schema":
        lines = [line.replace(b'"schema":1', b'"schema":99') for line in lines]
    path.write_bytes(b"".join(lines))


@pytest.mark.parametrize(("snapshot", "how", "says"), [
    ("store.json", "zeroed line", "not valid JSON"), ("store.json", "cut short", "not valid JSON"),
    ("archive.json", "cut short", "not valid JSON"), ("store.json", "empty", "is empty"),
    ("store.json", "null ticket", "is not an object"), ("store.json", "missing comma", "not valid JSON"),
    ("store.json", "newer schema", "newer than this desk understands")])
def test_a_store_a_desk_would_refuse_to_open_the_import_refuses_too(data, tmp_path, snapshot, how, says):
    # The import reads the store as its own staging, not as a desk opens it: before these
    # checks, it folded a damaged snapshot into a valid one without the damaged documents.
    _damaged(data, how, snapshot)
    before = {p.name: p.read_bytes() for p in data.iterdir() if p.is_file()}
    store = TinyDBStore(data, load=False)
    try:
        with pytest.raises(StoreCorrupt, match=says):
            import_file(store, lambda: _Source(tmp_path / "t.json", _tickets(3)), skip_bad=False)
    finally:
        store.close()
    after = {p.name: p.read_bytes() for p in data.iterdir() if p.is_file()}
    assert [name for name in after if after[name] != before.get(name) and name != ".lock"] == []
    assert not list(data.glob(PREFIX + "*"))


def test_a_full_disk_under_the_staging_is_one_line_and_what_was_written_stands(tmp_path, monkeypatch, capsys):
    from tui.cli import main
    from tui.core.store.tinydb import staging as staging_module

    class FullAfterOneWrite:  # the staging's disk fills up once the first batch is in the journal
        def __init__(self, db):
            self._db, self._writes = db, 0

        def __getattr__(self, name):
            return getattr(self._db, name)

        def executemany(self, *args):
            self._writes += 1
            if self._writes > 1:
                raise sqlite3.OperationalError("database or disk is full")
            return self._db.executemany(*args)

    made = staging_module.Staging.__init__

    def init(self, data_dir):
        made(self, data_dir)
        self.db = FullAfterOneWrite(self.db)
    monkeypatch.setattr(staging_module.Staging, "__init__", init)
    csv = tmp_path / "t.csv"
    csv.write_text("id;subject;description;status;priority;channel;name;email;product;created;solved;csat\r\n"
                   "1;Hello;body;open;normal;email;Ann;ann@example.com;;2024-03-01T09:30:00+01:00;;\r\n")
    code = main(["import", "csv", str(csv), "--mapping", "generic", "--data-dir", str(tmp_path / "store")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "database or disk is full" in err, err
    monkeypatch.undo()
    assert main(["import", "csv", str(csv), "--mapping", "generic", "--data-dir", str(tmp_path / "store")]) == 0
    assert "0 new, 0 updated, 1 unchanged" in capsys.readouterr().out
