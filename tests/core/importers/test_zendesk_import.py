"""`desk import zendesk` on a page built from the examples in Zendesk's API reference
(ticket 35436, its requester and organization) and on JSON Lines of the incremental export."""

from __future__ import annotations

import json
from pathlib import Path

from .test_csv_import import desk, events, tickets

FIXTURE = Path(__file__).parent / "fixtures" / "zendesk-page.json"


def test_a_zendesk_page_lands_with_threads_customers_and_events(tmp_path):
    done = desk("import", "zendesk", str(FIXTURE), "--data-dir", str(tmp_path / "s"))
    assert done.returncode == 0, done.stdout + done.stderr
    by = {d["source_id"]: d for d in tickets(tmp_path / "s")}
    fire = by["zendesk:35436"]
    assert fire["subject"] == "Help, my printer is on fire!" and fire["priority"] == "high"
    assert fire["status"] == "open" and fire["channel"] == "web" and fire["tags"] == ["enterprise", "other_tag"]
    assert [(m["kind"], m["author"], m["body"]) for m in fire["messages"]] == [
        ("customer_message", "Johnny Agent's customer", "The fire is very colorful."),
        ("public_reply", "Johnny Agent", "Thanks for your help!"),
        ("internal_note", "Johnny Agent", "Escalate & check")]
    assert fire["assignee"] == "Johnny Agent" and fire["satisfaction"]["score"] == 5
    assert fire["first_replied"] == "2009-07-21T08:00:00.000Z"
    second = by["zendesk:9223372036854775807"]  # a 64-bit id
    assert second["status"] == "on_hold" and second["channel"] == "phone"
    assert second["messages"][0]["body"] == "Hello & welcome"
    assert fire["customer"] == second["customer"]
    log = [e for e in events(tmp_path / "s") if e["ticket"] == fire["id"]]
    assert [e["type"] for e in log] == ["ticket_created", "customer_contact", "agent_reply",
                                        "internal_note", "csat_response"]
    assert log[0]["ts"] == "2009-07-20T22:55:29.000Z" and {e["src"] for e in log} == {"import"}


def test_incremental_json_lines_update_what_changed(tmp_path):
    desk("import", "zendesk", str(FIXTURE), "--data-dir", str(tmp_path / "s"))
    page = json.loads(FIXTURE.read_text())
    ticket = page["tickets"][0]
    ticket["status"] = "solved"
    ticket["comments"].append({"id": 1300, "author_id": 20978392, "public": True,
                               "body": "It is out now", "created_at": "2011-05-05T10:38:52Z"})
    lines = tmp_path / "export.jsonl"
    lines.write_text("\n".join(json.dumps(o) for o in [*page["users"], ticket]) + "\n")
    done = desk("import", "zendesk", str(lines), "--data-dir", str(tmp_path / "s"))
    assert "0 new, 1 updated, 0 unchanged" in done.stdout, done.stdout + done.stderr
    fire = next(d for d in tickets(tmp_path / "s") if d["source_id"] == "zendesk:35436")
    assert fire["status"] == "solved" and fire["messages"][-1]["body"] == "It is out now"
    assert len(fire["messages"]) == 4
    again = desk("import", "zendesk", str(lines), "--data-dir", str(tmp_path / "s"))
    assert "0 new, 0 updated, 1 unchanged" in again.stdout


def test_a_broken_zendesk_file_is_one_line_per_problem(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"tickets": [{"id": 1, "subject": "x", "status": "weird", "created_at": "2020-01-01T00:00:00Z"},')
    done = desk("import", "zendesk", str(bad), "--data-dir", str(tmp_path / "s"))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "bad.json:tickets[0]: status: 'weird' is not a Zendesk status" in done.stdout
    assert "bad.json:(file): (record): not valid JSON" in done.stdout


def test_users_organizations_and_ratings_in_files_of_their_own_land_the_same(tmp_path):
    # They are read once for every file named, into an on-disk catalog (zendesk_people.py).
    page = json.loads(FIXTURE.read_text())
    fire = page["tickets"][0]
    rating = dict(fire.pop("satisfaction_rating"), ticket_id=fire["id"], updated_at="2011-05-05T10:38:52Z")
    files = {"tickets.json": {"tickets": page["tickets"]},
             "people.json": {"users": page["users"], "organizations": page["organizations"]},
             "ratings.json": {"satisfaction_ratings": [rating]}}
    for name, content in files.items():
        (tmp_path / name).write_text(json.dumps(content))
    split = desk("import", "zendesk", *(str(tmp_path / n) for n in files), "--data-dir", str(tmp_path / "split"))
    assert split.returncode == 0, split.stdout + split.stderr
    whole = desk("import", "zendesk", str(FIXTURE), "--data-dir", str(tmp_path / "whole"))
    assert whole.returncode == 0
    mine = {d["source_id"]: d for d in tickets(tmp_path / "split")}
    theirs = {d["source_id"]: d for d in tickets(tmp_path / "whole")}
    assert mine["zendesk:35436"]["satisfaction"]["score"] == 5
    for source_id, doc in theirs.items():
        got = dict(mine[source_id])
        if source_id == "zendesk:35436":  # the rating's own time, which the page did not give
            got["satisfaction"] = dict(got["satisfaction"], date=doc["satisfaction"]["date"])
        assert {k: v for k, v in got.items() if k != "source_hash"} == \
            {k: v for k, v in doc.items() if k != "source_hash"}
