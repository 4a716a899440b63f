"""OS errors a user can cause (a read-only disk, a full disk, a directory where a file
belongs) get one line naming the file and what to do, a non-zero exit, never a traceback."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tui.core.eventlog import EventWriter, RunContext
from tui.core.metrics import read_event_files
from tui.core.oserror import describe
from tui.core.worklog import WorkRecorder

REPO = Path(__file__).resolve().parents[2]


def desk(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True,
                          cwd=cwd or REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=60)


def test_each_error_names_the_file_and_what_to_do():
    full = describe(OSError(errno.ENOSPC, "No space left on device", "/srv/desk/events.jsonl"))
    assert full == "/srv/desk/events.jsonl: No space left on device; the disk is full: free some space and try again"
    assert "read-only" in describe(OSError(errno.EROFS, "Read-only file system", "/mnt/x"))
    assert "store's group" in describe(PermissionError(errno.EACCES, "Permission denied", "/srv/desk"))
    assert describe(OSError(errno.ENOSPC, "No space", "/tmp/\x1b[2Jx")) .startswith("/tmp/␛[2Jx")


def test_work_events_wait_for_a_log_that_cannot_take_them_and_keep_their_order(tmp_path):
    log = tmp_path / "events.jsonl"
    log.mkdir()  # the log cannot be written: a real EISDIR-like refusal at open
    recorder = WorkRecorder(EventWriter(log, RunContext(agent="kari", session="S", run="R")))
    recorder.run_start()
    recorder.heartbeat()
    assert recorder.write_error and "events.jsonl" in recorder.write_error
    assert [e["type"] for e, _ in recorder.unwritten] == ["run_start", "heartbeat"]
    log.rmdir()  # room again
    recorder.run_end("quit")
    assert recorder.write_error is None and not recorder.unwritten
    written = read_event_files([log])[0]
    assert [e["type"] for e in written] == ["run_start", "heartbeat", "run_end"]
    assert [e["seq"] for e in written] == sorted(e["seq"] for e in written)


@pytest.fixture
def read_only_store(tmp_path):
    """A store on a real read-only tmpfs mount (needs root to mount: CI runs as root)."""
    mount = tmp_path / "mnt"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs",
                                            str(mount)], capture_output=True).returncode:
        pytest.skip("mounting a read-only file system needs root")
    try:
        store = mount / "store"
        result = desk("demo", "--out", str(store), "--tickets", "20")
        assert result.returncode == 0, result.stderr
        os.chmod(store, 0o700)
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        yield store
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_read_only_store_is_refused_by_the_app_and_still_read_by_reports(read_only_store):
    opened = desk("--data-dir", str(read_only_store))
    assert opened.returncode == 1
    assert opened.stderr.count("\n") == 1 and "read-only file system" in opened.stderr
    assert "Traceback" not in opened.stderr
    checked = desk("check", "--data-dir", str(read_only_store))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    report = desk("report", "--data-dir", str(read_only_store), "--format", "json")
    assert report.returncode == 0, report.stderr
    for args in (("init", "--data-dir", str(read_only_store.parent / "new")),
                 ("demo", "--out", str(read_only_store.parent / "new"))):
        made = desk(*args)
        assert made.returncode != 0 and "Traceback" not in made.stderr
        assert made.stderr.count("\n") == 1 and "Read-only file system" in made.stderr


def test_a_directory_where_a_store_file_belongs_is_one_line(tmp_path):
    store = tmp_path / "store"
    assert desk("demo", "--out", str(store), "--tickets", "5").returncode == 0
    os.chmod(store, 0o700)
    (store / "store.json").unlink()
    (store / "store.json").mkdir()
    for args in (("--data-dir", str(store)), ("check", "--data-dir", str(store)),
                 ("report", "--data-dir", str(store))):
        result = desk(*args)
        assert result.returncode != 0 and "Traceback" not in result.stderr + result.stdout
        assert "store.json" in result.stderr + result.stdout and "directory" in result.stderr + result.stdout
    shutil.rmtree(store)
