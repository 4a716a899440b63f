"""`kill -9` during `desk import` (while batches are written, or while the journals are
folded at the end) leaves a store desk opens, and running the import again gives the store a
clean import gives: the same tickets with the same ids, customers and events, none twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.bench.import_bench import write_csv
from tui.core.eventlog import EVENTS_FILE, ReadStats, iter_lines
from tui.core.fileio import read_file
from tui.core.store import TinyDBStore

ROWS = 12_000  # three batches


def _import(csv: Path, store: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tui", "import", "csv", str(csv), "--mapping",
                             "support-dataset", "--data-dir", str(store)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _state(store: Path) -> tuple:
    desk = TinyDBStore(store)
    try:
        tickets = {d["source_id"]: d for d in desk.ticket_docs(include_archive=True)}
        customers = sorted((c.id, c.email) for c in desk.customers())
    finally:
        desk.close()
    events = [e["id"] for e in iter_lines(read_file(store / EVENTS_FILE), ReadStats())]
    return tickets, customers, events


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[Path, tuple]:
    tmp = tmp_path_factory.mktemp("clean")
    csv = tmp / "tickets.csv"
    write_csv(csv, ROWS)
    done = _import(csv, tmp / "store")
    out, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    return csv, _state(tmp / "store")


def _killed_when(store: Path, proc: subprocess.Popen, stage: str) -> None:
    """SIGKILL once the import reaches `stage`: its second batch in the journal, or the
    new archive snapshot of the fold written (and the active one not yet)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        journal = store / "store.journal"
        if stage == "batches" and journal.exists() and journal.read_bytes().count(b"\n") >= 4:
            break
        if stage == "fold" and (store / "archive.json").exists() and journal.exists() \
                and os.stat(store / "archive.json").st_mtime > os.stat(journal).st_mtime:
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL, "the import ended before it was killed"


@pytest.mark.parametrize("stage", ["batches", "fold"])
def test_an_import_killed_then_run_again_gives_what_a_clean_import_gives(tmp_path, clean, stage):
    csv, want = clean
    store = tmp_path / "store"
    _killed_when(store, _import(csv, store), stage)
    desk = TinyDBStore(store)  # a sound store, whatever was left
    desk.close()
    again = _import(csv, store)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    tickets, customers, events = _state(store)
    assert tickets == want[0] and customers == want[1]
    assert len(events) == len(set(events)) and set(events) == set(want[2])
    assert not list(store.glob(".import-staging-*"))
