"""Store bugs found while building the archive index; each test fails without its fix."""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest

from tui.core.eventlog import read_events
from tui.core.models import SCHEMA_VERSION
from tui.core.store import StoreCorrupt, TinyDBStore

TS = "2025-06-01T09:00:00.000Z"


def seed(data: Path, tickets: dict) -> Path:
    data.mkdir(mode=0o770)
    (data / "store.json").write_bytes(orjson.dumps({
        "_meta": {"1": {"schema": SCHEMA_VERSION}},
        "customers": {"1": {"id": "C-1", "name": "Ola", "customer_since": TS}},
        "tickets": tickets,
    }))
    return data


def test_a_ticket_inserted_closed_goes_to_the_archive(tmp_path: Path):
    s = TinyDBStore(seed(tmp_path / "d", {}), agent="alice")
    try:
        t = s.insert_ticket(customer="C-1", subject="Done on the phone", body="Fixed.",
                            status="closed", resolution_code="advice")
        assert s.ticket_docs() == []
        assert [d["id"] for d in s.ticket_docs(include_archive=True)] == [t.id]
        assert [(h.id, h.archived) for h in s.customer_history("C-1").tickets] == [(t.id, True)]
    finally:
        s.close()
    fresh = TinyDBStore(tmp_path / "d")
    try:
        assert fresh.ticket_docs() == [] and fresh.get_ticket(t.id).status == "closed"
    finally:
        fresh.close()


def test_first_update_of_a_document_without_a_defaulted_field_logs_no_false_change(tmp_path):
    doc = {"id": "T-1", "customer": "C-1", "subject": "Old record", "status": "open",
           "created": TS, "updated": TS, "_rev": 1}  # no channel, priority, tags (defaults)
    data = seed(tmp_path / "d", {"1": doc})
    s = TinyDBStore(data, agent="alice")
    try:
        s.update_ticket("T-1", {"status": "pending"}, 1)
    finally:
        s.close()
    got = [(e["type"], e["data"]) for e in read_events([data / "events.jsonl"])]
    assert got == [("status_change", {"from": "open", "to": "pending"})]


def test_a_refused_open_leaves_no_file_open(tmp_path: Path):
    data = seed(tmp_path / "d", {"1": {"id": "T-1", "customer": "C-1"}})  # no subject: refused

    def open_files() -> set[str]:
        found = set()
        for fd in os.listdir("/proc/self/fd"):
            try:
                found.add(os.readlink(f"/proc/self/fd/{fd}"))
            except OSError:
                pass
        return {f for f in found if f.startswith(str(data))}

    for _ in range(3):
        with pytest.raises(StoreCorrupt):
            TinyDBStore(data)
    assert open_files() == set()


def test_customer_history_lists_tickets_of_the_same_moment_newest_number_first(tmp_path):
    """Two tickets made in the same millisecond came out in whatever order the index held
    them (a flaky store test); the later ticket number now comes first."""
    def doc(number: int) -> dict:
        return {"id": f"T-{number}", "customer": "C-1", "subject": f"#{number}", "status": "open",
                "created": TS, "updated": TS, "_rev": 1}

    s = TinyDBStore(seed(tmp_path / "d", {"10": doc(10), "9": doc(9), "11": doc(11)}))
    try:
        assert [t.id for t in s.customer_history("C-1").tickets] == ["T-11", "T-10", "T-9"]
    finally:
        s.close()
