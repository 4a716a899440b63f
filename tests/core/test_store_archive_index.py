"""The archive index: customer histories without loading the archive (issue 6)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.core.check import check_store
from tui.core.fileio import crc_line
from tui.core.loyalty import outcome
from tui.core.models import SCHEMA_VERSION, Ticket
from tui.core.store import TinyDBStore
from tui.core.store.base import TicketHead
from tui.core.store.tinydb import archive as tinydb_archive
from tui.core.store.tinydb.archive_index import (
    INDEX_FILE,
    ArchiveIndex,
    IndexUnusable,
    build_index,
    head_of,
    read_index,
    snapshot_stamp,
)

TS = "2025-06-01T09:00:00.000Z"


def seed(data: Path, *, archive: dict | None = None) -> Path:
    """A store in the bulk format (as `desk demo` writes it): no index beside the archive."""
    data.mkdir(mode=0o770, exist_ok=True)
    tables = {
        "_meta": {"1": {"schema": SCHEMA_VERSION, "next": {"tickets": 10}}},
        "customers": {str(n): {"id": f"C-{n}", "name": f"Customer {n}",
                               "customer_since": "2020-01-01T00:00:00.000Z"} for n in (1, 2, 3)},
        "products": {}, "purchases": {}, "tickets": {},
    }
    (data / "store.json").write_bytes(orjson.dumps(tables))
    if archive is not None:
        (data / "archive.json").write_bytes(orjson.dumps({"tickets": archive}))
    return data


def archived_doc(number: int, customer: str = "C-1", **extra) -> dict:
    return {"id": f"T-{number}", "customer": customer, "subject": f"Ticket {number}",
            "status": "closed", "created": f"2025-06-{number:02d}T09:00:00.000Z", "updated": TS,
            "resolution_code": "fixed", "_rev": 3,
            "messages": [{"id": f"M-{number}", "author_kind": "customer", "author": customer,
                          "kind": "customer_message", "body": "x" * 200, "created": TS}],
            **extra}


def past(history) -> list[tuple]:
    """What the customer pane shows of each past ticket."""
    return [(t.id, t.subject, str(t.status), outcome(t), t.created,
             t.satisfaction and (t.satisfaction.score, t.satisfaction.comment))
            for t in history.tickets]


def full_history(data: Path, customer: str) -> list[tuple]:
    """The same, from whole tickets read through the loaded archive (what desk did before)."""
    s = TinyDBStore(data)
    try:
        ids = {d["id"] for d in s.ticket_docs(include_archive=True) if d["customer"] == customer}
        tickets = sorted((s.get_ticket(i) for i in ids), key=lambda t: t.created, reverse=True)
        assert s.archive_loaded
        return [(t.id, t.subject, str(t.status), outcome(t), t.created,
                 t.satisfaction and (t.satisfaction.score, t.satisfaction.comment))
                for t in tickets]
    finally:
        s.close()


def history_of(data: Path, customer: str) -> list[tuple]:
    s = TinyDBStore(data)
    try:
        return past(s.customer_history(customer))
    finally:
        s.close()


def index_of(data: Path) -> ArchiveIndex:
    return read_index(data / INDEX_FILE, snapshot_stamp(data / "archive.json"))


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return seed(tmp_path / "data", archive={
        "1": archived_doc(1, satisfaction={"score": 2, "comment": "slow", "date": TS}),
        "2": archived_doc(2, resolution_code=None),
        "3": archived_doc(3, customer="C-2"),
    })


# -- the index file ------------------------------------------------------------
def test_compaction_writes_an_index_of_the_archive_snapshot(data: Path):
    s = TinyDBStore(data, agent="alice")
    t = s.insert_ticket(customer="C-3", subject="Fan noise", body="Loud.")
    s.update_ticket(t.id, {"status": "closed", "resolution_code": "replaced"}, t.rev)
    s.compact()
    s.close()
    snapshot = orjson.loads((data / "archive.json").read_bytes())["tickets"]
    index = index_of(data)
    assert sorted(index.customers()) == ["C-1", "C-2", "C-3"]
    for customer in index.customers():
        assert index.heads(customer) == {i: head_of(d) for i, d in snapshot.items()
                                         if d["customer"] == customer}
    assert all("messages" not in h for c in index.customers() for h in index.heads(c).values())


heads_st = st.dictionaries(
    st.integers(1, 10_000).map(str),
    st.fixed_dictionaries({
        "customer": st.sampled_from(["C-1", "C-2", "C-10", "C-\u00e6\u2028"]),
        "subject": st.text(max_size=30),
        "status": st.sampled_from(["closed", "solved"]),
        "messages": st.lists(st.fixed_dictionaries({"body": st.text(max_size=20)}), max_size=2),
    }, optional={"satisfaction": st.fixed_dictionaries({"score": st.integers(1, 5),
                                                       "comment": st.text(max_size=10)})}),
    max_size=30)


@settings(max_examples=60, deadline=None)
@given(docs=heads_st, stamp=st.lists(st.integers(0, 2**62), min_size=3, max_size=3))
def test_index_holds_every_ticket_without_its_thread(docs, stamp):
    index = ArchiveIndex.parse(build_index(docs, stamp), stamp)
    for customer in {d["customer"] for d in docs.values()} | {"C-404"}:
        assert index.heads(customer) == {i: head_of(d) for i, d in docs.items()
                                         if d["customer"] == customer}


def test_index_of_another_snapshot_is_not_trusted():
    raw = build_index({"1": archived_doc(1)}, [1, 2, 3])
    with pytest.raises(IndexUnusable, match="out of date"):
        ArchiveIndex.parse(raw, [1, 2, 4])


# -- customer_history without the archive ---------------------------------------
def test_history_of_an_old_store_builds_the_index_once(data: Path):
    expected = full_history(data, "C-1")
    s = TinyDBStore(data)
    try:
        assert not s.archive_index_ready and not (data / INDEX_FILE).exists()
        history = s.customer_history("C-1")
        assert past(history) == expected and [t.id for t in history.tickets] == ["T-2", "T-1"]
        assert all(isinstance(t, TicketHead) and t.archived for t in history.tickets)
        assert not s.archive_loaded  # read once to build the index, then let go
        assert s.archive_index_ready and index_of(data).heads("C-2")
    finally:
        s.close()
    again = TinyDBStore(data)
    try:
        assert again.archive_index_ready
        assert past(again.customer_history("C-1")) == expected and not again.archive_loaded
    finally:
        again.close()


@pytest.mark.parametrize("copy", ["copy2", "edited"])
def test_a_copied_store_keeps_its_index_but_an_edited_archive_does_not(data: Path, tmp_path: Path,
                                                                       copy: str):
    """A backup restored or a store copied with its times (`cp -p`) is a new inode with the
    same content: the index still holds. A changed archive of the same size does not."""
    import shutil

    TinyDBStore(data).close()
    history_of(data, "C-1")  # builds the index
    copied = tmp_path / "copied"
    shutil.copytree(data, copied)  # copy2: contents and modification times
    if copy == "edited":
        archive = copied / "archive.json"
        raw = archive.read_bytes()
        stat = archive.stat()
        archive.write_bytes(raw.replace(b"Ticket 1", b"Ticket 9"))
        import os
        os.utime(archive, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    s = TinyDBStore(copied)
    try:
        assert s.archive_index_ready is (copy == "copy2")
    finally:
        s.close()


def test_history_replays_the_archive_journal_and_the_outbox_without_loading(data: Path):
    history_of(data, "C-1")  # the index of archive.json
    reader = TinyDBStore(data)
    reader.customer_history("C-1")
    writer = TinyDBStore(data, agent="alice")
    # Archived since the snapshot (archive journal), and an archived ticket changed.
    a = writer.insert_ticket(customer="C-1", subject="Printer jams", body="Paper.")
    writer.update_ticket(a.id, {"status": "closed", "resolution_code": "advice"}, a.rev)
    writer.rate("T-2", 5, "great")
    writer.update_ticket("T-3", {"customer": "C-1"}, 3)  # moved to another customer
    # A close whose copy to the archive a crash interrupted: only the outbox holds it.
    b = writer.insert_ticket(customer="C-1", subject="Cable frayed", body="Sparks.")
    writer.close()
    moved = {**b.to_doc(), "status": "closed", "resolution_code": "replaced", "_rev": b.rev + 1}
    with open(data / "store.journal", "ab") as fh:
        fh.write(crc_line({"ops": [["tickets", str(b.number), None],
                                   ["_archive_outbox", str(b.number), moved]]}))
    try:
        history = reader.customer_history("C-1")
        assert not reader.archive_loaded
        assert {t.id for t in history.tickets} == {"T-1", "T-2", "T-3", a.id, b.id}
        assert past(history) == full_history(data, "C-1")
        assert [t.id for t in reader.customer_history("C-2").tickets] == []
        by_id = {t.id: t for t in history.tickets}
        assert by_id["T-2"].satisfaction.score == 5 and outcome(by_id[b.id]) == "replaced"
    finally:
        reader.close()


def test_history_mixes_active_and_archived_newest_first(data: Path):
    s = TinyDBStore(data, agent="alice")
    try:
        open_one = s.insert_ticket(customer="C-1", subject="Still open", body="Hi.")
        history = s.customer_history("C-1")
        assert [(t.id, t.archived) for t in history.tickets] == [
            (open_one.id, False), ("T-2", True), ("T-1", True)]
        assert not s.archive_loaded
        # Opening an archived one reads the archive, as before, and has the thread.
        assert s.get_ticket("T-1").messages and s.archive_loaded
    finally:
        s.close()


def test_archive_size_is_known_before_it_is_read(data: Path):
    s = TinyDBStore(data)
    try:
        assert s.archive_bytes == (data / "archive.json").stat().st_size and not s.archive_loaded
        s.search("Ticket", include_archive=True)
        assert s.archive_loaded
    finally:
        s.close()


def test_ticket_head_has_every_ticket_field_but_the_thread():
    assert set(TicketHead.model_fields) == set(Ticket.model_fields) - {"messages"} | {"archived"}


# -- never trusted when stale or damaged -----------------------------------------
def test_index_left_stale_by_a_crash_during_compaction_is_rebuilt(data: Path, monkeypatch):
    s = TinyDBStore(data, agent="alice")
    s.customer_history("C-1")  # an index of the first archive.json
    t = s.insert_ticket(customer="C-1", subject="Router drops", body="Hourly.")
    s.update_ticket(t.id, {"status": "closed"}, t.rev)

    def killed(path, data):  # the process dies after the new archive.json, before the index
        raise KeyboardInterrupt

    monkeypatch.setattr(tinydb_archive, "atomic_write", killed)
    with pytest.raises(KeyboardInterrupt):
        s.compact()
    s.close()
    monkeypatch.undo()
    assert not (data / "archive.journal").read_bytes()  # T-4 is only in the new snapshot
    with pytest.raises(IndexUnusable, match="out of date"):
        index_of(data)
    warnings = [p for p in check_store(data) if INDEX_FILE in p.file]
    assert warnings and not any(p.fatal for p in warnings)
    fresh = TinyDBStore(data)
    try:
        assert past(fresh.customer_history("C-1")) == full_history(data, "C-1")
        assert t.id in {x.id for x in fresh.customer_history("C-1").tickets}
        assert index_of(data).heads("C-1")[str(t.number)]["status"] == "closed"
        assert not fresh.archive_loaded
    finally:
        fresh.close()
    assert [p for p in check_store(data) if INDEX_FILE in p.file] == []


DAMAGE = {
    "empty": lambda raw: b"",
    "truncated": lambda raw: raw[: len(raw) - 7],
    "byte flipped in the body": lambda raw: raw[:-20] + bytes([raw[-20] ^ 0x20]) + raw[-19:],
    "header garbage": lambda raw: b"not an index\n" + raw.split(b"\n", 1)[1],
    "not json at all": lambda raw: b"\x00\xff" * 50,
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_index_is_a_warning_and_is_rebuilt(data: Path, damage: str):
    history_of(data, "C-1")
    path = data / INDEX_FILE
    path.write_bytes(DAMAGE[damage](path.read_bytes()))
    problems = check_store(data)
    assert [p.fatal for p in problems if p.file == str(path)] == [False]
    assert [p for p in problems if p.fatal] == []
    s = TinyDBStore(data)
    try:
        assert past(s.customer_history("C-1")) == full_history(data, "C-1")
        assert not s.archive_loaded and index_of(data).heads("C-2")
    finally:
        s.close()
    assert [p for p in check_store(data) if p.file == str(path)] == []


def test_check_reports_an_intact_index_that_disagrees_with_the_archive(data: Path):
    history_of(data, "C-1")
    wrong = {"1": archived_doc(1, subject="Something else"), "3": archived_doc(3, customer="C-2")}
    (data / INDEX_FILE).write_bytes(build_index(wrong, snapshot_stamp(data / "archive.json")))
    problems = [p for p in check_store(data) if INDEX_FILE in p.file]
    assert len(problems) == 1 and not problems[0].fatal and problems[0].record.startswith("C-1,")


def test_check_reports_an_index_that_does_not_list_an_archived_ticket(data: Path):
    history_of(data, "C-1")
    raw = (data / INDEX_FILE).read_bytes()
    header, body = raw.split(b"\n", 1)
    fields = orjson.loads(header.split(b" ", 1)[1])
    fields["ids"] = [3]
    (data / INDEX_FILE).write_bytes(crc_line(fields) + body)
    problems = [p for p in check_store(data) if INDEX_FILE in p.file]
    assert len(problems) == 1 and not problems[0].fatal and "ticket ids" in problems[0].record


def test_check_still_validates_every_archived_ticket_in_full(data: Path):
    history_of(data, "C-1")
    archive = orjson.loads((data / "archive.json").read_bytes())
    archive["tickets"]["2"]["messages"][0]["kind"] = "shout"
    (data / "archive.json").write_bytes(orjson.dumps(archive))
    problems = check_store(data)
    assert any(p.fatal and p.record == "T-2" and p.field.startswith("messages") for p in problems)


def test_index_that_cannot_be_written_is_used_from_memory(data: Path, monkeypatch):
    def disk_full(path, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tinydb_archive, "atomic_write", disk_full)
    s = TinyDBStore(data)
    try:
        assert past(s.customer_history("C-1")) == full_history(data, "C-1")
        assert past(s.customer_history("C-2"))[0][0] == "T-3"
        assert not (data / INDEX_FILE).exists() and not s.archive_loaded
    finally:
        s.close()


# -- closing without reading the archive ----------------------------------------
def test_close_appends_to_the_archive_without_reading_it(data: Path):
    history_of(data, "C-1")  # the index exists
    s = TinyDBStore(data, agent="alice")
    try:
        t = s.insert_ticket(customer="C-1", subject="Fan noise", body="Loud.")
        s.update_ticket(t.id, {"status": "closed", "resolution_code": "replaced"}, t.rev)
        u = s.insert_ticket(customer="C-2", subject="Logged call", body="Done.", status="closed")
        assert not s.archive_loaded and s.ticket_docs() == []
        assert {x.id for x in s.customer_history("C-1").tickets} == {"T-1", "T-2", t.id}
    finally:
        s.close()
    assert history_of(data, "C-2") == full_history(data, "C-2")
    assert u.id in {x[0] for x in history_of(data, "C-2")}
    assert [p for p in check_store(data) if p.fatal or INDEX_FILE in p.file] == []


@pytest.mark.parametrize("compacted", [False, True])
def test_a_move_copied_before_a_crash_is_not_copied_again_over_newer_changes(data: Path,
                                                                            compacted: bool):
    """The outbox line of a finished move survived a crash; the archived ticket was rated
    since. The next close must not copy the stale outbox document over it (a lost update),
    whether the archived copy is in the archive journal or (compacted) only in archive.json,
    where the index cannot tell its revision: the store then reads the archive."""
    w = TinyDBStore(data, agent="alice")
    t = w.insert_ticket(customer="C-1", subject="Router", body="Drops.")
    closed = w.update_ticket(t.id, {"status": "closed"}, t.rev)
    w.rate(t.id, 4, "good")
    if compacted:
        w.compact()
    other = w.insert_ticket(customer="C-1", subject="Kettle", body="Whistles.")
    w.close()
    r = TinyDBStore(data, agent="bob")
    r.customer_history("C-1")  # the index is read (and written, if missing)
    with open(data / "store.journal", "ab") as fh:  # the surviving outbox line
        fh.write(crc_line({"ops": [["_archive_outbox", str(t.number), closed.to_doc()]]}))
    try:
        r.update_ticket(other.id, {"status": "closed"}, other.rev)
        assert r.archive_loaded == compacted
        assert r.get_ticket(t.id).satisfaction.score == 4
    finally:
        r.close()
    fresh = TinyDBStore(data)
    try:
        assert fresh.get_ticket(t.id).satisfaction.score == 4
        assert fresh.get_ticket(other.id).status == "closed"
        assert not fresh._active.tables.get("_archive_outbox")
    finally:
        fresh.close()


def test_a_torn_archive_journal_line_is_cut_before_the_next_move(data: Path):
    history_of(data, "C-1")
    with open(data / "archive.journal", "ab") as fh:
        fh.write(b'0badc0de {"ops": [["tickets", "9", {"id"')  # a writer died mid-line
    s = TinyDBStore(data, agent="alice")
    try:
        t = s.insert_ticket(customer="C-1", subject="Fan noise", body="Loud.")
        s.update_ticket(t.id, {"status": "closed"}, t.rev)
        assert not s.archive_loaded
    finally:
        s.close()
    raw = (data / "archive.journal").read_bytes()
    assert raw.count(b"\n") == 1 and raw.endswith(b"\n") and b"0badc0de" not in raw
    assert t.id in {x[0] for x in history_of(data, "C-1")}
    assert [p for p in check_store(data) if p.fatal] == []


def test_the_app_s_repository_passes_the_archive_state_through(data: Path):
    from tui.core.serialized import SerializedRepository

    repo = SerializedRepository(TinyDBStore(data))
    try:
        assert not repo.archive_index_ready and not repo.archive_loaded
        assert repo.archive_bytes == (data / "archive.json").stat().st_size
        assert [t.id for t in repo.customer_history("C-1").tickets] == ["T-2", "T-1"]
        assert repo.archive_index_ready and not repo.archive_loaded
        repo.get_ticket("T-1")
        assert repo.archive_loaded
    finally:
        repo.close()


def test_a_move_interrupted_by_a_crash_is_finished_at_open_without_reading_the_archive(data):
    history_of(data, "C-1")
    s = TinyDBStore(data, agent="alice")
    t = s.insert_ticket(customer="C-2", subject="Fan noise", body="Loud.")
    s.close()
    moved = {**t.to_doc(), "status": "closed", "_rev": t.rev + 1}
    with open(data / "store.journal", "ab") as fh:  # the close's outbox line, then the kill
        fh.write(crc_line({"ops": [["tickets", str(t.number), None],
                                   ["_archive_outbox", str(t.number), moved]]}))
    s = TinyDBStore(data)
    try:
        assert not s.archive_loaded and not s._active.tables.get("_archive_outbox")
        assert [x.id for x in s.customer_history("C-2").tickets] == [t.id, "T-3"]
    finally:
        s.close()
    assert b'"T-%d"' % t.number in (data / "archive.journal").read_bytes()
    assert history_of(data, "C-2") == full_history(data, "C-2")
