"""`desk migrate --from postgresql://… --to DIR`, the way back: DIR → PostgreSQL → DIR2 gives
the same records, archive and event log, `desk check` passes on DIR2, and a second run changes
nothing. `desk report` and `desk metrics` on the PostgreSQL store print what they print from
the data directory it was migrated from."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.core.postgres_server import connect, postgres_schema  # noqa: F401 - the fixture
from tui.cli import main
from tui.core.demo import copy_demo
from tui.core.eventlog import read_events
from tui.core.models import Ticket
from tui.core.paths import demo_store
from tui.core.store import PostgresStore, TinyDBStore

NOWHERE = "postgresql:///desk?host=/nonexistent-desk-socket-dir"
REPO = Path(__file__).resolve().parents[2]

# `desk migrate` back in batches of 100, killed (SIGKILL) just before or just after its
# Nth durable write: a journal line of the data directory, or a write to its event log.
KILLED_MIGRATE = textwrap.dedent("""
    import os, signal, sys
    from tui.cli import main
    from tui.core.eventlog import EventWriter
    from tui.core.store.postgres import migrate_back
    from tui.core.store.tinydb.journal import JournaledCollection

    migrate_back.BATCH = 100
    kill_at, before = int(sys.argv[1]), sys.argv[2] == "before"
    writes = [0]

    def counted(write):
        def run(*args, **kwargs):
            writes[0] += 1
            if writes[0] == kill_at and before:
                os.kill(os.getpid(), signal.SIGKILL)
            result = write(*args, **kwargs)
            if writes[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return result
        return run

    JournaledCollection.commit = counted(JournaledCollection.commit)
    EventWriter.write_many = counted(EventWriter.write_many)
    sys.exit(main(["migrate", "--from", sys.argv[3], "--to", sys.argv[4]]))
""")


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("DESK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("DESK_STORE", raising=False)
    target = tmp_path / "store"
    copy_demo(demo_store(), target, datetime.now(timezone.utc))
    return target


@pytest.fixture
def migrated(data_dir, postgres_schema, capsys):
    """The demo store copied into a fresh PostgreSQL schema: its URL."""
    assert main(["migrate", "--from", str(data_dir), "--to", postgres_schema]) == 0
    capsys.readouterr()
    return postgres_schema


def contents(directory: Path) -> dict:
    store = TinyDBStore(directory)
    try:
        return {
            "active": {d["id"]: Ticket.model_validate(d) for d in store.ticket_docs()},
            "all": {d["id"]: Ticket.model_validate(d) for d in store.ticket_docs(include_archive=True)},
            "customers": store.customers(), "products": store.products(),
            "purchases": store.purchases(),
            "events": read_events([directory / "events.jsonl"]),
        }
    finally:
        store.close()


def files(directory: Path) -> dict[str, bytes]:
    names = ("store.json", "store.journal", "archive.json", "archive.journal", "events.jsonl")
    return {name: (directory / name).read_bytes() for name in names if (directory / name).exists()}


def test_round_trip_gives_the_same_store_and_a_second_run_changes_nothing(capsys, data_dir, migrated, tmp_path):
    back = tmp_path / "back"
    assert main(["migrate", "--from", migrated, "--to", str(back)]) == 0
    out = capsys.readouterr().out
    before = contents(data_dir)
    assert f"{len(before['all'])} tickets and {len(before['events'])} new events" in out
    after = contents(back)
    assert after["all"] == before["all"] and after["active"] == before["active"]  # archive too
    for name in ("customers", "products", "purchases", "events"):
        assert after[name] == before[name], name
    assert main(["check", "--data-dir", str(back)]) == 0
    assert capsys.readouterr().out.endswith(": OK\n")
    written = files(back)
    assert main(["migrate", "--from", migrated, "--to", str(back)]) == 0
    assert "Copied 0 customers, 0 products, 0 purchases, 0 tickets and 0 new events" in capsys.readouterr().out
    assert files(back) == written


def test_back_into_the_directory_it_came_from_copies_nothing(capsys, data_dir, migrated):
    """Its records are the server's once both are in stored form (a field held as null in
    the directory is one the server omits): none is rewritten, no file changes."""
    written = files(data_dir)
    assert main(["migrate", "--from", migrated, "--to", str(data_dir)]) == 0
    assert "Copied 0 customers, 0 products, 0 purchases, 0 tickets and 0 new events" in capsys.readouterr().out
    assert files(data_dir) == written


def test_a_second_run_brings_server_changes_and_keeps_the_directorys_own(capsys, migrated, tmp_path):
    back = tmp_path / "back"
    assert main(["migrate", "--from", migrated, "--to", str(back)]) == 0
    server = PostgresStore(migrated, agent="ana")
    try:
        open_ids = [d["id"] for d in server.ticket_docs()]
        first, second, third = (server.get_ticket(i) for i in open_ids[:3])
        server.update_ticket(first.id, {"status": "closed"}, first.rev)  # to the archive
        server.update_ticket(second.id, {"priority": "urgent"}, second.rev)
        new = server.insert_ticket(customer=first.customer, subject="after the copy", body="x")
    finally:
        server.close()
    local = TinyDBStore(back, agent="ana")
    try:  # changed in the directory since: a higher revision than the server's
        local.update_ticket(third.id, {"subject": "kept here"}, third.rev)
    finally:
        local.close()
    capsys.readouterr()
    assert main(["migrate", "--from", migrated, "--to", str(back)]) == 0
    assert " 3 tickets and " in capsys.readouterr().out
    copy = TinyDBStore(back)
    try:
        active = {d["id"] for d in copy.ticket_docs()}
        assert first.id not in active and copy.get_ticket(first.id).status == "closed"
        assert copy.get_ticket(second.id).priority == "urgent"
        assert copy.get_ticket(third.id).subject == "kept here"
        assert copy.get_ticket(new.id).subject == "after the copy"
        made = copy.insert_ticket(customer=first.customer, subject="numbered past", body="y")
        assert made.number == new.number + 1
    finally:
        copy.close()
    log = read_events([back / "events.jsonl"])
    assert len({e["id"] for e in log}) == len(log)  # nothing twice
    assert main(["check", "--data-dir", str(back)]) == 0


def test_a_directory_that_is_not_a_store_is_refused_untouched(capsys, migrated, tmp_path):
    other = tmp_path / "notes"
    other.mkdir()
    (other / "todo.txt").write_text("mine\n")
    assert main(["migrate", "--from", migrated, "--to", str(other)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not empty and holds no desk store" in err
    assert [p.name for p in other.iterdir()] == ["todo.txt"]


def test_an_unreachable_server_is_one_line_and_makes_nothing(capsys, tmp_path):
    target = tmp_path / "new"
    assert main(["migrate", "--from", NOWHERE, "--to", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot connect" in err
    assert not target.exists()
    assert main(["migrate", "--from", NOWHERE, "--to", NOWHERE]) == 2
    assert "expected a postgresql:// URL on one side" in capsys.readouterr().err


@pytest.mark.parametrize("options", [[], ["--by", "product"], ["--by", "region"], ["--agent", "aino"]])
def test_report_on_postgres_is_the_report_of_the_data_directory(capsys, data_dir, migrated, options):
    today = datetime.now(timezone.utc).date()
    period = ["--since", (today - timedelta(days=30)).isoformat(), "--until", today.isoformat(),
              "--format", "json", *options]
    assert main(["report", "--data-dir", str(data_dir), *period]) == 0
    from_files = capsys.readouterr().out
    assert main(["report", "--store", migrated, *period]) == 0
    assert capsys.readouterr().out == from_files
    assert json.loads(from_files)["overall"]["handled"] > 0  # the period holds work to compare


def test_metrics_on_postgres_is_the_metrics_of_the_data_directory(capsys, data_dir, migrated):
    as_of = ["--as-of", datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")]
    assert main(["--data-dir", str(data_dir), "metrics", *as_of]) == 0
    from_files = capsys.readouterr().out
    assert main(["--store", migrated, "metrics", *as_of]) == 0
    assert capsys.readouterr().out == from_files


def test_a_record_the_models_refuse_is_named_and_nothing_of_its_table_is_written(capsys, migrated, tmp_path):
    with connect(migrated) as conn:
        conn.execute("UPDATE customers SET doc = jsonb_set(doc, '{language}', '\"no tag\"') WHERE num = 7")
    back = tmp_path / "back"
    assert main(["migrate", "--from", migrated, "--to", str(back)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "table customers" in err and "C-7" in err and "language" in err
    store = TinyDBStore(back)
    try:
        assert store.customers() == []  # the batch was checked before any of it was written
    finally:
        store.close()


def test_an_event_without_an_id_stops_the_copy_with_one_line(capsys, migrated, tmp_path):
    with connect(migrated) as conn:
        conn.execute("""INSERT INTO events (type, event) VALUES ('note', '{"type": "note"}')""")
    back = tmp_path / "back"
    assert main(["migrate", "--from", migrated, "--to", str(back)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "table events: an event without an id" in err
    assert main(["check", "--data-dir", str(back)]) == 0  # what was copied is a sound store


@pytest.mark.parametrize(("kill_at", "when"), [(1, "after"), (4, "before"), (12, "after"),
                                               (16, "before"), (30, "after")])
def test_killed_at_a_write_it_leaves_a_sound_store_and_the_next_run_finishes(
        capsys, data_dir, migrated, tmp_path, kill_at, when):
    back = tmp_path / "back"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", KILLED_MIGRATE, str(kill_at), when, migrated, str(back)],
                          env=env, capture_output=True, timeout=120, check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode(errors="replace")
    assert main(["check", "--data-dir", str(back)]) == 0, capsys.readouterr().out
    assert main(["migrate", "--from", migrated, "--to", str(back)]) == 0
    after, before = contents(back), contents(data_dir)
    for name in ("all", "active", "customers", "products", "purchases", "events"):
        assert after[name] == before[name], name
    assert main(["check", "--data-dir", str(back)]) == 0


def test_on_a_terminal_each_table_gets_a_progress_bar(data_dir, migrated, tmp_path):
    """stderr a terminal (a pty): a bar per table, ending full; stdout keeps the one summary line."""
    import pty
    import threading

    master, slave = pty.openpty()
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # the other end closed
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "100", "TERM": "xterm"}
    done = subprocess.run([sys.executable, "-m", "tui", "migrate", "--from", migrated, "--to", str(tmp_path / "b")],
                          stderr=slave, stdout=subprocess.PIPE, env=env, timeout=120, check=False)
    os.close(slave)
    reader.join(timeout=10)
    os.close(master)
    shown = b"".join(chunks).decode(errors="replace")
    assert done.returncode == 0 and done.stdout.decode().startswith("Copied ")
    source = contents(data_dir)
    for table, total in (("customers", len(source["customers"])), ("tickets", len(source["all"])),
                         ("events", len(source["events"]))):
        assert table in shown and f"{total}/{total}" in shown, (table, shown[-600:])
