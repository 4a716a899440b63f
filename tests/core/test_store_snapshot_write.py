"""A compaction writes the snapshot a megabyte at a time (snapshot.write), never its whole
bytes at once: the file is what `encode` gives, appears whole or not at all, and a write that
fails half way leaves the old snapshot and no temporary file."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tui.core.fileio import FILE_MODE
from tui.core.store.tinydb import snapshot


def _tables(n: int) -> dict:
    return {"tickets": {str(i): {"id": f"T-{i}", "subject": "ü" * 300, "tags": ["a"]} for i in range(n)},
            "customers": {}, "_meta": {"1": {"schema": 1}}}


def test_a_snapshot_written_in_pieces_is_the_encoded_one(tmp_path: Path):
    tables = _tables(8000)  # several megabytes: several pieces
    path = tmp_path / "store.json"
    snapshot.write(path, tables)
    assert path.read_bytes() == snapshot.encode(tables)
    assert len(path.read_bytes()) > 3 * snapshot.WRITE_BYTES
    assert stat.S_IMODE(path.stat().st_mode) == FILE_MODE
    with open(path, "rb") as fh:
        assert snapshot.read(fh) == tables


def test_a_snapshot_write_that_fails_half_way_leaves_the_old_one(tmp_path: Path):
    path = tmp_path / "store.json"
    snapshot.write(path, _tables(3))
    before = path.read_bytes()
    broken = _tables(8000)
    broken["tickets"]["7999"]["subject"] = object()  # past the first megabytes: not JSON
    with pytest.raises(TypeError):
        snapshot.write(path, broken)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store.json"]
