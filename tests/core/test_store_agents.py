"""Eight agents on one store (issue 5): mixed actions on overlapping tickets, nothing lost."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections import defaultdict

import orjson

from tui.core.check import check_store
from tui.core.demo import generate
from tui.core.eventlog import ReadStats, read_events
from tui.core.store import TinyDBStore

AGENTS = 8
ACTIONS = 500
HOT_TICKETS = 6

AGENT = textwrap.dedent("""
    import json, random, sys, time
    from pathlib import Path
    from tui.core.store import ConflictError, TinyDBStore

    data, me, actions, tickets = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].split(",")
    rng = random.Random(me)
    store = TinyDBStore(data, agent=f"agent{me}")
    while not (data / "go").exists():
        time.sleep(0.001)
    done = {"messages": [], "tags": [], "status": [], "conflicts": 0}
    for i in range(actions):
        ticket = rng.choice(tickets)
        kind = rng.random()
        if kind < 0.4:
            t = store.append_message(ticket, kind="public_reply", body=f"agent{me} reply {i}")
            done["messages"].append([ticket, t.messages[-1].id])
        elif kind < 0.7:
            tag = f"a{me}-{i}"
            store.change_tags(ticket, add=[tag])
            done["tags"].append([ticket, tag])
        else:
            seen = store.get_ticket(ticket)
            target = rng.choice([s for s in ("open", "pending", "on_hold") if s != seen.status])
            if rng.random() < 0.3:
                time.sleep(0.002)  # an agent who reads, thinks, then acts
            try:
                t = store.update_ticket(ticket, {"status": target}, seen.rev)
                done["status"].append([ticket, t.rev, target])
            except ConflictError as exc:
                assert exc.current.rev > seen.rev
                done["conflicts"] += 1
    store.close()
    print(json.dumps(done))
""")


def test_eight_agents_lose_nothing_and_every_conflict_is_reported(tmp_path):
    generate(tmp_path, tickets=40, seed=5)
    store = TinyDBStore(tmp_path, agent="setup")
    hot = [d["id"] for d in store.ticket_docs() if d["status"] == "open"][:HOT_TICKETS]
    assert len(hot) == HOT_TICKETS
    procs = [subprocess.Popen([sys.executable, "-c", AGENT, str(tmp_path), str(n), str(ACTIONS), ",".join(hot)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for n in range(AGENTS)]
    (tmp_path / "go").touch()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
        results.append(json.loads(out))

    fresh = TinyDBStore(tmp_path, agent="auditor")
    tickets = {t: fresh.get_ticket(t) for t in hot}
    # 0 lost messages, 0 lost tags
    for result in results:
        for ticket, message_id in result["messages"]:
            assert message_id in {m.id for m in tickets[ticket].messages}
        for ticket, tag in result["tags"]:
            assert tag in tickets[ticket].tags
    # 0 silently overwritten fields: every acknowledged status write has its own revision,
    # and the status history in the log is one unbroken chain ending at the stored status.
    revs = defaultdict(list)
    for result in results:
        for ticket, rev, _ in result["status"]:
            revs[ticket].append(rev)
    assert all(len(r) == len(set(r)) for r in revs.values())
    stats = ReadStats()
    events = read_events([tmp_path / "events.jsonl"], stats)
    assert stats.bad_lines == 0 and stats.torn_lines == 0
    for ticket in hot:
        changes = [e["data"] for e in events if e.get("ticket") == ticket and e["type"] == "status_change"]
        by_agents = [e for e in events if e.get("ticket") == ticket and e["type"] == "status_change"
                     and e.get("agent", "").startswith("agent")]
        acknowledged = sum(1 for r in results for t, _, _ in r["status"] if t == ticket)
        assert len(by_agents) == acknowledged
        for before, after in zip(changes, changes[1:]):
            assert after["from"] == before["to"]
        if changes:
            assert changes[-1]["to"] == tickets[ticket].status
    assert sum(r["conflicts"] for r in results) > 0  # they did collide, and were told
    # valid files
    assert [p for p in check_store(tmp_path) if p.fatal] == []
    orjson.loads((tmp_path / "store.json").read_bytes())
