"""`desk export` and `desk import desk` (issue 15 item 6): the JSON export round-trips into an
empty store (tickets, threads with their message ids, customers, products, purchases, links
between tickets), export → import → export is stable, the CSV neutralises formulas, the
filter chooses, and every refusal is one line with its exit status, safe for a terminal."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostile_corpus import ITEMS, build_corpus_store, control_characters
from tui.cli import main
from tui.core.demo import copy_demo, write_snapshots
from tui.core.eventlog import EVENTS_FILE
from tui.core.fileio import AtomicStream
from tui.core.merge import merge_tickets
from tui.core.models import format_ts
from tui.core.paths import demo_store
from tui.core.store import TinyDBStore


@pytest.fixture(autouse=True)
def no_user_config(tmp_path, monkeypatch):
    monkeypatch.setenv("DESK_CONFIG_DIR", str(tmp_path / "config"))


def desk(capsys, *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:  # a usage error, as argparse ends it
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def records(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def normalised(recs: list[dict]) -> list[dict]:
    """The records without the header and with each kind's ids renumbered in file order
    (an import gives records the ids of the store they land in)."""
    ids: dict[str, str] = {}
    for r in recs[1:]:
        ids[r["id"]] = f"{r['id'][0]}#{sum(1 for v in ids.values() if v[0] == r['id'][0]) + 1}"
    out = []
    for r in recs[1:]:
        r = dict(r, id=ids[r["id"]])
        for key in ("customer", "product", "merged_into"):
            if r.get(key):
                r[key] = ids[r[key]]
        if r.get("link"):
            r["link"] = dict(r["link"], original=ids[r["link"]["original"]])
        out.append(r)
    return out


@pytest.fixture
def demo(tmp_path) -> Path:
    """The demo store with flags, a link back, and a merge into a later ticket."""
    data = tmp_path / "demo"
    copy_demo(demo_store(), data, datetime.now(timezone.utc))
    store = TinyDBStore(data, agent="kari")
    try:
        open_ones = sorted((d for d in store.ticket_docs() if d["status"] in ("new", "open")),
                           key=lambda d: int(d["id"][2:]))
        by_customer: dict[str, list[str]] = {}
        for d in open_ones:
            by_customer.setdefault(d["customer"], []).append(d["id"])
        first, later = next(ids for ids in by_customer.values() if len(ids) >= 2)[:2]
        merge_tickets(store, first, later)  # the merged ticket points forward, to a later one
        store.mark(open_ones[-1]["id"], "spam", True)
        store.link(open_ones[-1]["id"], open_ones[0]["id"], "follow_up")
    finally:
        store.close()
    return data


def test_the_demo_round_trips_into_an_empty_store(capsys, demo, tmp_path):
    first, again = tmp_path / "e1.jsonl", tmp_path / "e2.jsonl"
    code, _, err = desk(capsys, "export", "--data-dir", str(demo), "--output", str(first))
    assert code == 0 and "300 tickets" in err
    code, out, err = desk(capsys, "import", "desk", str(first), "--data-dir", str(tmp_path / "new"))
    assert code == 0, err
    assert "300 new" in out and "120 new customers, 15 products, 600 purchases" in out
    assert desk(capsys, "export", "--data-dir", str(tmp_path / "new"), "-o", str(again))[0] == 0
    before, after = records(first), records(again)
    assert before[0]["format"] == "desk-export" and before[0]["version"] == 1
    assert normalised(after) == normalised(before)
    tickets = [r for r in before if r["kind"] == "ticket"]
    assert any(r.get("merged_into") for r in tickets) and any(r.get("link") for r in tickets)
    assert any(r.get("flags") for r in tickets) and any(r["status"] == "closed" for r in tickets)
    # the same message ids, and the imported store is one `desk check` finds nothing wrong in
    ids = lambda recs: [m["id"] for r in recs if r["kind"] == "ticket" for m in r["messages"]]  # noqa: E731
    assert ids(after) == ids(before)
    assert desk(capsys, "check", "--data-dir", str(tmp_path / "new"))[0] == 0
    # flags, links and merges are in the imported event log too, for the metrics
    log = [orjson.loads(line.split(b" ", 1)[1])
           for line in (tmp_path / "new" / EVENTS_FILE).read_bytes().splitlines()]
    new = {r["id"]: r for r in after if r["kind"] == "ticket"}
    marked = {(e["type"], e["ticket"]) for e in log if e["type"] in ("mark", "link_repeat", "merge")}
    assert marked == ({("mark", i) for i, r in new.items() if r.get("flags")}
                      | {("link_repeat", i) for i, r in new.items() if r.get("link")}
                      | {("merge", i) for i, r in new.items() if r.get("merged_into")})
    merged = next(e for e in log if e["type"] == "merge")
    assert merged["data"]["into"] == new[merged["ticket"]]["merged_into"] and merged["src"] == "import"
    # importing the same export again changes nothing
    code, out, _ = desk(capsys, "import", "desk", str(first), "--data-dir", str(tmp_path / "new"))
    assert code == 0 and "0 new, 0 updated, 300 unchanged" in out and "0 new customers" in out


def test_hostile_text_round_trips_exactly_and_never_reaches_the_terminal_raw(capsys, tmp_path):
    store = build_corpus_store(tmp_path / "corpus")
    code, out, err = desk(capsys, "export", "--data-dir", str(store))
    assert code == 0 and err == ""
    assert control_characters(out) == set()
    exported = tmp_path / "corpus.jsonl"
    exported.write_text(out)
    assert desk(capsys, "import", "desk", str(exported), "--data-dir", str(tmp_path / "new"))[0] == 0
    code, again, _ = desk(capsys, "export", "--data-dir", str(tmp_path / "new"))
    back = [orjson.loads(line) for line in again.splitlines()]
    subjects = {r["subject"] for r in back if r["kind"] == "ticket"}
    assert {item.raw for item in ITEMS} <= subjects
    assert normalised(back) == normalised([orjson.loads(line) for line in out.splitlines()])
    code, out, _ = desk(capsys, "export", "--format", "csv", "--data-dir", str(store))
    assert code == 0 and control_characters(out.replace("\r\n", "")) == set()


# -- the property: export, import, export ---------------------------------------------------
_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_WHEN = st.integers(0, 5 * 365 * 86400_000).map(
    lambda ms: datetime(2021, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=ms))


@st.composite
def stores(draw) -> dict:
    customers = {}
    for n in range(1, draw(st.integers(1, 3)) + 1):
        customers[str(n)] = {
            "id": f"C-{n}", "name": draw(_TEXT.filter(str.strip)) or "x",
            "email": draw(st.sampled_from([None, f"c{n}@example.com"])),
            "language": draw(st.sampled_from(["en", "fi", "nb-NO"])),
            "tier": draw(st.sampled_from(["standard", "gold"])),
            "customer_since": format_ts(draw(_WHEN)), "tags": draw(st.lists(_TEXT, max_size=2)),
            "notes": draw(_TEXT)}
    products = {str(n): {"id": f"P-{n}", "name": f"Product {n} {draw(_TEXT)}",
                         "category": draw(_TEXT)} for n in range(1, draw(st.integers(0, 2)) + 1)}
    purchases = {}
    for n in range(1, (draw(st.integers(0, 3)) if products else 0) + 1):
        purchases[str(n)] = {"id": f"O-{n}", "customer": f"C-{draw(st.integers(1, len(customers)))}",
                             "product": f"P-{draw(st.integers(1, len(products)))}",
                             # the same purchase twice is two purchases
                             "date": format_ts(datetime(2024, 1, 1, tzinfo=timezone.utc)
                                               + timedelta(days=draw(st.integers(0, 1)))),
                             "amount": draw(st.sampled_from([None, 0.0, 12.5])),
                             "currency": draw(st.sampled_from([None, "EUR"]))}
    numbers = sorted(draw(st.sets(st.integers(1, 40), min_size=1, max_size=5)))
    active, archive = {}, {}
    for n in numbers:
        created = draw(_WHEN)
        status = draw(st.sampled_from(["new", "open", "pending", "on_hold", "solved", "closed"]))
        messages = []
        for k in range(draw(st.integers(0, 3))):
            kind = draw(st.sampled_from(["customer_message", "public_reply", "internal_note",
                                         "call_log"]))
            message = {"id": f"M{n}-{k}", "author_kind": "customer" if kind == "customer_message"
                       else "agent", "author": draw(_TEXT), "kind": kind, "body": draw(_TEXT),
                       "created": format_ts(created + timedelta(minutes=k))}
            if kind == "call_log" and draw(st.booleans()):
                message["call_start"] = message["created"]
                message["call_end"] = format_ts(created + timedelta(minutes=k, seconds=30))
            messages.append(message)
        doc = {"id": f"T-{n}", "customer": f"C-{draw(st.integers(1, len(customers)))}",
               "subject": draw(_TEXT), "status": status,
               "priority": draw(st.sampled_from(["low", "normal", "high", "urgent"])),
               "channel": draw(st.sampled_from(["email", "phone", "chat", "web"])),
               "tags": sorted({t.strip() for t in draw(st.lists(_TEXT, max_size=2)) if t.strip()}),
               "assignee": draw(st.sampled_from([None, "kari", "=1+1"])),
               "created": format_ts(created), "updated": format_ts(created + timedelta(hours=3)),
               "flags": draw(st.lists(st.sampled_from(["spam", "test"]), unique=True, max_size=2)),
               "messages": messages, "_rev": 1}
        if products and draw(st.booleans()):
            doc["product"] = f"P-{draw(st.integers(1, len(products)))}"
        if status in ("solved", "closed"):
            doc["solved"] = format_ts(created + timedelta(hours=2))
        if draw(st.booleans()):
            doc["satisfaction"] = {"score": draw(st.integers(1, 5)), "comment": draw(_TEXT),
                                   "date": format_ts(created + timedelta(hours=2))}
        others = [m for m in numbers if m != n]
        if others and draw(st.booleans()):
            doc["link"] = {"original": f"T-{draw(st.sampled_from(others))}",
                           "kind": draw(st.sampled_from(["repeat", "follow_up"]))}
        if others and draw(st.booleans()):
            doc["merged_into"] = f"T-{draw(st.sampled_from(others))}"
        (archive if status == "closed" else active)[str(n)] = doc
    meta = {"schema": 1, "next": {"tickets": max(numbers) + 1}}
    return {"active": {"_meta": {"1": meta}, "customers": customers, "products": products,
                       "purchases": purchases, "tickets": active}, "archive": {"tickets": archive}}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tables=stores())
def test_export_import_export_is_stable(capsys, tmp_path_factory, tables):
    root = tmp_path_factory.mktemp("stable")
    (root / "s0").mkdir()
    write_snapshots(root / "s0", tables["active"], tables["archive"])
    exports = []
    for n in range(3):
        path = root / f"e{n}.jsonl"
        code, _, err = desk(capsys, "export", "--data-dir", str(root / f"s{n}"), "-o", str(path))
        assert code == 0, err
        exports.append(path)
        code, out, err = desk(capsys, "import", "desk", str(path), "--data-dir", str(root / f"s{n + 1}"))
        assert code == 0, out + err
    first, second, third = (records(p) for p in exports)
    assert normalised(second) == normalised(first)
    # once imported, the ids are the import's own: the next round gives the same bytes
    assert exports[2].read_bytes().split(b"\n", 1)[1] == exports[1].read_bytes().split(b"\n", 1)[1]


# -- CSV ----------------------------------------------------------------------------------
HOSTILE_SUBJECTS = {
    "=HYPERLINK(\"http://x\",\"y\")": "'=HYPERLINK(\"http://x\",\"y\")",
    "+1+1": "'+1+1", "-2+3": "'-2+3", "@SUM(A1:A9)": "'@SUM(A1:A9)",
    "\t=1+1": "' =1+1", "\r=1+1": "'␍=1+1", "  =1+1": "'  =1+1", "\n=cmd": "' =cmd",
    "bell\x07 \x1b[2J": "bell␇ ␛[2J", "a=b": "a=b",
}


def _subjects(data: Path, subjects: list[str]) -> list[str]:
    store = TinyDBStore(data, agent="kari")
    try:
        docs = sorted(store.ticket_docs(), key=lambda d: int(d["id"][2:]))[:len(subjects)]
        for doc, subject in zip(docs, subjects):
            store.update_ticket(doc["id"], {"subject": subject}, doc["_rev"])
        return [d["id"] for d in docs]
    finally:
        store.close()


def test_csv_cells_a_spreadsheet_would_run_start_with_a_quote(capsys, demo):
    ids = _subjects(demo, list(HOSTILE_SUBJECTS))
    code, out, err = desk(capsys, "export", "--format", "csv", "--data-dir", str(demo))
    assert code == 0 and err == ""
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(out, newline=""))}
    assert len(rows) == 300
    assert [rows[i]["subject"] for i in ids] == list(HOSTILE_SUBJECTS.values())
    assert control_characters(out.replace("\r\n", "")) == set()
    row = rows[ids[0]]
    assert row["messages"].isdigit() and row["customer_name"] and row["source_id"] == f"desk:{ids[0]}"


# -- the filter -----------------------------------------------------------------------------
def test_the_filter_chooses_tickets_and_the_records_they_need(capsys, demo):
    code, out, _ = desk(capsys, "export", "--filter", "status:closed priority:urgent",
                        "--data-dir", str(demo))
    assert code == 0
    recs = [orjson.loads(line) for line in out.splitlines()]
    tickets = [r for r in recs if r["kind"] == "ticket"]
    assert tickets and {(t["status"], t["priority"]) for t in tickets} == {("closed", "urgent")}
    customers = {r["id"] for r in recs if r["kind"] == "customer"}
    assert customers == {t["customer"] for t in tickets}
    assert {r["customer"] for r in recs if r["kind"] == "purchase"} <= customers
    assert recs[0]["filter"] == "status:closed priority:urgent"
    code, out, _ = desk(capsys, "export", "--format", "csv", "--filter=-status:closed",
                        "--data-dir", str(demo))
    statuses = {r["status"] for r in csv.DictReader(io.StringIO(out, newline=""))}
    assert code == 0 and statuses and "closed" not in statuses


# -- refusals -------------------------------------------------------------------------------
def test_bad_filter_and_bad_output_paths_are_one_line_usage_errors(capsys, demo, tmp_path):
    cases = [(["--filter", "colour:red"], "bad filter 'colour:red': unknown field 'colour'"),
             (["-o", str(tmp_path / "no" / "such" / "e.jsonl")], "does not exist"),
             (["-o", str(tmp_path)], "is a folder"),
             (["-o", str(tmp_path / "no\x1b[2J" / "e.jsonl")], "no␛[2J")]
    for options, message in cases:
        code, out, err = desk(capsys, "export", "--data-dir", str(demo), *options)
        assert code == 2 and out == "" and message in err and err.count("\n") == 1, err
        assert err.startswith("desk export: ") and "\x1b" not in err
    code, _, err = desk(capsys, "export", "--data-dir", str(tmp_path / "empty"))
    assert code == 2 and "no store" in err and err.count("\n") == 1
    code, _, err = desk(capsys, "export", "--format", "xml", "--data-dir", str(demo))
    assert code == 2 and err.count("\n") == 1


def test_a_file_is_replaced_whole_or_left_as_it_was(capsys, demo, tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_bytes(b"the old export\n")
    tables = orjson.loads((demo / "archive.json").read_bytes())
    key = next(iter(tables["tickets"]))
    tables["tickets"][key]["priority"] = "whenever"  # one stored ticket desk cannot read
    (demo / "archive.json").write_bytes(orjson.dumps(tables))
    code, _, err = desk(capsys, "export", "--data-dir", str(demo), "-o", str(target))
    assert code == 1 and err.count("\n") == 1 and "record T-" in err and "priority" in err
    assert target.read_bytes() == b"the old export\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".desk-tmp")] == []


def test_an_atomic_stream_stopped_midway_leaves_the_old_file_and_no_temp(tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_bytes(b"the old export\n")
    with pytest.raises(RuntimeError):
        with AtomicStream(target) as out:
            out.write(b"half of a new ")
            raise RuntimeError("killed")
    assert target.read_bytes() == b"the old export\n" and os.listdir(tmp_path) == ["out.jsonl"]
    with AtomicStream(target) as out:
        out.write(b"a new ")
        out.write(b"export\n")
        out.commit()
    assert target.read_bytes() == b"a new export\n" and os.listdir(tmp_path) == ["out.jsonl"]
    assert target.stat().st_mode & 0o777 == 0o600


def test_import_names_the_line_and_field_and_writes_nothing_from_a_bad_file(capsys, demo, tmp_path):
    good = tmp_path / "e.jsonl"
    assert desk(capsys, "export", "--data-dir", str(demo), "-o", str(good))[0] == 0
    lines = good.read_bytes().splitlines()
    at = next(i for i, line in enumerate(lines) if b'"kind":"ticket"' in line)
    bad_ticket = orjson.loads(lines[at]) | {"status": "\x1b[31mlost"}
    lines[at] = orjson.dumps(bad_ticket)
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"\n".join(lines) + b"\n")
    code, out, err = desk(capsys, "import", "desk", str(bad), "--data-dir", str(tmp_path / "new"))
    assert code == 1 and f"bad.jsonl:{at + 1}: status: " in out and "\x1b" not in out + err
    assert "nothing written" in err
    plain = tmp_path / "plain.jsonl"
    plain.write_bytes(b'{"tickets": []}\n')
    code, out, _ = desk(capsys, "import", "desk", str(plain), "--data-dir", str(tmp_path / "new"))
    assert code == 1 and "plain.jsonl:1: (header): not a desk export" in out


def test_a_newer_export_updates_what_changed_and_nothing_else(capsys, demo, tmp_path):
    first, newer = tmp_path / "e1.jsonl", tmp_path / "e2.jsonl"
    desk(capsys, "export", "--data-dir", str(demo), "-o", str(first))
    assert desk(capsys, "import", "desk", str(first), "--data-dir", str(tmp_path / "new"))[0] == 0
    store = TinyDBStore(demo, agent="kari")
    try:
        doc = next(d for d in store.ticket_docs() if d["status"] == "open")
        store.update_ticket(doc["id"], {"priority": "urgent"}, doc["_rev"])
        store.append_message(doc["id"], kind="public_reply", body="a later reply")
    finally:
        store.close()
    desk(capsys, "export", "--data-dir", str(demo), "-o", str(newer))
    code, out, _ = desk(capsys, "import", "desk", str(newer), "--data-dir", str(tmp_path / "new"))
    assert code == 0 and "0 new, 1 updated, 299 unchanged" in out
    code, again, _ = desk(capsys, "export", "--data-dir", str(tmp_path / "new"))
    back = next(r for r in map(orjson.loads, again.splitlines())
                if r.get("source_id") == f"desk:{doc['id']}")
    assert back["priority"] == "urgent" and back["messages"][-1]["body"] == "a later reply"


def test_an_export_imported_into_its_own_store_changes_nothing(capsys, demo, tmp_path):
    store = TinyDBStore(demo, agent="kari")
    try:  # a caller known by phone only: no email to match them by
        caller = store.insert_customer(name="Anna Caller", phone="+47 555 01234")
        store.insert_ticket(customer=caller.id, subject="called about the router", body="hello",
                            channel="phone")
    finally:
        store.close()
    exported, again = tmp_path / "e.jsonl", tmp_path / "again.jsonl"
    desk(capsys, "export", "--data-dir", str(demo), "-o", str(exported))
    code, out, _ = desk(capsys, "import", "desk", str(exported), "--data-dir", str(demo))
    assert code == 0 and "0 new, 0 updated, 301 unchanged" in out
    assert "0 new customers, 0 products, 0 purchases; 0 events" in out
    desk(capsys, "export", "--data-dir", str(demo), "-o", str(again))
    assert again.read_bytes().split(b"\n", 1)[1] == exported.read_bytes().split(b"\n", 1)[1]


def test_a_full_disk_is_one_line_and_exit_status_1(demo, tmp_path):
    with open("/dev/full", "wb") as full:
        done = subprocess.run([sys.executable, "-m", "tui", "export", "--data-dir", str(demo)],
                              stdout=full, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "DESK_CONFIG_DIR": str(tmp_path / "config")})
    assert done.returncode == 1 and done.stderr == "desk export: standard output: No space left on device\n"
