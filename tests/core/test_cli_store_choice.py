"""Which store a command opens: `--store URL` (before or after `ticket`), else --data-dir,
else $DESK_STORE, else $DESK_DATA_DIR, else `store = "…"` in config.toml. A command that does
not work on PostgreSQL yet refuses a PostgreSQL store in one line rather than quietly
opening a data directory instead."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from tests.core.postgres_server import connect, postgres_schema  # noqa: F401
from tui.cli import main
from tui.core.demo import copy_demo
from tui.core.paths import demo_store
from tui.core.store import PostgresStore

NOWHERE = "postgresql:///desk?host=/nonexistent-desk-socket-dir"


@pytest.fixture(autouse=True)
def clean_env(tmp_path, monkeypatch):
    monkeypatch.setenv("DESK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("DESK_STORE", raising=False)
    monkeypatch.delenv("DESK_DATA_DIR", raising=False)


@pytest.fixture
def url(postgres_schema):
    seed = PostgresStore(postgres_schema)
    seed.load_records("customers", [{"id": "C-1", "name": "Ana Lima",
                                     "customer_since": "2020-01-01T00:00:00.000Z"}])
    seed.close()
    return postgres_schema


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_ticket_verbs_work_on_a_store_given_by_flag_env_or_config(capsys, url, tmp_path, monkeypatch):
    code, out, err = run(capsys, "ticket", "--store", url, "new", "--customer", "C-1",
                         "--subject", "Fibre down", "--body", "since nine", "--format", "json")
    assert (code, err) == (0, "") and json.loads(out)["id"] == "T-1"
    code, out, _ = run(capsys, "--store", url, "ticket", "update", "T-1", "--rev", "1",
                       "--status", "open")
    assert code == 0
    code, _, err = run(capsys, "--store", url, "ticket", "update", "T-1", "--rev", "1",
                       "--priority", "high")
    assert code == 3 and "conflict" in err
    monkeypatch.setenv("DESK_STORE", url)
    code, out, _ = run(capsys, "ticket", "show", "T-1")
    assert code == 0 and "Fibre down" in out and "open" in out
    monkeypatch.delenv("DESK_STORE")
    config = tmp_path / "config"
    config.mkdir()
    (config / "config.toml").write_text(f'store = "{url}"\n')
    code, out, _ = run(capsys, "ticket", "reply", "T-1", "--body", "on it")
    assert code == 0
    with connect(url) as conn:
        types = [r[0] for r in conn.execute("SELECT type FROM events ORDER BY pos").fetchall()]
    assert types == ["ticket_created", "customer_contact", "status_change", "agent_reply"]


def test_a_command_without_postgres_support_refuses_it_in_one_line(capsys, monkeypatch):
    monkeypatch.setenv("DESK_STORE", NOWHERE)
    for args in (["sync"], ["conflicts"]):
        code, out, err = run(capsys, *args)
        assert code == 2 and out == "" and err.count("\n") == 1, args
        assert "does not work on a PostgreSQL store yet" in err and "desk ticket" in err
        assert "`desk import`" in err and "`desk serve`" in err  # of those that do, every one


def test_import_is_not_refused_on_postgres_but_an_unreachable_server_is_one_line(capsys, monkeypatch,
                                                                                tmp_path):
    monkeypatch.setenv("DESK_STORE", NOWHERE)
    path = tmp_path / "t.csv"
    path.write_text("id;subject\n1;Fibre down\n")
    code, out, err = run(capsys, "import", "csv", str(path), "--mapping", "generic")
    assert code == 1 and out == "" and err.count("\n") == 1
    assert err.startswith("desk import: PostgreSQL database desk on /nonexistent-desk-socket-dir: "
                          "cannot connect"), err


def test_the_app_on_an_unreachable_server_says_so_in_one_line(capsys, monkeypatch):
    monkeypatch.setenv("DESK_STORE", NOWHERE)
    code, out, err = run(capsys)  # `desk`: the app, on $DESK_STORE
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("desk: PostgreSQL database desk on /nonexistent-desk-socket-dir: cannot connect")


def test_report_and_metrics_on_an_unreachable_server_say_so_in_one_line(capsys, monkeypatch):
    monkeypatch.setenv("DESK_STORE", NOWHERE)
    for args in (["report"], ["metrics", "--as-of", "2026-01-01T00:00:00Z"]):
        code, out, err = run(capsys, *args)
        assert code == 2 and out == "" and err.count("\n") == 1, args
        assert err.startswith(f"desk {args[0]}: ") and "cannot connect" in err, err


def test_check_validates_a_postgres_store_and_names_table_record_and_field(capsys, url):
    code, out, _ = run(capsys, "--store", url, "check")
    assert code == 0 and out.endswith(": OK\n")
    store = PostgresStore(url, agent="ana")
    ticket = store.insert_ticket(customer="C-1", subject="Fibre down", body="since nine")
    store.close()
    with connect(url) as conn:
        conn.execute("UPDATE customers SET doc = jsonb_set(doc, '{language}', '\"no tag\"')")
        conn.execute("UPDATE tickets SET status = 'closed' WHERE num = %s", (ticket.number,))
        other = PostgresStore(url).insert_ticket(customer="C-1", subject="Still down", body="x")
        conn.execute("DELETE FROM queue WHERE num = %s", (other.number,))
    code, out, err = run(capsys, "--store", url, "check")
    # the customer's language (and so the ticket's queue row), the ticket's status column,
    # the other ticket's missing queue row
    assert code == 1 and "4 problem(s)" in err and "Nothing was changed" in err
    assert "table customers: record C-1: field language:" in out
    assert f"table tickets: record {ticket.id}: field status: the column differs" in out
    assert f"table queue: record {ticket.id}: field f_lang: the queue row differs" in out
    assert f"table queue: record {other.id}: field (row): the ticket has no queue row" in out
    code, _, err = run(capsys, "--store", url, "check", "--repair")
    assert code == 2 and "--repair" in err


def test_data_dir_beats_desk_store_and_a_store_that_is_not_a_url_is_refused(capsys, tmp_path,
                                                                          monkeypatch):
    target = tmp_path / "store"
    copy_demo(demo_store(), target, datetime.now(timezone.utc))
    monkeypatch.setenv("DESK_STORE", NOWHERE)
    code, _, err = run(capsys, "check", "--data-dir", str(target))
    assert code == 0, err
    monkeypatch.setenv("DESK_STORE", str(target))
    code, _, err = run(capsys, "ticket", "list")
    assert code == 2 and "$DESK_STORE: expected a postgresql:// URL" in err and "--data-dir" in err


def test_a_server_that_is_not_there_is_one_line_naming_it(capsys):
    code, out, err = run(capsys, "--store", NOWHERE, "ticket", "list")
    assert code == 1 and out == "" and err.count("\n") == 1
    assert "/nonexistent-desk-socket-dir: cannot connect" in err
