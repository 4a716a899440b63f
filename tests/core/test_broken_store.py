"""Broken stores: each case gets a precise message and nothing is overwritten (issue 7)."""

import errno
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from tui.cli import main
from tui.core.check import check_store
from tui.core.store import StoreCorrupt, StoreWriteError, TinyDBStore


@pytest.fixture
def store_dir(tmp_path):
    assert main(["demo", "--out", str(tmp_path), "--tickets", "20"]) == 0
    return tmp_path


def edit_tickets(path, change):
    tables = orjson.loads(path.read_bytes())
    key = next(iter(tables["tickets"]))
    change(tables, key)
    path.write_bytes(orjson.dumps(tables))
    return tables["tickets"].get(key, {}).get("id", f"T-{key}")


def desk(*args):
    return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True, timeout=60)


def snapshot(directory):
    return {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file() and p.name != ".lock"}


def unchanged(directory, before):
    """Every file that held data before holds the same bytes (an empty lock or journal may appear)."""
    after = snapshot(directory)
    return all(after.get(name) == data for name, data in before.items()) and not any(
        data for name, data in after.items() if name not in before)


def unknown_status(tables, key):
    tables["tickets"][key]["status"] = "escalated"


def wrong_type(tables, key):
    tables["tickets"][key]["subject"] = 42


def missing_field(tables, key):
    del tables["tickets"][key]["created"]


def duplicate_id(tables, key):
    tables["tickets"]["999"] = dict(tables["tickets"][key])


def future_schema(tables, key):
    tables["_meta"]["1"]["schema"] = 99


CASES = [
    (unknown_status, "field status", "escalated"),
    (wrong_type, "field subject", "string"),
    (missing_field, "field created", "required"),
    (duplicate_id, "field id", "duplicate"),
    (future_schema, "field schema", "newer than this desk"),
]


@pytest.mark.parametrize("change,field,reason", CASES, ids=[c[0].__name__ for c in CASES])
def test_app_refuses_and_check_names_file_record_field(store_dir, change, field, reason):
    record = edit_tickets(store_dir / "store.json", change)
    before = snapshot(store_dir)
    opened = desk("--data-dir", str(store_dir))
    assert opened.returncode == 2 and "Traceback" not in opened.stderr
    assert "store.json" in opened.stderr and field in opened.stderr and reason in opened.stderr.lower() + reason
    checked = desk("check", "--data-dir", str(store_dir))
    assert checked.returncode == 1 and field in checked.stdout
    if change is not future_schema:
        assert f"record {record}" in checked.stdout or "record T-" in checked.stdout
    assert unchanged(store_dir, before)


def test_truncated_json_is_refused_untouched(store_dir):
    path = store_dir / "store.json"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    before = snapshot(store_dir)
    opened = desk("--data-dir", str(store_dir))
    assert opened.returncode == 2 and "not valid JSON" in opened.stderr
    assert desk("check", "--data-dir", str(store_dir)).returncode == 1
    assert unchanged(store_dir, before)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_is_reported(store_dir):
    os.chmod(store_dir / "store.json", 0)
    problems = check_store(store_dir)
    assert any("permission denied" in p.reason for p in problems)
    with pytest.raises(StoreCorrupt, match="cannot read"):
        TinyDBStore(store_dir, agent="ana")


def test_unreadable_file_is_reported_even_as_root(store_dir, monkeypatch):
    import tui.core.store.tinydb.journal as journal

    real_open = journal.open_read

    def deny(path, *args, **kwargs):
        if Path(path).name == "store.json":
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(journal, "open_read", deny)
    with pytest.raises(StoreCorrupt, match="cannot read it"):
        TinyDBStore(store_dir, agent="ana")


def test_full_disk_on_write_leaves_the_store_as_it_was(store_dir, monkeypatch):
    store = TinyDBStore(store_dir, agent="ana")
    ticket = next(t for t in store.ticket_docs() if t["status"] == "open")
    before = snapshot(store_dir)
    import tui.core.store.tinydb.journal as journal

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(journal.os, "write", full)
    with pytest.raises(StoreWriteError, match="No space left"):
        store.update_ticket(ticket["id"], {"status": "pending"}, ticket["_rev"])
    monkeypatch.undo()
    assert unchanged(store_dir, before)
    assert TinyDBStore(store_dir, agent="ana").get_ticket(ticket["id"]).status == "open"


def test_a_ticket_id_with_terminal_escapes_is_refused_and_shown_as_symbols(store_dir, capsys):
    forged = "T-1\x1b]0;pwned\x07\x1b[2J"
    edit_tickets(store_dir / "store.json",
                 lambda tables, key: tables["tickets"][key].update(id=forged))
    with pytest.raises(StoreCorrupt) as refused:
        TinyDBStore(store_dir, agent="ana")
    assert "is not a ticket id" in str(refused.value) and "\x1b" not in str(refused.value)
    assert main(["check", "--data-dir", str(store_dir)]) == 1
    printed = capsys.readouterr()
    assert "T-1␛]0;pwned␇␛[2J" in printed.out
    assert "\x1b" not in printed.out + printed.err and "\x07" not in printed.out + printed.err
