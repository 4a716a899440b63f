"""`desk migrate --from DIR --to postgresql://…`: the PostgreSQL store then holds the same
records and the same event log as the data directory, and a second run copies nothing and
undoes no change made on the server meanwhile."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.core.postgres_server import connect, postgres_schema  # noqa: F401
from tui.cli import main
from tui.core.demo import copy_demo
from tui.core.eventlog import read_events
from tui.core.models import Ticket
from tui.core.paths import demo_store
from tui.core.store import PostgresStore, TinyDBStore


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("DESK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("DESK_STORE", raising=False)
    target = tmp_path / "store"
    copy_demo(demo_store(), target, datetime.now(timezone.utc))
    return target


def test_migrate_copies_everything_once_and_keeps_server_changes(capsys, data_dir, postgres_schema):
    url = postgres_schema
    assert main(["migrate", "--from", str(data_dir), "--to", url]) == 0
    assert "new events" in capsys.readouterr().out
    source, target = TinyDBStore(data_dir), PostgresStore(url, agent="ana")
    try:
        by_id = {d["id"]: d for d in source.ticket_docs(include_archive=True)}
        # The same tickets, field by field (stored in their validated form, defaults filled in).
        assert {d["id"]: Ticket.model_validate(d) for d in target.ticket_docs(include_archive=True)} \
            == {i: Ticket.model_validate(d) for i, d in by_id.items()}
        assert target.customers() == source.customers() and target.products() == source.products()
        assert target.purchases() == source.purchases()
        some = sorted(by_id, key=lambda i: int(i[2:]))[0]
        assert target.customer_history(by_id[some]["customer"]).tickets == \
            source.customer_history(by_id[some]["customer"]).tickets
        log = read_events([data_dir / "events.jsonl"])
        with connect(url) as conn:
            stored = [r[0] for r in conn.execute("SELECT event FROM events ORDER BY pos")]
        assert stored == log
        active = next(d for d in by_id.values() if d["status"] != "closed")
        changed = target.update_ticket(active["id"], {"priority": "urgent"}, active["_rev"])
        new = target.insert_ticket(customer=active["customer"], subject="after", body="x")
        assert int(new.id[2:]) == max(int(i[2:]) for i in by_id) + 1
    finally:
        source.close()
        target.close()
    assert main(["migrate", "--from", str(data_dir), "--to", url]) == 0
    assert "Copied 0 customers, 0 products, 0 purchases, 0 tickets and 0 new events" in capsys.readouterr().out
    again = PostgresStore(url)
    try:
        assert again.get_ticket(active["id"]).priority == changed.priority == "urgent"
    finally:
        again.close()


def test_migrate_refuses_what_it_cannot_do_in_one_line(capsys, data_dir, tmp_path):
    assert main(["migrate", "--from", str(data_dir), "--to", str(tmp_path / "x")]) == 2
    assert "expected a postgresql:// URL" in capsys.readouterr().err
    assert main(["migrate", "--from", str(tmp_path / "none"),
                 "--to", "postgresql:///x?host=/nonexistent"]) == 2
    assert "there is no store in" in capsys.readouterr().err
    assert main(["migrate", "--from", str(data_dir), "--to", "postgresql:///x?host=/nonexistent"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot connect" in err


def test_export_from_postgresql_is_the_export_of_the_data_directory_it_came_from(
        capsys, data_dir, postgres_schema, tmp_path):
    url = postgres_schema
    assert main(["migrate", "--from", str(data_dir), "--to", url]) == 0
    capsys.readouterr()
    for fmt in ("json", "csv"):
        exported = {}
        for name, where in (("dir", ["--data-dir", str(data_dir)]), ("pg", ["--store", url])):
            out = tmp_path / f"{name}.{fmt}"
            assert main(["export", "--format", fmt, *where, "--output", str(out)]) == 0, capsys.readouterr().err
            lines = out.read_bytes().splitlines()
            exported[name] = lines[1:] if fmt == "json" else lines  # the JSON header says when
        assert exported["pg"] == exported["dir"] and len(exported["dir"]) > 300
    assert "tickets" in capsys.readouterr().err
