"""`desk import csv`: every mess of real spreadsheets (issue 15 point 2), dry run, skip-bad,
all-or-nothing per file, idempotence and updates, customers by email, events for the metrics."""

from __future__ import annotations

import codecs
import subprocess
import sys
from pathlib import Path

import pytest

from tui.core.eventlog import EVENTS_FILE, ReadStats, iter_lines
from tui.core.fileio import read_file
from tui.core.importers.textfile import detect_encoding
from tui.core.store import TinyDBStore

DATASET_HEADER = ("Ticket ID,Customer Name,Customer Email,Customer Age,Customer Gender,Product Purchased,"
                  "Date of Purchase,Ticket Type,Ticket Subject,Ticket Description,Ticket Status,Resolution,"
                  "Ticket Priority,Ticket Channel,First Response Time,Time to Resolution,"
                  "Customer Satisfaction Rating")
# The dataset's own quirks: a multi-line description, {product_purchased} and <name>
# placeholders, a resolution before the first response, Not Provided, a float rating.
DATASET_ROWS = [
    '1,Marisa Obrien,carrollallison@example.com,32,Other,GoPro Hero,2021-03-22,Technical issue,'
    'Product setup,"I\'m having an issue with the {product_purchased}.\r\nPlease assist.",'
    'Pending Customer Response,,Critical,Social media,2023-06-01 12:15:36,,',
    '2,Jessica Rios,clarkeashley@example.com,42,Female,LG Smart TV,2021-05-22,Technical issue,'
    'Peripheral compatibility,"Hello <name>, the TV &amp; remote fail.",Closed,'
    'Case maybe show recently my computer follow.,Low,Chat,2023-06-01 16:45:38,2023-06-01 18:05:38,3.0',
    '3,Jessica Rios,CLARKEASHLEY@example.com,42,Female,LG Smart TV,2021-05-22,Billing inquiry,Refund,'
    'help,Closed,ok,Medium,Email,2023-06-02 16:45:38,2023-06-01 18:05:38,5',
    '4,Zoë Ångström,Not Provided,22,Female,Dell XPS,?,Refund request,Where is my refund,'
    '"Zoë here",Open,,High,Phone,,,',
]


def dataset(rows=DATASET_ROWS, sep="\r\n") -> str:
    return sep.join([DATASET_HEADER, *rows]) + sep


def desk(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def imported(tmp_path: Path, name: str, data: bytes, *args: str) -> subprocess.CompletedProcess:
    path = tmp_path / name
    path.write_bytes(data)
    return desk("import", "csv", name, "--data-dir", str(tmp_path / "store"), *args, cwd=tmp_path)


def events(store_dir: Path) -> list[dict]:
    return list(iter_lines(read_file(store_dir / EVENTS_FILE), ReadStats()))


def tickets(store_dir: Path) -> list[dict]:
    store = TinyDBStore(store_dir)
    try:
        return sorted(store.ticket_docs(include_archive=True), key=lambda d: d["source_id"])
    finally:
        store.close()


def test_the_support_dataset_layout_lands_with_customers_products_and_events(tmp_path):
    done = imported(tmp_path, "ds.csv", dataset().encode(), "--mapping", "support-dataset")
    assert done.returncode == 0, done.stderr
    assert "4 new, 0 updated" in done.stdout
    # A resolution before the first response: reported, the first response left unknown.
    assert "ds.csv:5: First Response Time: warning:" in done.stdout
    docs = tickets(tmp_path / "store")
    by = {d["source_id"]: d for d in docs}
    assert by["dataset:1"]["status"] == "pending" and by["dataset:1"]["priority"] == "urgent"
    assert by["dataset:1"]["channel"] == "social"
    assert "{product_purchased}.\nPlease assist." in by["dataset:1"]["messages"][0]["body"]
    assert by["dataset:2"]["messages"][0]["body"] == "Hello <name>, the TV & remote fail."
    assert by["dataset:2"]["satisfaction"]["score"] == 3 and by["dataset:2"]["status"] == "closed"
    assert "first_replied" not in by["dataset:3"]
    # Customers matched by email, whatever its case; a missing email is no email.
    assert by["dataset:2"]["customer"] == by["dataset:3"]["customer"]
    store = TinyDBStore(tmp_path / "store")
    try:
        customers = {c.id: c for c in store.customers()}
        assert len(customers) == 3
        zoe = customers[by["dataset:4"]["customer"]]
        assert zoe.name == "Zoë Ångström" and zoe.email is None
        history = store.customer_history(by["dataset:2"]["customer"])
        assert {t.id for t in history.tickets} == {by["dataset:2"]["id"], by["dataset:3"]["id"]}
        assert [store.products()[0].name, len(history.purchases)] == ["GoPro Hero", 1]
    finally:
        store.close()
    log = events(tmp_path / "store")
    assert all(e["src"] == "import" for e in log)
    assert [e["seq"] for e in log] == list(range(1, len(log) + 1))
    types = [(e["ticket"], e["type"]) for e in log]
    # No creation time in this layout: no ticket_created and no contact at an invented time.
    assert not any(t == "ticket_created" or t == "customer_contact" for _, t in types)
    t2 = by["dataset:2"]["id"]
    assert (t2, "status_change") in types and (t2, "csat_response") in types
    assert desk("check", "--data-dir", str(tmp_path / "store")).returncode == 0


def test_reimporting_changes_nothing_and_a_newer_export_updates_what_changed(tmp_path):
    imported(tmp_path, "ds.csv", dataset().encode(), "--mapping", "support-dataset")
    before = tickets(tmp_path / "store")
    logged = len(events(tmp_path / "store"))
    again = imported(tmp_path, "ds.csv", dataset().encode(), "--mapping", "support-dataset")
    assert "0 new, 0 updated, 4 unchanged" in again.stdout
    assert tickets(tmp_path / "store") == before and len(events(tmp_path / "store")) == logged
    newer = [DATASET_ROWS[0].replace("Pending Customer Response,,", "Closed,Sent a new one,")
             .replace("12:15:36,,", "12:15:36,2023-06-03 09:00:00,4"), *DATASET_ROWS[1:]]
    update = imported(tmp_path, "ds.csv", dataset(newer).encode(), "--mapping", "support-dataset")
    assert "0 new, 1 updated, 3 unchanged" in update.stdout, update.stdout
    t1 = next(d for d in tickets(tmp_path / "store") if d["source_id"] == "dataset:1")
    assert t1["status"] == "closed" and t1["_rev"] == 2 and t1["satisfaction"]["score"] == 4
    new_events = events(tmp_path / "store")[logged:]
    assert {e["type"] for e in new_events} == {"agent_reply", "status_change", "csat_response"}


GENERIC_HEADER = "id;subject;description;status;priority;channel;name;email;product;created;solved;csat"


def generic(rows: list[str], sep: str = "\r\n") -> str:
    return sep.join([GENERIC_HEADER, *rows]) + sep


MESSY_ROWS = [
    # 64-bit id, ISO time with zone, HTML body, entities in the subject
    '9223372036854775807;"Caf&eacute; order";"<p>Hello,</p><p>my <b>order</b> &amp; invoice<br>are wrong</p>";'
    'open;high;email;Åsa Öberg;asa@example.se;Kaffe;2024-03-01T09:30:00+01:00;;',
    # a line break of each kind inside one quoted field, a bare CR among them
    '2;Lines;"one\rtwo\nthree\r\nfour";solved;?;chat;José Núñez;jose@example.es;;03/01/2024 10:00;'
    '2024-03-02 11:00;Not Provided',
    # a time without a zone (the --timezone), an RFC 2822 time
    '3;Zones;plain text with <customer_name> kept;pending;low;phone;Łukasz Żółć;lukasz@example.pl;;'
    '2024-03-01 08:00;;',
    '4;RFC;body;solved;normal;web;Ana;ana@example.ro;;Fri, 01 Mar 2024 08:00:00 +0000;'
    'Fri, 01 Mar 2024 09:00:00 +0000;5',
]


@pytest.mark.parametrize(("text", "encoding"), [
    # Few accented letters: once read as DOS's Baltic page cp775 ("Akku lõdt", "Zoļ M³ller")
    ("ID;Name;Subject;Body\r\n1;Zoë Müller;Akku lädt nicht;\"Der Akku lädt nicht mehr.\r\nBitte!\"\r\n"
     "2;José Ñúñez;Pantalla rota;La pantalla está rota\r\n3;Zoë;Noch ein Problem;\"Tastatur: \"\"ß\"\"\"\r\n",
     "cp1252"),
    ("Иван Петров;Не работает принтер\r\nОльга;Проблема с оплатой\r\n", "cp1251"),
    ("Клиент;Вопрос\r\nСергей;Где мой заказ\r\nАнна;Возврат денег\r\n", "cp1251"),
    ("Ошибка оплаты\r\nНе работает вход\r\n", "cp1251"),
    ("Łukasz Żółć;Kamera nie działa\r\nGrażyna;Płatność\r\n", "cp1250"),
])
def test_a_short_export_in_a_windows_code_page_is_read_in_it(text, encoding):
    assert detect_encoding(text.encode(encoding)).replace("_", "") in (encoding, "latin1")


def test_a_csv_excel_for_mac_wrote_in_mac_roman_reads_right():
    text = "Name,Subject\rZoë Müller,Akku lädt nicht\rJosé Ñúñez,Pantalla rota\rFrançois,Problème\r"
    raw = text.encode("mac_roman")
    assert raw.decode(detect_encoding(raw)) == text


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"])
def test_encodings_from_spreadsheets_all_read_the_same(tmp_path, encoding):
    rows = MESSY_ROWS if encoding not in ("cp1252", "latin-1") else [
        r.replace("Łukasz Żółć", "Lukas Zolc") for r in MESSY_ROWS]
    data = generic(rows).encode(encoding)
    if encoding == "utf-16":
        assert data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    done = imported(tmp_path, "messy.csv", data, "--mapping", "generic", "--timezone", "Europe/Oslo")
    assert done.returncode == 0, done.stdout + done.stderr
    by = {d["source_id"]: d for d in tickets(tmp_path / "store")}
    big = by["csv:9223372036854775807"]
    assert big["subject"] == "Café order"
    assert big["messages"][0]["body"] == "Hello,\n\nmy order & invoice\nare wrong"
    assert big["created"] == "2024-03-01T08:30:00.000Z"
    assert by["csv:2"]["messages"][0]["body"] == "one\ntwo\nthree\nfour"
    assert by["csv:2"]["priority"] == "normal" and "satisfaction" not in by["csv:2"]
    assert by["csv:3"]["messages"][0]["body"] == "plain text with <customer_name> kept"
    assert by["csv:3"]["created"] == "2024-03-01T07:00:00.000Z"  # 08:00 in Oslo
    assert by["csv:4"]["solved"] == "2024-03-01T09:00:00.000Z"
    store = TinyDBStore(tmp_path / "store")
    try:
        names = {c.name for c in store.customers()}
    finally:
        store.close()
    assert {"Åsa Öberg", "José Núñez", "Ana"} <= names


BAD_ROWS = [
    "10;ok;fine;open;low;email;A;a@example.com;;2024-03-01 08:00;;",
    "11;bad status;x;escalated-ish;low;email;B;b@example.com;;2024-03-01 08:00;;",
    "12;bad time;x;open;low;email;C;c@example.com;;yesterday-ish;;",
    "13;bad csat;x;solved;low;email;D;d@example.com;;2024-03-01 08:00;2024-03-01 09:00;11",
    "14;bad email;x;open;low;email;E;not-an-email;;2024-03-01 08:00;;",
    "10;ok;fine;open;low;email;A;a@example.com;;2024-03-01 08:00;;",  # a duplicate row
    "10;ok but other;fine;open;low;email;A;a@example.com;;2024-03-01 08:00;;",
]


def test_dry_run_names_every_problem_and_writes_nothing(tmp_path):
    done = imported(tmp_path, "bad.csv", generic(BAD_ROWS).encode(), "--mapping", "generic", "--dry-run")
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert any(line.startswith("bad.csv:3: status: 'escalated-ish' is not a status") for line in lines)
    assert any(line.startswith("bad.csv:4: created: 'yesterday-ish' is not a date") for line in lines)
    assert any(line.startswith("bad.csv:5: csat: '11' is not a whole number from 1 to 5") for line in lines)
    assert any(line.startswith("bad.csv:6: email: 'not-an-email' is not an email") for line in lines)
    assert any(line.startswith("bad.csv:7: id: warning: a duplicate of line 2") for line in lines)
    assert any(line.startswith("bad.csv:8: id: ticket 10 is also on line 2") for line in lines)
    assert "1 tickets readable, 5 problem(s); nothing written (dry run)" in done.stdout
    assert not (tmp_path / "store").exists()


def test_a_file_with_a_bad_row_is_not_written_at_all_unless_skip_bad(tmp_path):
    done = imported(tmp_path, "bad.csv", generic(BAD_ROWS).encode(), "--mapping", "generic")
    assert done.returncode == 1 and "nothing written from this file" in done.stderr
    assert "Traceback" not in done.stderr
    assert tickets(tmp_path / "store") == []
    done = imported(tmp_path, "bad.csv", generic(BAD_ROWS).encode(), "--mapping", "generic", "--skip-bad")
    assert done.returncode == 0 and "5 row(s) skipped" in done.stdout
    assert [d["source_id"] for d in tickets(tmp_path / "store")] == ["csv:10"]


def test_metrics_see_imported_history(tmp_path):
    imported(tmp_path, "m.csv", generic(MESSY_ROWS).encode(), "--mapping", "generic")
    log = events(tmp_path / "store")
    created = [e for e in log if e["type"] == "ticket_created"]
    assert len(created) == 4 and all(e["src"] == "import" for e in created)
    report = desk("report", "--data-dir", str(tmp_path / "store"), "--since", "2024-02-01",
                  "--until", "2024-04-01", "--format", "json")
    assert report.returncode == 0, report.stderr
    assert '"solved"' in report.stdout or "solved" in report.stdout


CONVERSATION = (
    "ticket_id,message_id,reply_to,time,type,author,body,subject,customer,email,channel,priority,status\n"
    "A-1,m2,m1,2024-03-01T10:05:00Z,reply,alice,Try a restart,,,,,,\n"
    "A-1,m1,,2024-03-01T10:05:00Z,customer,,My router is dead,Router,Jürgen Weiß,jw@example.de,email,high,\n"
    "A-1,,,2024-03-01T11:00:00Z,status,alice,,,,,,,solved\n"
    "B-2,b1,,2024-03-02T09:00:00Z,customer,,Hi,Hello,Jürgen Weiß,jw@example.de,chat,,\n"
    "B-2,b2,b1,2024-03-02T09:10:00Z,note,bob,internal,,,,,,\n"
)


def test_message_rows_are_grouped_ordered_and_threaded(tmp_path):
    done = imported(tmp_path, "conv.csv", CONVERSATION.encode(), "--mapping", "conversation")
    assert done.returncode == 0, done.stdout + done.stderr
    by = {d["source_id"]: d for d in tickets(tmp_path / "store")}
    a = by["conversation:A-1"]
    assert [m["body"] for m in a["messages"]] == ["My router is dead", "Try a restart"]
    assert [m["kind"] for m in a["messages"]] == ["customer_message", "public_reply"]
    assert a["status"] == "closed" or a["status"] == "solved"
    assert a["solved"] == "2024-03-01T11:00:00.000Z" and a["priority"] == "high"
    assert by["conversation:B-2"]["messages"][1]["kind"] == "internal_note"
    assert a["customer"] == by["conversation:B-2"]["customer"]
    types = [e["type"] for e in events(tmp_path / "store") if e["ticket"] == a["id"]]
    assert types == ["ticket_created", "customer_contact", "agent_reply", "status_change"]


def test_a_bad_mapping_file_is_one_line(tmp_path):
    (tmp_path / "m.toml").write_text('[columns]\nid = "x"\nsubjekt = "y"\n')
    (tmp_path / "x.csv").write_text("x,y\n1,2\n")
    done = desk("import", "csv", str(tmp_path / "x.csv"), "--mapping", str(tmp_path / "m.toml"),
                "--data-dir", str(tmp_path / "s"))
    assert done.returncode == 2 and "key columns.subjekt: not a column desk knows" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    done = desk("import", "csv", str(tmp_path / "x.csv"), "--mapping", "generic", "--data-dir", str(tmp_path / "s"))
    assert done.returncode == 1 and "x.csv:1: (header): no column 'id'" in done.stdout


def test_a_quick_import_into_a_pipe_prints_its_result_and_no_progress_line(tmp_path):
    """Progress lines are for long imports: a second-long one printed `100% read, 1 tickets`
    after its result (the first call always printed)."""
    done = imported(tmp_path, "t.csv", dataset().encode(), "--mapping", "support-dataset")
    assert done.returncode == 0, done.stderr
    assert "4 new" in done.stdout and "% read" not in done.stderr
