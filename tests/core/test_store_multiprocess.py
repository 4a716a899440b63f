"""Several writer processes on one store: exact counts, unique ids, valid files (T5, T6)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import orjson

from tui.core.eventlog import ReadStats, read_events
from tui.core.fileio import parse_crc_line
from tui.core.models import SCHEMA_VERSION
from tui.core.store import TinyDBStore

PROCS = 4
UPDATES = 200
INSERT_EVERY = 8  # 25 inserts per process, interleaved with the updates

WORKER = textwrap.dedent("""
    import json, os, sys, time
    from pathlib import Path
    from tui.core.store import ConflictError, TinyDBStore

    data, me, updates, insert_every = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    s = TinyDBStore(data, agent=f"w{me}")
    while not (data / "go").exists():   # start together
        time.sleep(0.001)
    own = s.insert_ticket(customer="C-1", subject=f"own of w{me}", body="mine", issue_key="0")
    inserted, conflicts = [own.id], 0
    for i in range(updates):
        while True:  # read rev, update with it, retry on conflict
            hot = s.get_ticket("T-1")
            try:
                s.update_ticket("T-1", {"issue_key": str(int(hot.issue_key) + 1)}, hot.rev)
                break
            except ConflictError as exc:
                assert exc.current.rev > hot.rev
                conflicts += 1
        mine = s.get_ticket(own.id)
        s.update_ticket(own.id, {"issue_key": str(int(mine.issue_key) + 1)}, mine.rev)
        if i % insert_every == insert_every - 1:
            inserted.append(s.insert_ticket(customer="C-1", subject=f"w{me} #{i}", body="x").id)
    s.close()
    print(json.dumps({"inserted": inserted, "own": own.id, "conflicts": conflicts}))
""")

APPENDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from tui.core.store import TinyDBStore

    data, me, count = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    s = TinyDBStore(data, agent=f"w{me}")
    while not (data / "go").exists():
        time.sleep(0.001)
    for i in range(count):
        kind = "internal_note" if i % 2 else "public_reply"
        s.append_message("T-1", kind=kind, body=f"w{me}:{i}")
        if i % 10 == 0:
            s.change_tags("T-1", add=[f"w{me}-{i}"])
    s.close()
    print("done")
""")


def seed(data: Path) -> None:
    data.mkdir(mode=0o770)
    (data / "store.json").write_bytes(orjson.dumps({
        "_meta": {"1": {"schema": SCHEMA_VERSION, "next": {"tickets": 2}}},
        "customers": {"1": {"id": "C-1", "name": "Aino Mäkelä",
                            "customer_since": "2020-01-01T00:00:00.000Z"}},
        "tickets": {"1": {"id": "T-1", "customer": "C-1", "subject": "hot ticket",
                          "status": "open", "priority": "normal", "channel": "email",
                          "issue_key": "0", "created": "2025-01-01T00:00:00Z",
                          "updated": "2025-01-01T00:00:00Z", "_rev": 1}},
    }))


def run_all(data: Path, script: str, *args: str) -> list[str]:
    procs = [subprocess.Popen([sys.executable, "-c", script, str(data), str(n), *args],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for n in range(PROCS)]
    (data / "go").touch()
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
        outs.append(out)
    return outs


def assert_files_valid(data: Path) -> None:
    """Every file parses: snapshots as JSON, every journal and event line with its CRC."""
    for name in ("store", "archive"):
        snap = data / f"{name}.json"
        if snap.exists():
            assert isinstance(orjson.loads(snap.read_bytes()), dict)
        journal = data / f"{name}.journal"
        if journal.exists():
            raw = journal.read_bytes()
            assert raw == b"" or raw.endswith(b"\n")
            for line in raw.splitlines():
                parse_crc_line(line, require_crc=True)
    stats = ReadStats()
    read_events([data / "events.jsonl"], stats)
    assert stats == ReadStats(torn_lines=0, bad_lines=0)


def test_hot_ticket_counter_exact_and_inserts_unique(tmp_path: Path):
    data = tmp_path / "data"
    seed(data)
    results = [json.loads(out) for out in run_all(data, WORKER, str(UPDATES), str(INSERT_EVERY))]

    inserted = [t for r in results for t in r["inserted"]]
    per_proc = 1 + UPDATES // INSERT_EVERY
    assert len(inserted) == PROCS * per_proc
    assert len(set(inserted)) == len(inserted)  # unique ids, none failed
    assert sorted(int(t[2:]) for t in inserted) == list(range(2, 2 + len(inserted)))

    s = TinyDBStore(data)
    try:
        hot = s.get_ticket("T-1")
        assert hot.issue_key == str(PROCS * UPDATES)  # exact: no lost update
        assert hot.rev == 1 + PROCS * UPDATES
        for r in results:
            own = s.get_ticket(r["own"])
            assert own.issue_key == str(UPDATES) and own.rev == 1 + UPDATES
        assert {d["id"] for d in s.ticket_docs()} == set(inserted) | {"T-1"}
        assert s.journal_problems() == []
    finally:
        s.close()
    assert_files_valid(data)

    # The event log has every update exactly once: field_change issue_key 1..800 on T-1.
    hot_values = Counter(e["data"]["value"] for e in read_events([data / "events.jsonl"])
                         if e["type"] == "field_change" and e["ticket"] == "T-1"
                         and e["data"]["field"] == "issue_key")
    assert hot_values == Counter(str(n) for n in range(1, PROCS * UPDATES + 1))


def test_concurrent_appends_lose_nothing(tmp_path: Path):
    data = tmp_path / "data"
    seed(data)
    count = 60
    run_all(data, APPENDER, str(count))
    s = TinyDBStore(data)
    try:
        t = s.get_ticket("T-1")
    finally:
        s.close()
    bodies = [m.body for m in t.messages]
    assert len(bodies) == PROCS * count
    for n in range(PROCS):  # each writer's messages all there, in its own order
        assert [b for b in bodies if b.startswith(f"w{n}:")] == [f"w{n}:{i}" for i in range(count)]
    assert len({m.id for m in t.messages}) == len(bodies)
    assert t.tags == sorted(f"w{n}-{i}" for n in range(PROCS) for i in range(0, count, 10))
    assert t.rev == 1 + PROCS * (count + count // 10)
    assert_files_valid(data)
    kinds = Counter(e["type"] for e in read_events([data / "events.jsonl"]))
    assert kinds["agent_reply"] == kinds["internal_note"] == PROCS * count // 2
