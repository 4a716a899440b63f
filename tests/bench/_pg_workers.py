"""The child processes of bench_postgres.py: agents on one PostgreSQL store.

- `mixed`: issue 17's concurrency test at full size: one agent's mixed actions (replies,
  status/priority changes with revision checks that also count a per-ticket counter, tag
  changes) on a few hot tickets every agent shares. Each write's returned revision is kept,
  so the parent can prove that no two writes claimed the same revision (a silent overwrite)
  and that none is missing (a lost write).
- `writer`: durable updates of random open tickets, timed from update_ticket's call to its
  return (the commit), as bench_store.py's desk writer times the TinyDB store.

Each child says "loaded" (bench_store.wait_go), waits until all have, prints one JSON line.
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

import bench_store as bs  # noqa: E402

STATUSES = ("open", "pending", "on_hold")
PRIORITIES = ("low", "normal", "high", "urgent")


def mixed(url: str, go: str, me: int, actions: int, hot: list[str]) -> dict:
    from tui.core.store import ConflictError, PostgresStore

    store = PostgresStore(url, agent=f"agent{me}")
    rng = random.Random(1000 + me)
    writes: list[list] = []  # [ticket, revision it read or None, revision it made, kind]
    done = {"reply": 0, "status": 0, "priority": 0, "tags": 0}
    conflicts, bad_conflicts, increments = 0, 0, {t: 0 for t in hot}
    last_tag: dict[str, str] = {}
    bs.wait_go(go, me)
    t0 = time.perf_counter()
    for i in range(actions):
        tid = rng.choice(hot)
        kind = rng.choices(("reply", "status", "priority", "tags"), (3, 2, 2, 3))[0]
        if kind == "reply":
            new = store.append_message(tid, kind="internal_note", body=f"agent{me} {i}")
            writes.append([tid, None, new.rev, kind])
        elif kind == "tags":
            tag = f"a{me}-{i}"
            old = [last_tag[tid]] if tid in last_tag else []
            new = store.change_tags(tid, add=[tag], remove=old)
            last_tag[tid] = tag
            writes.append([tid, None, new.rev, kind])
        else:
            while True:  # read, change with the revision read, retry on a reported conflict
                cur = store.get_ticket(tid)
                field = "status" if kind == "status" else "priority"
                pool = STATUSES if kind == "status" else PRIORITIES
                value = rng.choice([v for v in pool if v != getattr(cur, field)])
                try:
                    new = store.update_ticket(tid, {field: value,
                                                    "issue_key": str(int(cur.issue_key) + 1)}, cur.rev)
                except ConflictError as exc:
                    conflicts += 1
                    bad_conflicts += exc.current.rev <= cur.rev  # a refusal must show a newer rev
                    continue
                writes.append([tid, cur.rev, new.rev, kind])
                increments[tid] += 1
                break
        done[kind] += 1
    wall = time.perf_counter() - t0
    store.close()
    return {"me": me, "writes": writes, "done": done, "conflicts": conflicts,
            "bad_conflicts": bad_conflicts, "increments": increments, "last_tag": last_tag,
            "wall": wall}


def writer(url: str, go: str, me: int, updates: int, ids_file: str, rate: float = 0.0) -> dict:
    """`updates` read-then-update calls on random open tickets: back to back (rate 0), or
    paced at `rate` a second from a random phase, as an agent's clicks come."""
    from tui.core.store import ConflictError, PostgresStore

    ids = Path(ids_file).read_text().split()
    store = PostgresStore(url, agent=f"bench{me}")
    rng = random.Random(me)
    bs.wait_go(go, me)
    lat, conflicts, late = [], 0, 0
    t_start = time.perf_counter()
    phase = rng.random() / rate if rate else 0.0
    for i in range(updates):
        if rate:
            due = t_start + phase + i / rate
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            elif -wait > 1 / rate:
                late += 1  # a whole period behind: the writers are not keeping pace
        while True:
            tid = rng.choice(ids)
            cur = store.get_ticket(tid)
            t0 = time.perf_counter()
            try:
                store.update_ticket(tid, {"issue_key": f"b{me}-{i}"}, cur.rev)
            except ConflictError:
                conflicts += 1
                continue
            lat.append(time.perf_counter() - t0)
            break
    wall = time.perf_counter() - t_start
    store.close()
    return {"lat": lat, "wall": wall, "conflicts": conflicts, "late": late,
            "rss_mb": bs.maxrss_mb()}


if __name__ == "__main__":
    role, rest = sys.argv[1], sys.argv[2:]
    if role == "mixed":
        out = mixed(rest[0], rest[1], int(rest[2]), int(rest[3]), rest[4].split(","))
    else:
        out = writer(rest[0], rest[1], int(rest[2]), int(rest[3]), rest[4],
                     float(rest[5]) if len(rest) > 5 else 0.0)
    print(json.dumps(out))
