"""`desk import` into a PostgreSQL store (store/postgres/import_writer.py) lands what the same
import lands in a data directory: the same tickets, customers, products, events and counts;
a re-run changes nothing, a changed source ticket updates, a bad file writes nothing; the
queue rows are made, `desk check` passes, the spill folder goes; an agent's role is refused."""

from __future__ import annotations

import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.core.importers.test_csv_import import BAD_ROWS, DATASET_ROWS, dataset, generic
from tests.core.postgres_server import connect, postgres_schema  # noqa: F401
from tests.core.test_store_postgres_roles import GROUP, as_role, make_login
from tui.cli import main
from tui.core.eventlog import EVENTS_FILE, ReadStats, iter_lines
from tui.core.fileio import read_file
from tui.core.filter import parse
from tui.core.importers import landing
from tui.core.importers import run as run_module
from tui.core.queue_views import VIEWS_BY_KEY, ViewContext
from tui.core.store import PostgresStore, TinyDBStore
from tui.core.store.postgres import import_writer

ZENDESK = Path(__file__).parent / "fixtures" / "zendesk-page.json"
NOW = datetime(2026, 5, 4, 3, 2, 1, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def clean_env(tmp_path, monkeypatch):
    monkeypatch.setenv("DESK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("DESK_STORE", raising=False)
    monkeypatch.delenv("DESK_DATA_DIR", raising=False)
    spills = tmp_path / "tmp"
    spills.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spills))  # where the writer's spill folder goes
    for module in (landing, run_module):  # a ticket or customer without a time gets this one
        monkeypatch.setattr(module, "now_utc", lambda: NOW)


@pytest.fixture
def csv_file(tmp_path) -> Path:
    path = tmp_path / "ds.csv"
    path.write_bytes(dataset().encode())
    return path


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def import_both(capsys, tmp_path: Path, url: str, *args: str) -> tuple[str, str]:
    """The same import into PostgreSQL and into a data directory: their outputs."""
    code, pg_out, err = run(capsys, "import", *args, "--store", url)
    assert code == 0, err
    code, dir_out, err = run(capsys, "import", *args, "--data-dir", str(tmp_path / "store"))
    assert code == 0, err
    return pg_out, dir_out


def pg_events(url: str) -> list[dict]:
    with connect(url) as conn:
        return [row[0] for row in conn.execute("SELECT event FROM events ORDER BY pos")]


def dir_events(tmp_path: Path) -> list[dict]:
    return list(iter_lines(read_file(tmp_path / "store" / EVENTS_FILE), ReadStats()))


def contents(store) -> dict:
    """What an import leaves in a store, in an order that does not depend on the backend."""
    try:
        return {
            "tickets": sorted(store.ticket_docs(include_archive=True), key=lambda d: d["id"]),
            "customers": sorted((c.model_dump() for c in store.customers()), key=lambda c: c["id"]),
            "products": sorted((p.model_dump() for p in store.products()), key=lambda p: p["id"]),
            "purchases": sorted((p.model_dump() for p in store.purchases()), key=lambda p: p["id"]),
        }
    finally:
        store.close()


def ticket_count(url: str) -> tuple[int, int, int]:
    with connect(url) as conn:
        return tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                     for t in ("tickets", "events", "customers"))


def test_zendesk_and_csv_land_on_postgresql_as_in_a_data_directory(capsys, tmp_path, postgres_schema,
                                                                      csv_file):
    outs = [import_both(capsys, tmp_path, postgres_schema, "zendesk", str(ZENDESK)),
            import_both(capsys, tmp_path, postgres_schema, "csv", str(csv_file),
                        "--mapping", "support-dataset")]
    for pg_out, dir_out in outs:
        assert pg_out == dir_out and " new, " in pg_out
    assert "2 new, 0 updated" in outs[0][0] and "4 new, 0 updated" in outs[1][0]
    pg = contents(PostgresStore(postgres_schema))
    assert pg == contents(TinyDBStore(tmp_path / "store"))
    assert len(pg["tickets"]) == 6 and {t["status"] for t in pg["tickets"]} >= {"closed", "open"}
    assert pg["products"] and pg["purchases"]
    logged = pg_events(postgres_schema)
    assert logged == dir_events(tmp_path) and len(logged) > 6
    assert {e["src"] for e in logged} == {"import"} and {e["agent"] for e in logged} == {None}
    assert [e["seq"] for e in logged] == list(range(1, len(logged) + 1))
    assert list((tmp_path / "tmp").iterdir()) == []  # the spill folder went with the import


def test_a_rerun_changes_nothing_and_a_changed_source_ticket_updates(capsys, tmp_path, postgres_schema,
                                                                      csv_file):
    url = postgres_schema
    args = ("import", "csv", str(csv_file), "--mapping", "support-dataset", "--store", url)
    assert run(capsys, *args)[0] == 0
    before, logged = contents(PostgresStore(url)), pg_events(url)
    code, out, _ = run(capsys, *args)
    assert code == 0 and ("0 new, 0 updated, 4 unchanged tickets; 0 new customers, 0 products, "
                          "0 purchases; 0 events") in out  # each found in the tables
    assert contents(PostgresStore(url)) == before and pg_events(url) == logged
    newer = [DATASET_ROWS[0].replace("Pending Customer Response,,", "Closed,Sent a new one,")
             .replace("12:15:36,,", "12:15:36,2023-06-03 09:00:00,4"), *DATASET_ROWS[1:]]
    csv_file.write_bytes(dataset(newer).encode())
    code, out, _ = run(capsys, *args)
    assert code == 0 and "0 new, 1 updated, 3 unchanged" in out, out
    after = contents(PostgresStore(url))["tickets"]
    t1 = next(d for d in after if d["source_id"] == "dataset:1")
    assert t1["status"] == "closed" and t1["_rev"] == 2 and t1["satisfaction"]["score"] == 4
    assert [d for d in after if d is not t1] == [d for d in before["tickets"] if d["id"] != t1["id"]]
    new_events = pg_events(url)[len(logged):]
    assert {e["type"] for e in new_events} == {"agent_reply", "status_change", "csat_response"}
    assert {e["ticket"] for e in new_events} == {t1["id"]}
    assert [e["seq"] for e in new_events][0] == len(logged) + 1  # import_seq counts on
    code, out, _ = run(capsys, *args)
    assert "0 new, 0 updated, 4 unchanged" in out and len(pg_events(url)) == len(logged) + len(new_events)


def test_numbers_follow_what_the_store_holds_and_a_known_email_is_its_customer(capsys, postgres_schema,
                                                                               csv_file):
    store = PostgresStore(postgres_schema, agent="ana")
    store.load_records("customers", [{"id": "C-7", "name": "Marisa", "email": "CarrollAllison@example.com",
                                      "customer_since": "2020-01-01T00:00:00.000Z"}])
    own = store.insert_ticket(customer="C-7", subject="Desk's own", body="typed in desk")
    store.close()
    code, out, _ = run(capsys, "import", "csv", str(csv_file), "--mapping", "support-dataset",
                       "--store", postgres_schema)
    assert code == 0 and "4 new, 0 updated, 0 unchanged tickets; 2 new customers" in out, out
    docs = {d["source_id"]: d for d in contents(PostgresStore(postgres_schema))["tickets"]
            if d.get("source_id")}
    assert docs["dataset:1"]["customer"] == "C-7"  # matched by email, whatever its case
    numbers = sorted(int(d["id"][2:]) for d in docs.values())
    assert int(own.id[2:]) not in numbers and len(set(numbers)) == 4
    assert {d["customer"] for d in docs.values()} - {"C-7"} <= {"C-8", "C-9"}


def test_a_file_with_a_bad_row_writes_nothing_and_names_file_line_and_column(capsys, tmp_path,
                                                                            postgres_schema, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("bad.csv").write_bytes(generic(BAD_ROWS).encode())
    args = ("import", "csv", "bad.csv", "--mapping", "generic", "--store", postgres_schema)
    code, out, err = run(capsys, *args)
    assert code == 1 and "nothing written from this file" in err
    assert "bad.csv:3: status: 'escalated-ish' is not a status" in out
    assert "bad.csv:6: email: 'not-an-email' is not an email" in out
    assert ticket_count(postgres_schema) == (0, 0, 0)
    code, out, _ = run(capsys, *args, "--dry-run")
    assert code == 1 and "nothing written (dry run)" in out and ticket_count(postgres_schema) == (0, 0, 0)
    code, out, _ = run(capsys, *args, "--skip-bad")
    assert code == 0 and "5 row(s) skipped" in out
    assert [d["source_id"] for d in PostgresStore(postgres_schema).ticket_docs()] == ["csv:10"]
    assert list((tmp_path / "tmp").iterdir()) == []


def test_check_passes_and_the_queue_lists_the_imported_tickets(capsys, tmp_path, postgres_schema, csv_file):
    url = postgres_schema
    assert run(capsys, "import", "zendesk", str(ZENDESK), "--store", url)[0] == 0
    assert run(capsys, "import", "csv", str(csv_file), "--mapping", "support-dataset", "--store", url)[0] == 0
    code, out, _ = run(capsys, "--store", url, "check")
    assert code == 0 and out.endswith(": OK\n")
    store = PostgresStore(url)
    try:
        docs = store.ticket_docs(include_archive=True)
        ctx = ViewContext.at("ana", datetime.now(timezone.utc))
        rows, _ = store.queue_selection(VIEWS_BY_KEY["all"], parse(""), ctx)
        assert sorted(rows.ids()) == sorted(d["id"] for d in docs) and len(docs) == 6
        open_rows, _ = store.queue_selection(VIEWS_BY_KEY["open"], parse(""), ctx)
        assert set(open_rows.ids()) == {d["id"] for d in docs if d["status"] not in ("solved", "closed")}
    finally:
        store.close()


def test_the_lookups_are_indexed(postgres_schema):
    PostgresStore(postgres_schema).close()  # the tables made, at the current schema
    with connect(postgres_schema) as conn:
        conn.execute("SET enable_seqscan = off")
        for sql in ("SELECT num FROM tickets WHERE doc->>'source_id' = 'x'",
                    "SELECT num FROM customers WHERE doc->>'source_id' = 'x'",
                    "SELECT num FROM customers WHERE lower(doc->>'email') = 'x'"):
            plan = " ".join(r[0] for r in conn.execute(f"EXPLAIN {sql}"))
            assert any(name in plan for name in ("tickets_source_id", "customers_source_id",
                                                 "customers_email")), plan


def test_a_failing_batch_writes_none_of_it_and_the_spill_folder_goes(capsys, tmp_path, postgres_schema,
                                                                      csv_file, monkeypatch):
    from tui.core.store import StoreError

    def broken(conn, numbers):
        raise StoreError("the queue rows could not be written")

    monkeypatch.setattr(import_writer, "sync_tickets", broken)  # after the batch's ticket rows
    code, out, err = run(capsys, "import", "csv", str(csv_file), "--mapping", "support-dataset",
                         "--store", postgres_schema)
    assert code == 1 and err == "desk import: the queue rows could not be written\n"
    assert ticket_count(postgres_schema) == (0, 0, 0)
    assert list((tmp_path / "tmp").iterdir()) == []


def test_an_agents_role_is_refused_in_one_line_and_nothing_is_written(capsys, postgres_schema, csv_file):
    assert main(["init", "--store", postgres_schema, "--agents-role", GROUP]) == 0
    with connect(postgres_schema) as admin:
        admin.autocommit = True
        make_login(admin, "alice", member=True)
    capsys.readouterr()
    code, out, err = run(capsys, "import", "csv", str(csv_file), "--mapping", "support-dataset",
                         "--store", as_role(postgres_schema, "alice"))
    assert code == 1 and out == "" and err.count("\n") == 1
    assert "only the tables' owner" in err and "alice" in err
    assert ticket_count(postgres_schema) == (0, 0, 0)
