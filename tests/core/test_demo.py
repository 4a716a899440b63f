"""The demo generator: deterministic, complete, multilingual and consistent with its log."""

from collections import Counter
from datetime import datetime, timedelta, timezone

import orjson

from tui.core.check import check_store
from tui.core.demo import ANCHOR, copy_demo, generate
from tui.core.eventlog import read_events
from tui.core.paths import demo_store
from tui.core.store import TinyDBStore


def test_same_seed_gives_the_same_store(tmp_path):
    generate(tmp_path / "a", tickets=60, seed=3)
    generate(tmp_path / "b", tickets=60, seed=3)
    for name in ("store.json", "archive.json", "events.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_shipped_demo_store_is_valid_and_complete():
    demo = demo_store()
    assert [p for p in check_store(demo) if p.fatal] == []
    store = TinyDBStore(demo, agent="tester")
    try:
        docs = store.ticket_docs(include_archive=True)
        assert len(docs) == 300
        assert len(store.customers()) == 120
        assert len(store.products()) == 15
        assert len(store.purchases()) == 600
        assert set(Counter(d["status"] for d in docs)) == {"new", "open", "pending", "on_hold", "solved", "closed"}
        assert set(Counter(d["channel"] for d in docs)) == {"email", "phone", "chat", "web", "social", "in_person"}
        assert set(Counter(d["priority"] for d in docs)) == {"low", "normal", "high", "urgent"}
        kinds = Counter(m["kind"] for d in docs for m in d["messages"])
        assert set(kinds) == {"customer_message", "public_reply", "internal_note", "call_log"}
        assert {c.language for c in store.customers()} == {"en", "nb", "fi", "cs", "da", "ro"}
        assert any(d.get("satisfaction") for d in docs)
        assert any("reopened" in d["tags"] for d in docs)
        per_customer = Counter(d["customer"] for d in docs)
        assert max(per_customer.values()) >= 6 and min(per_customer.values()) == 1
        text = " ".join(d["subject"] for d in docs)
        assert "vânzări" in text and "Kundetilfredshed" in text
    finally:
        store.close()


def test_event_log_matches_the_tickets(tmp_path):
    generate(tmp_path, tickets=80, seed=11)
    events = read_events([tmp_path / "events.jsonl"])
    created = {e["ticket"] for e in events if e["type"] == "ticket_created"}
    assert len(created) == 80
    assert all(e["ts"] <= "2026-11-20T12:00:00.000Z" for e in events)
    last_status = {}
    for e in sorted(events, key=lambda e: e["ts"]):
        if e["type"] == "status_change":
            last_status[e["ticket"]] = e["data"]["to"]
    store = TinyDBStore(tmp_path, agent="tester")
    for doc in store.ticket_docs(include_archive=True):
        assert last_status.get(doc["id"], "new") == doc["status"], doc["id"]
    runs = [e for e in events if e.get("run")]
    by_run = {}
    for e in runs:
        by_run.setdefault(e["run"], []).append(e["seq"])
    assert all(sorted(s) == list(range(1, len(s) + 1)) for s in by_run.values())


def test_copy_demo_moves_the_anchor_to_now(tmp_path):
    now = datetime(2027, 1, 5, 9, 30, tzinfo=timezone.utc)
    copy_demo(demo_store(), tmp_path, now)
    tables = orjson.loads((tmp_path / "store.json").read_bytes())
    newest = max(t["created"] for t in tables["tickets"].values())
    assert now - timedelta(days=1) < datetime.fromisoformat(newest.replace("Z", "+00:00")) <= now
    assert demo_store() != tmp_path and (demo_store() / "store.json").exists()
    assert ANCHOR.year == 2026
