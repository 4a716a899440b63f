"""The store and its event log agree, and damage is never silent (issue 13, items 4 and 5)."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tui.cli import main
from tui.core import eventlog
from tui.core.check import check_store
from tui.core.demo import generate
from tui.core.eventlog import read_events
from tui.core.store import StoreCorrupt, StoreWriteError, TinyDBStore

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    generate(tmp_path / "data", tickets=6, seed=3)
    return tmp_path / "data"


def ticket_events(data: Path, ticket: str) -> list[str]:
    return [e["type"] for e in read_events([data / "events.jsonl"])
            if e.get("ticket") == ticket and e["stream"] == "ticket"]


def open_ticket(store: TinyDBStore) -> str:
    return next(d["id"] for d in store.ticket_docs() if d["status"] in ("new", "open"))


# -- a kill between the journal and the event log ---------------------------------------------
KILLED_AFTER_THE_JOURNAL = textwrap.dedent("""
    import os, sys
    from tui.core.store import TinyDBStore
    from tui.core.store.ticket_writes import TicketWrites
    TicketWrites._write_events = lambda self, events: os._exit(9)  # the kill: line durable, log not
    store = TinyDBStore(sys.argv[1], agent="ana")
    store.append_message(sys.argv[2], kind="public_reply", body="on its way")
""")


def kill_after_the_journal(data: Path, ticket: str) -> None:
    done = subprocess.run([sys.executable, "-c", KILLED_AFTER_THE_JOURNAL, str(data), ticket],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 9, done.stderr


def test_a_kill_between_journal_and_log_is_made_good_at_the_next_open(data):
    with _opened(data) as store:
        ticket = open_ticket(store)
    before = ticket_events(data, ticket)
    kill_after_the_journal(data, ticket)
    assert ticket_events(data, ticket) == before  # the change is durable, its event is not
    problems = check_store(data)
    assert any("missing from the log" in p.reason and ticket in p.record for p in problems)
    assert main(["check", "--data-dir", str(data)]) == 1
    with _opened(data) as store:
        assert store.get_ticket(ticket).messages[-1].body == "on its way"
    assert ticket_events(data, ticket) == [*before, "agent_reply"]
    with _opened(data):
        pass
    assert ticket_events(data, ticket) == [*before, "agent_reply"]  # written once
    assert not [p for p in check_store(data) if p.fatal]


def test_the_next_change_by_another_desk_writes_the_missing_event_first(data):
    with _opened(data) as store:
        ticket = open_ticket(store)
        kill_after_the_journal(data, ticket)
        store.append_message(ticket, kind="internal_note", body="checked")
    types = ticket_events(data, ticket)
    assert types[-2:] == ["agent_reply", "internal_note"]  # in the store's order


# -- a full disk while the events are written ---------------------------------------------------
def is_the_log(fd: int) -> bool:
    return os.readlink(f"/proc/self/fd/{fd}").endswith("events.jsonl")


def full_disk_after(monkeypatch, budget: list[int]) -> None:
    """os.write in the event log takes `budget[0]` more bytes, then fails with ENOSPC."""
    real = os.write

    def write(fd, data):
        if not is_the_log(fd):
            return real(fd, data)
        if budget[0] <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        chunk = bytes(data[: budget[0]])
        budget[0] -= len(chunk)
        return real(fd, chunk)

    monkeypatch.setattr(eventlog.os, "write", write)


def test_enospc_in_the_event_write_loses_no_event_and_tears_no_line(data, monkeypatch):
    with _opened(data) as store:
        ticket = open_ticket(store)
        before = ticket_events(data, ticket)
        size = (data / "events.jsonl").stat().st_size
        budget = [40]  # half a line gets out, then the disk is full
        full_disk_after(monkeypatch, budget)
        store.append_message(ticket, kind="public_reply", body="acknowledged")  # durable
        assert (data / "events.jsonl").stat().st_size == size  # the half line was cut back
        with pytest.raises(StoreWriteError, match="event log"):  # still full: refused
            store.append_message(ticket, kind="internal_note", body="refused")
        assert [m.body for m in store.get_ticket(ticket).messages][-1] == "acknowledged"
        budget[0] = 10**9  # space again
        store.append_message(ticket, kind="internal_note", body="after")
    raw = (data / "events.jsonl").read_bytes()
    assert raw.endswith(b"\n")
    assert ticket_events(data, ticket) == [*before, "agent_reply", "internal_note"]


def test_a_short_write_is_finished_not_ignored(data, monkeypatch):
    real = os.write
    monkeypatch.setattr(eventlog.os, "write",
                        lambda fd, b: real(fd, bytes(b[:7]) if is_the_log(fd) else b))
    with _opened(data) as store:
        ticket = open_ticket(store)
        store.append_message(ticket, kind="public_reply", body="slowly")
    monkeypatch.undo()
    assert ticket_events(data, ticket)[-1] == "agent_reply"
    assert (data / "events.jsonl").read_bytes().endswith(b"\n")


# -- damage is an error, and only an explicit repair gets past it ---------------------------------
def three_changes(data: Path) -> str:
    with _opened(data) as store:
        ticket = open_ticket(store)
        for body in ("one", "two", "three"):
            store.append_message(ticket, kind="internal_note", body=body)
    return ticket


def damage_line(journal: Path, number: int) -> bytes:
    raw = journal.read_bytes()
    lines = raw.split(b"\n")
    lines[number - 1] = lines[number - 1].replace(b"two", b"TWO")  # the CRC no longer fits
    journal.write_bytes(b"\n".join(lines))
    return journal.read_bytes()


def test_a_bad_crc_mid_journal_stops_desk_naming_file_and_line(data):
    three_changes(data)
    damaged = damage_line(data / "store.journal", 2)
    with pytest.raises(StoreCorrupt, match=r"store\.journal: line 2 is damaged"):
        TinyDBStore(data, agent="ana")
    assert (data / "store.journal").read_bytes() == damaged  # nothing dropped, nothing compacted
    problems = [p for p in check_store(data) if p.fatal]
    assert [(Path(p.file).name, p.record) for p in problems] == [("store.journal", "line 2")]
    assert (data / "store.journal").read_bytes() == damaged


def test_a_damaged_line_found_by_a_running_desk_stops_its_reads(data):
    ticket = three_changes(data)
    with _opened(data) as store:
        store.get_ticket(ticket)
        with open(data / "store.journal", "ab") as fh:
            fh.write(b"0badc0de {\"ops\": []}\n")
        with pytest.raises(StoreCorrupt, match="line 4 is damaged"):
            store.get_ticket(ticket)
        with pytest.raises(StoreCorrupt):
            store.compact()


def test_check_repair_sets_the_line_aside_after_a_backup(data, capsys):
    ticket = three_changes(data)
    damaged = damage_line(data / "store.journal", 3)
    assert main(["check", "--data-dir", str(data), "--repair"]) == 0
    out = capsys.readouterr().out
    assert "set aside 1 damaged line(s) (line 3)" in out
    backups = list(data.glob("store.journal.damaged-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == damaged
    with _opened(data) as store:
        bodies = [m.body for m in store.get_ticket(ticket).messages]
    assert bodies[-2:] == ["one", "two"]  # lines hold whole tickets: only line 3's change went


def test_an_empty_snapshot_is_an_error_not_an_empty_store(data):
    (data / "store.json").write_bytes(b"")
    with pytest.raises(StoreCorrupt, match=r"store\.json: is empty \(0 bytes\)"):
        TinyDBStore(data, agent="ana")
    assert main(["check", "--data-dir", str(data)]) == 1
    assert (data / "store.json").read_bytes() == b""


def test_check_refuses_a_revision_that_is_a_string(data):
    tables = json.loads((data / "store.json").read_bytes())
    doc = next(iter(tables["tickets"].values()))
    doc["_rev"] = "7"
    (data / "store.json").write_text(json.dumps(tables))
    problems = [p for p in check_store(data) if p.fatal]
    assert [(p.record, p.field) for p in problems] == [(doc["id"], "_rev")]


def test_check_finds_a_key_written_twice(data):
    raw = (data / "store.json").read_bytes()
    first = raw.index(b'"subject":')
    forged = raw[:first] + b'"subject":"forged",' + raw[first:]
    (data / "store.json").write_bytes(forged)
    problems = [p for p in check_store(data) if p.fatal]
    assert [(Path(p.file).name, p.field) for p in problems] == [("store.json", "subject")]


class _opened:
    def __init__(self, data: Path):
        self.store = TinyDBStore(data, agent="ana")

    def __enter__(self) -> TinyDBStore:
        return self.store

    def __exit__(self, *exc) -> None:
        self.store.close()
