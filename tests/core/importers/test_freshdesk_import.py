"""`desk import freshdesk` on files built from the examples in Freshdesk's API v2 reference
(ticket 20 as `include=conversations` returns it, contact "Super Man", agent Ram, company
SuperNova, satisfaction rating 9000000160) saved in every shape an export takes, and on its
ticket-list CSV export (a BOM; cp1252 with `;`)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tui.core.importers.cleaning import body_text
from tui.core.importers.mapping import MappingError, parse_mapping
from tui.core.store import TinyDBStore

from .test_csv_import import desk, events, tickets

FIXTURES = Path(__file__).parent / "fixtures"
TICKETS = FIXTURES / "freshdesk-tickets.json"  # a JSON array, conversations embedded in 20
CONTACTS = FIXTURES / "freshdesk-contacts.jsonl"  # JSON Lines: contacts, an agent, a company
CONVERSATIONS = FIXTURES / "freshdesk-conversations.json"  # a page: conversations and ratings
EXPORT = FIXTURES / "freshdesk-export.csv"  # the ticket-list CSV export, UTF-8 with a BOM
API_FILES = [str(TICKETS), str(CONTACTS), str(CONVERSATIONS)]


def run_import(store: Path, *paths: str, extra: tuple[str, ...] = ()):
    return desk("import", "freshdesk", *paths, "--data-dir", str(store), *extra)


def customers(store_dir: Path) -> dict[str, object]:
    store = TinyDBStore(store_dir)
    try:
        return {c.id: c for c in store.customers()}
    finally:
        store.close()


def product_names(store_dir: Path) -> dict[str, str]:
    store = TinyDBStore(store_dir)
    try:
        return {p.id: p.name for p in store.products()}
    finally:
        store.close()


def test_api_json_in_three_files_lands_with_threads_customers_and_ratings(tmp_path):
    done = run_import(tmp_path / "s", *API_FILES)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "freshdesk-tickets.json: 3 new, 0 updated, 0 unchanged tickets; 2 new customers" in done.stdout
    by = {d["source_id"]: d for d in tickets(tmp_path / "s")}
    assert set(by) == {"freshdesk:20", "freshdesk:21", "freshdesk:9000003244"}
    first = by["freshdesk:20"]
    assert (first["status"], first["priority"], first["channel"]) == ("open", "low", "web")
    assert [(m["kind"], m["author"], m["body"]) for m in first["messages"]] == [
        ("customer_message", "Super Man", "Not given."),
        ("internal_note", "Ram", "Hi Ram,\nWe are working on this issue. Will keep you posted."),
        ("public_reply", "Ram", "We are working on this issue. Will keep you posted.")]
    assert first["first_replied"] == "2015-08-24T12:10:00.000Z"
    printer = by["freshdesk:21"]  # its conversations and rating are in another file
    assert printer["subject"] == "Printer & scanner" and printer["status"] == "solved"
    assert (printer["priority"], printer["channel"], printer["assignee"]) == ("high", "phone", "Ram")
    assert printer["tags"] == ["hardware", "vip"] and printer["group"] == "Hardware"
    assert product_names(tmp_path / "s") == {printer["product"]: "Scanner X2"}
    assert [(m["kind"], m["body"]) for m in printer["messages"]] == [
        ("customer_message", "The scanner jams."), ("public_reply", "Replaced the roller."),
        ("customer_message", "Thanks, it works again.")]  # time order, not file order
    assert printer["solved"] == "2017-01-11T15:00:00.000Z"  # stats.resolved_at
    assert printer["satisfaction"] == {"score": 5, "comment": "Feedback for the agent",
                                       "date": "2017-01-12T07:26:40.000Z"}
    renewal = by["freshdesk:9000003244"]  # 64-bit id; status 6 "waiting on customer"; outbound
    assert (renewal["status"], renewal["channel"]) == ("pending", "email")
    assert [(m["kind"], m["author"]) for m in renewal["messages"]] == [("public_reply", "Ram")]
    assert renewal["customer"] == printer["customer"] != first["customer"]
    opened = {e["ticket"]: e["data"]["source"] for e in events(tmp_path / "s") if e["type"] == "ticket_created"}
    assert opened == {first["id"]: "customer", printer["id"]: "customer", renewal["id"]: "agent"}
    people = customers(tmp_path / "s")
    assert people[printer["customer"]].email == "clark.kent@dailyplanet.example"
    assert people[first["customer"]].company == "SuperNova"
    log = [e for e in events(tmp_path / "s") if e["ticket"] == printer["id"]]
    assert [e["type"] for e in log] == ["ticket_created", "customer_contact", "agent_reply",
                                        "customer_contact", "status_change", "csat_response"]
    assert {e["src"] for e in log} == {"import"} and log[0]["ts"] == "2017-01-10T09:00:00.000Z"
    report = desk("report", "--data-dir", str(tmp_path / "s"), "--since", "2015-01-01", "--format", "json")
    assert report.returncode == 0, report.stderr
    csat = json.loads(report.stdout)["overall"]["csat"]
    assert (csat["n"], csat["mean"]) == (1, 5.0)


def test_json_lines_a_single_ticket_and_a_plain_conversation_array_read_the_same(tmp_path):
    listed = json.loads(TICKETS.read_text())
    embedded = listed[0].pop("conversations")
    lines = tmp_path / "tickets.jsonl"
    lines.write_text("\n".join(json.dumps(t) for t in listed[1:]) + "\n")
    single = tmp_path / "ticket-20.json"  # GET /tickets/20?include=conversations, as saved
    single.write_text(json.dumps(listed[0] | {"conversations": embedded[:1]}, indent=2))
    page = json.loads(CONVERSATIONS.read_text())
    loose = tmp_path / "conversations.json"  # a plain array, one conversation also embedded
    loose.write_text(json.dumps(embedded + page["conversations"], indent=1))
    ratings = tmp_path / "ratings.json"
    ratings.write_text(json.dumps(page["satisfaction_ratings"]))
    records = [json.loads(line) for line in CONTACTS.read_text().splitlines() if line.strip()]
    people = tmp_path / "people.json"  # a page on one line, with three arrays
    people.write_text(json.dumps({"contacts": records[:2], "agents": [records[2]], "companies": [records[3]],
                                  "groups": [records[4]], "products": [records[5]]}))
    done = run_import(tmp_path / "s", str(lines), str(single), str(people), str(loose), str(ratings))
    assert done.returncode == 0, done.stdout + done.stderr
    theirs = {d["source_id"]: d for d in tickets(tmp_path / "s")}
    run_import(tmp_path / "a", *API_FILES)
    ours = {d["source_id"]: d for d in tickets(tmp_path / "a")}
    for sid in ours:
        assert [m["body"] for m in theirs[sid]["messages"]] == [m["body"] for m in ours[sid]["messages"]]
        assert theirs[sid].get("satisfaction") == ours[sid].get("satisfaction")
        assert [theirs[sid].get(k) for k in ("assignee", "group", "product")] == [
            ours[sid].get(k) for k in ("assignee", "group", "product")]
    assert customers(tmp_path / "s")[theirs["freshdesk:20"]["customer"]].company == "SuperNova"


def test_dry_run_counts_and_writes_nothing(tmp_path):
    done = run_import(tmp_path / "s", *API_FILES, str(EXPORT), extra=("--dry-run",))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "freshdesk-tickets.json: 3 tickets readable, 0 problem(s); nothing written" in done.stdout
    assert "freshdesk-contacts.jsonl: 0 tickets readable, 0 problem(s)" in done.stdout
    assert "freshdesk-export.csv: 3 tickets readable, 0 problem(s)" in done.stdout
    assert not (tmp_path / "s").exists()


def test_reimport_changes_nothing_and_a_newer_export_updates_what_changed(tmp_path):
    run_import(tmp_path / "s", *API_FILES)
    before = len(events(tmp_path / "s"))
    again = run_import(tmp_path / "s", *API_FILES)
    assert "0 new, 0 updated, 3 unchanged tickets" in again.stdout, again.stdout + again.stderr
    assert len(events(tmp_path / "s")) == before
    newer = json.loads(TICKETS.read_text())
    newer[0]["status"] = 4
    newer[0]["stats"] = {"resolved_at": "2015-08-25T09:00:00Z"}
    newer[0]["conversations"].append({"id": 5, "incoming": True, "private": False, "user_id": 1,
                                      "ticket_id": 20, "body_text": "Solved, thanks",
                                      "created_at": "2015-08-25T08:00:00Z"})
    (tmp_path / "newer.json").write_text(json.dumps(newer))
    done = run_import(tmp_path / "s", str(tmp_path / "newer.json"), str(CONTACTS), str(CONVERSATIONS))
    assert "newer.json: 0 new, 1 updated, 2 unchanged tickets" in done.stdout, done.stdout + done.stderr
    first = next(d for d in tickets(tmp_path / "s") if d["source_id"] == "freshdesk:20")
    assert first["status"] == "solved" and first["messages"][-1]["body"] == "Solved, thanks"
    added = [e["type"] for e in events(tmp_path / "s")[before:]]
    assert sorted(added) == ["customer_contact", "status_change"]


def test_a_bad_record_is_named_by_file_record_and_field_and_nothing_is_written(tmp_path):
    listed = json.loads(TICKETS.read_text())
    listed[1]["status"] = 9
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(listed))
    conversations = tmp_path / "conv.json"
    conversations.write_text(json.dumps({"conversations": [
        {"id": 1, "ticket_id": 9000003244, "body": "x", "created_at": "yesterday-ish"},
        {"id": 2, "body": "whose?", "private": True}]}))
    people = tmp_path / "people.jsonl"
    people.write_text(CONTACTS.read_text().replace("superman@freshdesk.com", "superman at freshdesk"))
    done = run_import(tmp_path / "s", str(bad), str(people), str(conversations))
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"{bad}:[1]: status: 9 is not a Freshdesk status (one of 2, 3, 4, 5, 6, 7)" in done.stdout
    assert f"{conversations}:conversations[0]: created_at: 'yesterday-ish' is not a date or time" in done.stdout
    assert f"{people}:1: email: 'superman at freshdesk' is not an email address" in done.stdout
    assert f"{conversations}:conversations[1]: ticket_id: a conversation without the ticket" in done.stdout
    assert not tickets(tmp_path / "s")
    assert "bad.json: 3 problem(s); nothing written from this file" in done.stderr
    skipped = run_import(tmp_path / "s", str(bad), *API_FILES[1:], extra=("--skip-bad",))
    assert "bad.json: 2 new, 0 updated, 0 unchanged tickets" in skipped.stdout, skipped.stdout
    assert "1 row(s) skipped" in skipped.stdout
    assert [d["source_id"] for d in tickets(tmp_path / "s")] == ["freshdesk:20", "freshdesk:9000003244"]
    bad.write_text("[" + json.dumps(listed[0]) + ", {")
    broken = run_import(tmp_path / "t", str(bad), str(CONTACTS))
    assert f"{bad}:(file): (record): not valid JSON" in broken.stdout and broken.returncode == 1
    (tmp_path / "empty.json").write_bytes(b"\n")
    empty = run_import(tmp_path / "t", str(tmp_path / "empty.json"))
    assert f"{tmp_path / 'empty.json'}:(file): (record): the file is empty" in empty.stdout


@pytest.mark.parametrize("encoding,sep,header_case", [("utf-8-sig", ",", str), ("cp1252", ";", str.lower)])
def test_the_ticket_list_csv_export_picks_the_freshdesk_preset(tmp_path, encoding, sep, header_case):
    text = EXPORT.read_text("utf-8-sig")
    header, rest = text.split("\n", 1)
    rows = [header_case(header).split(","), *(r for r in csv.reader(io.StringIO(rest)) if r)]
    drop = [i for i, h in enumerate(rows[0]) if h.lower() in ("due by time", "contact id", "closed time")]
    lines = [sep.join(_quoted(c, sep) for i, c in enumerate(r) if i not in drop) for r in rows]
    path = tmp_path / "export.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    done = run_import(tmp_path / "s", str(path), extra=("--timezone", "Europe/Berlin"))
    assert done.returncode == 0, done.stdout + done.stderr
    by = {d["source_id"]: d for d in tickets(tmp_path / "s")}
    assert by["freshdesk:20"]["messages"][0]["body"] == "Not given.\nPlease call."
    assert by["freshdesk:20"]["created"] == "2015-08-24T11:56:51.000Z"  # Berlin summer time
    printer = by["freshdesk:21"]
    assert (printer["status"], printer["priority"], printer["channel"]) == ("solved", "high", "phone")
    assert printer["satisfaction"]["score"] == 5 and printer["tags"] == ["hardware", "vip"]
    assert printer["solved"] == "2017-01-11T15:00:00.000Z" and printer["first_replied"] == "2017-01-10T10:00:00.000Z"
    cafe = by["freshdesk:22"]
    assert cafe["subject"] == "Café crème für Jürgen" and cafe["status"] == "on_hold"
    assert (cafe["priority"], cafe["channel"]) == ("urgent", "email")
    assert customers(tmp_path / "s")[cafe["customer"]].company == "Müller & Söhne"


def test_a_csv_and_the_api_json_of_the_same_tickets_land_on_the_same_tickets(tmp_path):
    run_import(tmp_path / "s", str(EXPORT))
    first = {d["source_id"]: d["id"] for d in tickets(tmp_path / "s")}
    done = run_import(tmp_path / "s", *API_FILES)
    assert "freshdesk-tickets.json: 1 new, 2 updated" in done.stdout, done.stdout + done.stderr
    after = {d["source_id"]: d for d in tickets(tmp_path / "s")}
    assert after["freshdesk:21"]["id"] == first["freshdesk:21"]
    assert len({after[s]["customer"] for s in ("freshdesk:21", "freshdesk:9000003244")}) == 1
    assert len(customers(tmp_path / "s")) == 3  # Clark Kent matched by email, not added twice


def test_mapping_columns_take_alternatives_and_required_names_columns_it_has():
    mapping = parse_mapping({"required": ["id"], "columns": {"id": ["Ticket ID", "ID"],
                                                             "subject": "Subject"}}, "m.toml")
    index, names, missing = mapping.find_columns(["id", "Other"])
    assert index == {"id": 0} and names == {"id": "id"} and missing == []
    assert mapping.find_columns(["Subject"])[2] == ["Ticket ID"]  # the id is always required
    strict = parse_mapping({"columns": {"id": "Ticket ID", "subject": "Subject"}}, "m.toml")
    assert strict.find_columns(["TICKET  id"])[2] == ["Subject"]
    with pytest.raises(MappingError, match="key required: 'body' is not one of the mapping's columns"):
        parse_mapping({"required": ["body"], "columns": {"id": "x"}}, "m.toml")
    with pytest.raises(MappingError, match="key csat.great: 9 is not a score from 1 to 5"):
        parse_mapping({"columns": {"id": "x"}, "csat": {"great": 9}}, "m.toml")


def test_a_line_break_tag_is_one_line_break():
    assert body_text("<div>Hi Ram, <br/>\nWe are on it.</div>") == "Hi Ram,\nWe are on it."
    assert body_text("<div>Hello,<br><br>\r\nyour plan</div>") == "Hello,\n\nyour plan"
    assert body_text("<pre>keep\nthis</pre>") == "keep\nthis"


def _quoted(cell: str, sep: str) -> str:
    return f'"{cell}"' if any(ch in cell for ch in (sep, "\n", '"', ",")) else cell


def test_spam_and_deleted_tickets_are_warned_about_and_left_out(tmp_path):
    listed = json.loads(TICKETS.read_text())
    listed[1]["spam"] = True
    listed[2]["deleted"] = True
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(json.dumps(t) for t in listed) + "\n")
    done = run_import(tmp_path / "s", str(path), str(CONTACTS))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{path}:2: spam: warning: a spam ticket in Freshdesk; not imported" in done.stdout
    assert f"{path}:3: deleted: warning: a deleted ticket in Freshdesk; not imported" in done.stdout
    assert [d["source_id"] for d in tickets(tmp_path / "s")] == ["freshdesk:20"]


def test_api_responses_saved_one_page_a_line_are_read_page_by_page(tmp_path):
    listed = json.loads(TICKETS.read_text())
    pages = tmp_path / "pages.jsonl"  # `curl … | jq -c` a page at a time
    pages.write_text(json.dumps({"tickets": listed[:2]}) + "\n" + json.dumps({"tickets": listed[2:]}) + "\n")
    done = run_import(tmp_path / "s", str(pages), str(CONTACTS), str(CONVERSATIONS), extra=("--dry-run",))
    assert f"{pages}: 3 tickets readable, 0 problem(s)" in done.stdout, done.stdout + done.stderr
    listed[2]["priority"] = 7
    pages.write_text(json.dumps({"tickets": listed[:2]}) + "\n" + json.dumps({"tickets": listed[2:]}) + "\n")
    done = run_import(tmp_path / "s", str(pages), str(CONTACTS), extra=("--dry-run",))
    assert f"{pages}:2:tickets[0]: priority: 7 is not a Freshdesk priority (one of 1, 2, 3, 4)" in done.stdout
