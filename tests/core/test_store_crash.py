"""kill -9 during writes (T9) and a journal cut at any byte (T10)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import orjson
import pytest

from tui.core.eventlog import ReadStats, read_events
from tui.core.fileio import parse_crc_line
from tui.core.models import SCHEMA_VERSION
from tui.core.store import TinyDBStore

TRIALS = 50           # each trial kills two concurrent writers: 100 kills
WRITERS = 2

# A writer: random one-ticket writes; after each call returns, one ack line in its ack file.
WRITER = textwrap.dedent("""
    import os, random, sys
    from pathlib import Path
    from tui.core.store import ConflictError, NotFound, TinyDBStore
    from tui.core.store.tinydb import store as tinydb_store

    tinydb_store.COMPACT_AT_BYTES = 48 * 1024   # compactions happen, and get killed too
    data, ack_path, seed = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    rng = random.Random(seed)
    ack = os.open(ack_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    s = TinyDBStore(data, agent=f"w{seed}")
    os.write(ack, b"READY\\n")
    n = 0
    while True:
        n += 1
        ids = [d["id"] for d in s.ticket_docs()]
        op = rng.random()
        if op < 0.25 or len(ids) < 5:
            t = s.insert_ticket(customer="C-1", subject=f"s{seed}-{n}", body="b" * rng.randint(10, 900))
            line = f"I {t.id} {t.rev}"
        else:
            tid = rng.choice(ids)
            try:
                cur = s.get_ticket(tid)
                if op < 0.55:
                    t = s.update_ticket(tid, {"issue_key": f"{seed}-{n}"}, cur.rev)
                    line = f"U {tid} {t.rev} {seed}-{n}"
                elif op < 0.8:
                    t = s.append_message(tid, kind="internal_note", body=f"m{seed}-{n} " + "x" * rng.randint(0, 600))
                    line = f"M {tid} {t.rev} {t.messages[-1].id}"
                elif op < 0.95:
                    t = s.change_tags(tid, add=[f"g{seed}-{n}"])
                    line = f"G {tid} {t.rev} g{seed}-{n}"
                else:
                    t = s.update_ticket(tid, {"status": "closed"}, cur.rev)
                    line = f"C {tid} {t.rev}"
            except (ConflictError, NotFound):
                continue  # the other writer got there first
        os.write(ack, (line + "\\n").encode())
""")


def seed_store(data: Path) -> None:
    data.mkdir(mode=0o770)
    (data / "store.json").write_bytes(orjson.dumps({
        "_meta": {"1": {"schema": SCHEMA_VERSION, "next": {"tickets": 1}}},
        "customers": {"1": {"id": "C-1", "name": "Søren Kjær",
                            "customer_since": "2020-01-01T00:00:00.000Z"}},
    }))


def read_acks(path: Path) -> list[list[str]]:
    """Complete ack lines only: a line cut by the kill was not acknowledged."""
    raw = path.read_bytes() if path.exists() else b""
    raw = raw[: raw.rfind(b"\n") + 1]
    return [line.split() for line in raw.decode().splitlines() if line != "READY"]


def wait_ready(paths: list[Path], procs: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + 60
    while not all(p.exists() and p.read_bytes().startswith(b"READY") for p in paths):
        for proc in procs:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        assert time.monotonic() < deadline, "writers never started"
        time.sleep(0.005)


def assert_no_corrupt_file(data: Path) -> None:
    for name in ("store", "archive"):
        snap = data / f"{name}.json"
        if snap.exists():
            assert isinstance(orjson.loads(snap.read_bytes()), dict), snap
        journal = data / f"{name}.journal"
        if journal.exists():
            raw = journal.read_bytes()
            complete = raw[: raw.rfind(b"\n") + 1]
            for line in complete.splitlines():  # only a torn final fragment may not parse
                parse_crc_line(line, require_crc=True)
    assert not list(data.glob(".*.desk-tmp"))  # removed at open


def verify(data: Path, acks: list[list[str]], new_acks: list[list[str]]) -> None:
    s = TinyDBStore(data)
    try:
        assert s.journal_problems() == []
        assert_no_corrupt_file(data)
        docs = {d["id"]: d for d in s.ticket_docs(include_archive=True)}
        for kind, tid, rev, *rest in acks:
            t = docs[tid]  # every acknowledged insert exists (active or archived)
            assert t["_rev"] >= int(rev), (kind, tid, rev)
            if kind == "M":
                assert rest[0] in {m["id"] for m in t["messages"]}
            elif kind == "G":
                assert rest[0] in t["tags"]
            elif kind == "C":
                assert t["status"] == "closed"
            elif kind == "U" and t["_rev"] == int(rev):
                assert t["issue_key"] == rest[0]
        for tid in {tid for _, tid, *_ in new_acks}:
            s.get_ticket(tid)  # and the ones this trial touched still validate
        s.insert_ticket(customer="C-1", subject="after the crash", body="ok")
    finally:
        s.close()
    created = {e["ticket"] for e in read_events([data / "events.jsonl"])
               if e["type"] == "ticket_created"}
    assert {tid for kind, tid, *_ in acks if kind == "I"} <= created


def test_kill_9_during_writes_loses_no_acknowledged_write(tmp_path: Path):
    data = tmp_path / "data"
    seed_store(data)
    rng = random.Random(20261122)
    all_acks: list[list[str]] = []
    for trial in range(TRIALS):
        ack_paths = [tmp_path / f"ack-{trial}-{w}" for w in range(WRITERS)]
        procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(data), str(ack),
                                   str(trial * WRITERS + w)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                 for w, ack in enumerate(ack_paths)]
        try:
            wait_ready(ack_paths, procs)
            for proc in procs:  # kill each at its own random moment
                time.sleep(rng.uniform(0.0, 0.15))
                assert proc.poll() is None, proc.stderr.read().decode()
                os.kill(proc.pid, signal.SIGKILL)
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
                proc.stderr.close()
        for proc in procs:
            assert proc.returncode == -signal.SIGKILL
        new_acks = [ack for path in ack_paths for ack in read_acks(path)]
        all_acks.extend(new_acks)
        verify(data, all_acks, new_acks)  # after every kill, against every ack so far
    assert len(all_acks) > TRIALS * 10  # the writers really wrote
    stats = ReadStats()
    read_events([data / "events.jsonl"], stats)
    # A kill can cut an event line; it is then dropped or skipped, never fatal.
    assert stats.torn_lines + stats.bad_lines <= TRIALS * WRITERS


# -- T10: the journal cut at any byte --------------------------------------------
@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[Path, bytes]:
    """A store whose whole history (inserts, updates, messages, a close) is in the journal."""
    data = tmp_path_factory.mktemp("t10") / "data"
    seed_store(data)
    s = TinyDBStore(data)
    for n in range(6):
        t = s.insert_ticket(customer="C-1", subject=f"ticket {n}", body="ø" * (50 * n))
        t = s.update_ticket(t.id, {"priority": "high", "issue_key": f"k{n}"}, t.rev)
        s.append_message(t.id, kind="public_reply", body=f"reply {n}")
        s.change_tags(t.id, add=[f"t{n}"])
    cur = s.get_ticket("T-2")
    s.update_ticket("T-2", {"status": "closed"}, cur.rev)
    s.close()
    return data, (data / "store.journal").read_bytes()


def replay_prefix(journal: bytes) -> tuple[dict, set[str]]:
    """The active tickets after the complete lines of `journal`, and every ticket id seen."""
    tickets: dict = {}
    seen: set[str] = set()
    for line in journal[: journal.rfind(b"\n") + 1].splitlines():
        for table, doc_id, doc in parse_crc_line(line, require_crc=True)["ops"]:
            if doc is not None and table in ("tickets", "_archive_outbox"):
                seen.add(doc["id"])
            if table == "tickets":
                if doc is None:
                    tickets.pop(doc_id, None)
                else:
                    tickets[doc_id] = doc
    return tickets, seen


def test_journal_cut_at_any_byte_opens_and_accepts_writes(written, tmp_path: Path):
    src, journal = written
    rng = random.Random(10)
    ends = [i + 1 for i, b in enumerate(journal) if b == ord("\n")]
    cuts = {0, len(journal)} | set(rng.sample(range(len(journal)), 120))
    cuts |= {e + d for e in ends for d in (-1, 0, 1) if 0 <= e + d <= len(journal)}
    # The archive copy is made after the close's outbox line and before the line that
    # empties the outbox: a cut before that line means a crash before the copy.
    copied_at = next(e for e, line in zip(ends, journal.splitlines())
                     if b'["_archive_outbox","2",null]' in line)
    for cut in sorted(cuts):
        data = tmp_path / f"cut-{cut}"
        shutil.copytree(src, data)
        (data / "store.journal").write_bytes(journal[:cut])
        if cut < copied_at:
            for name in ("archive.json", "archive.journal"):
                (data / name).unlink(missing_ok=True)
        expected, seen = replay_prefix(journal[:cut])
        s = TinyDBStore(data)
        try:
            assert s.journal_problems() == [], cut
            active = {d["id"]: d for d in s.ticket_docs()}
            assert active == {doc["id"]: doc for doc in expected.values()}, cut
            for tid in seen:  # a close in the prefix: moved to the archive, not lost
                assert s.get_ticket(tid).id == tid
            new = s.insert_ticket(customer="C-1", subject="after the cut", body="x")
            if active:
                first = sorted(active)[0]
                s.update_ticket(first, {"priority": "low"}, active[first]["_rev"])
        finally:
            s.close()
        raw = (data / "store.journal").read_bytes()
        assert raw.endswith(b"\n")
        for line in raw.splitlines():
            parse_crc_line(line, require_crc=True)
        s = TinyDBStore(data)
        try:
            assert s.get_ticket(new.id).subject == "after the cut"
            assert s.journal_problems() == []
        finally:
            s.close()
        shutil.rmtree(data)
