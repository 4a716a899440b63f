"""Never through a link (issue 13): a store file replaced by a symbolic link to a file of another
agent's, outside the store, is refused with a message naming it, and that file keeps every byte."""

import os
import subprocess
import sys
import textwrap

import pytest

from tui.cli import main
from tui.core.check import check_store
from tui.core.store import StoreError, TinyDBStore

VICTIM_BYTES = b"another agent's private notes\n"


@pytest.fixture
def store_dir(tmp_path):
    assert main(["demo", "--out", str(tmp_path / "store"), "--tickets", "20"]) == 0
    return tmp_path / "store"


@pytest.fixture
def victim(tmp_path):
    """A file outside the store that belongs to someone else."""
    path = tmp_path / "home" / "ana" / "notes.txt"
    path.parent.mkdir(parents=True)
    path.write_bytes(VICTIM_BYTES)
    if os.geteuid() == 0:
        os.chown(path, 4242, 4242)
    return path


def link(store_dir, name, target):
    path = store_dir / name
    path.unlink(missing_ok=True)
    path.symlink_to(target)
    return path


def refused(path):
    return pytest.raises(StoreError, match=f"^{path}: is a symbolic link; desk never follows "
                                           "links in the store. Remove it and restore")


def write_something(store):
    ticket = store.insert_ticket(customer="C-1", subject="x", body="y")
    store.append_message(ticket.id, kind="internal_note", body="z")


@pytest.mark.parametrize("name", ["store.journal", "events.jsonl", "store.json", ".lock",
                                  "archive.journal", "archive.json", "queue-summary.json",
                                  "archive-index.json"])
def test_a_linked_store_file_is_refused_when_the_store_opens(store_dir, victim, name):
    path = link(store_dir, name, victim)
    with refused(path):
        write_something(TinyDBStore(store_dir, agent="bob"))
    assert victim.read_bytes() == VICTIM_BYTES


@pytest.mark.parametrize("name", ["store.journal", "events.jsonl"])
def test_a_link_swapped_in_while_desk_runs_is_not_written_through(store_dir, victim, name):
    store = TinyDBStore(store_dir, agent="bob")
    try:
        path = link(store_dir, name, victim)
        with refused(path):
            write_something(store)
    finally:
        store.close()
    assert victim.read_bytes() == VICTIM_BYTES


def test_a_link_to_a_file_that_does_not_exist_yet_is_not_created(store_dir, tmp_path):
    target = tmp_path / "home" / "ana" / ".bashrc"
    target.parent.mkdir(parents=True)
    path = link(store_dir, "store.journal", target)
    with refused(path):
        write_something(TinyDBStore(store_dir, agent="bob"))
    assert not target.exists()


def test_desk_check_names_every_linked_file(store_dir, victim, capsys):
    link(store_dir, "store.journal", victim)
    link(store_dir, "events.jsonl", victim)
    problems = check_store(store_dir)
    assert {p.file for p in problems} == {str(store_dir / "store.journal"),
                                          str(store_dir / "events.jsonl")}
    assert all(p.fatal and "is a symbolic link" in p.reason for p in problems)
    assert main(["check", "--data-dir", str(store_dir)]) == 1
    assert f"{store_dir / 'store.journal'}: record -: field -: is a symbolic link" in capsys.readouterr().out
    assert victim.read_bytes() == VICTIM_BYTES


def test_a_linked_data_directory_is_refused_with_the_real_one_named(store_dir, tmp_path):
    alias = tmp_path / "alias"
    alias.symlink_to(store_dir)
    with pytest.raises(StoreError, match=f"^{alias}: is a symbolic link.*--data-dir {store_dir}$"):
        TinyDBStore(alias, agent="bob")
    assert "is a symbolic link" in check_store(alias)[0].reason


def test_a_fifo_in_place_of_the_journal_is_refused_and_does_not_hang(store_dir):
    """Opening a FIFO for reading waits for a writer: desk would hang at start."""
    os.mkfifo(store_dir / "store.journal")
    code = textwrap.dedent(f"""
        from tui.core.store import StoreError, TinyDBStore
        try:
            TinyDBStore({str(store_dir)!r}, agent="bob")
        except StoreError as exc:
            print(exc)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert out.stdout.startswith(f"{store_dir / 'store.journal'}: is a FIFO, not a regular file.")
    assert main(["check", "--data-dir", str(store_dir)]) == 1


@pytest.mark.parametrize("name", ["presence", "drafts"])
def test_a_linked_folder_of_the_store_is_refused(store_dir, tmp_path, name):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (store_dir / name).symlink_to(elsewhere)
    with pytest.raises(StoreError, match=f"^{store_dir / name}: is a symbolic link; desk never "
                                         r"follows links in the store. Remove it \(desk makes "
                                         r"the folder again\).$"):
        TinyDBStore(store_dir, agent="bob")
