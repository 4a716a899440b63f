"""The session's figures read a long event log a chunk at a time: the same events as one
read of the whole log, and never the whole log in memory (a resumed session reads it from
its start; at 100k tickets a log of years is hundreds of megabytes)."""

from __future__ import annotations

import random

from tui.core.eventlog import EventWriter, RunContext
from tui.core.session import log as session_log
from tui.core.session.log import SessionLog


def write_log(path, n: int = 600) -> None:
    rng = random.Random(4)
    writer = EventWriter(path, RunContext(agent="ana"))
    for i in range(n):
        session = rng.choice(["S-1", "S-2", "S-3"])
        ticket = f"T-{rng.randint(1, 40)}"
        stream = rng.choice(["ticket", "work"])
        writer.write({"id": f"E-{i}", "type": rng.choice(["reply", "status_change", "activity"]),
                      "session": session, "stream": stream, "ticket": ticket,
                      "agent": "ana", "pad": "x" * rng.randint(0, 300)})
    writer.close()


def events_read(path, monkeypatch, chunk: int) -> list[str]:
    monkeypatch.setattr(session_log, "CHUNK_BYTES", chunk)
    log = SessionLog(path, "ana", "S-2", "R-1", from_end=False)
    return [e["id"] for e in log.events()]


def test_a_log_read_in_chunks_gives_the_events_of_one_whole_read(tmp_path, monkeypatch):
    path = tmp_path / "events.jsonl"
    write_log(path)
    whole = events_read(path, monkeypatch, 1 << 30)
    assert whole  # the session's events and its tickets' histories
    for chunk in (97, 1000, 4096):
        assert events_read(path, monkeypatch, chunk) == whole


def test_no_read_of_the_log_is_bigger_than_a_chunk(tmp_path, monkeypatch):
    path = tmp_path / "events.jsonl"
    write_log(path)
    reads: list[int] = []
    real_open = open

    class Tracked:
        def __init__(self, fh):
            self._fh = fh

        def read(self, size=-1):
            data = self._fh.read(size)
            reads.append(len(data))
            return data

        def __getattr__(self, name):
            return getattr(self._fh, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._fh.close()

    monkeypatch.setattr(session_log, "open", lambda *a, **k: Tracked(real_open(*a, **k)),
                        raising=False)
    events_read(path, monkeypatch, 4096)
    assert reads and max(reads) <= 4096 < path.stat().st_size
