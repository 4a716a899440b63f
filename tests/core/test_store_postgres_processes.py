"""Several desk processes on one PostgreSQL store at once, on the same tickets: no change is
lost, none silently overwrites another, and every refusal is a ConflictError the writer saw
(issue 17's concurrency test: at the size of a quick test, then at full size)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

from tests.core.postgres_server import connect, postgres_schema, postgres_url  # noqa: F401
from tui.core.store import PostgresStore

PROCS = 3
ROUNDS = 10

WORKER = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    from tui.core.store import ConflictError, PostgresStore

    url, go, me, rounds = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    s = PostgresStore(url, agent=f"w{me}")
    while not go.exists():  # start together
        time.sleep(0.001)
    conflicts, inserted = 0, []
    for i in range(rounds):
        while True:  # a counter on the hot ticket: read its revision, write with it, retry
            hot = s.get_ticket("T-1")
            try:
                s.update_ticket("T-1", {"issue_key": str(int(hot.issue_key) + 1)}, hot.rev)
                break
            except ConflictError as exc:
                assert exc.current.rev > hot.rev
                conflicts += 1
        s.append_message("T-1", kind="internal_note", body=f"w{me} {i}")
        s.change_tags("T-2", add=[f"w{me}-{i}"], remove=[f"w{me}-{i - 1}"])
        if i % 5 == 0:
            inserted.append(s.insert_ticket(customer="C-1", subject=f"w{me} #{i}", body="x").id)
    s.close()
    print(json.dumps({"conflicts": conflicts, "inserted": inserted}))
""")


def test_writer_processes_lose_nothing_and_overwrite_nothing(postgres_schema, tmp_path):
    url = postgres_schema
    store = PostgresStore(url, agent="setup")
    store.load_records("customers", [{"id": "C-1", "name": "Ana Lima",
                                      "customer_since": "2020-01-01T00:00:00.000Z"}])
    store.insert_ticket(customer="C-1", subject="hot", body="x", issue_key="0")
    store.insert_ticket(customer="C-1", subject="tags", body="x")
    go = tmp_path / "go"
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, url, str(go), str(n), str(ROUNDS)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for n in range(PROCS)]
    go.touch()
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        results.append(json.loads(out))

    hot = store.get_ticket("T-1")
    assert int(hot.issue_key) == PROCS * ROUNDS  # not one increment lost
    assert len(hot.messages) == 1 + PROCS * ROUNDS
    assert Counter(m.body.split()[0] for m in hot.messages[1:]) == {f"w{n}": ROUNDS for n in range(PROCS)}
    assert hot.rev == 1 + 2 * PROCS * ROUNDS  # every write made exactly one revision
    assert store.get_ticket("T-2").tags == sorted(f"w{n}-{ROUNDS - 1}" for n in range(PROCS))
    inserted = [t for r in results for t in r["inserted"]]
    assert len(set(inserted)) == len(inserted) == PROCS * len(range(0, ROUNDS, 5))
    with connect(url) as conn:
        changes = conn.execute("SELECT count(*) FROM events WHERE ticket = 'T-1' AND type = "
                               "'field_change' AND event->'data'->>'field' = 'issue_key'").fetchone()[0]
    assert changes == PROCS * ROUNDS  # a refused change logged nothing
    store.close()


def test_thirty_two_agent_processes_x_300_mixed_actions_lose_nothing(tmp_path):
    """Issue 17's concurrency test at full size, the same run as tests/bench/bench_postgres.py's
    `concurrency` part (about 2.5 minutes on 2 CPUs): 32 processes each make 300 replies,
    status, priority and tag changes on 8 tickets they all share. Every revision a write was
    told is in the store exactly once, every reply, counter step and tag is there, and each
    conflict named a newer revision than the one the writer had read."""
    bench = str(Path(__file__).resolve().parents[1] / "bench")
    sys.path.insert(0, bench)
    try:
        from bench_postgres import concurrency  # noqa: PLC0415
    finally:
        sys.path.remove(bench)
    found = concurrency(postgres_url(), 32, 300, tmp_path)  # in a schema of its own
    assert found["writes"] == 32 * 300
    assert (found["lost"], found["silent_overwrites"], found["conflicts_without_newer_rev"]) == (0, 0, 0)
    assert found["checked_change_events"] == found["checked_changes"]  # a refused change logs nothing
    assert found["conflicts_reported"] > 0  # they did collide
