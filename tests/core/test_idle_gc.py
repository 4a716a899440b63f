"""Full garbage collections wait until the agent stops typing (the slowest Downs were a
CPython full pass over a 100k store in the middle of a frame)."""

import gc

from tui.app import idle_gc
from tui.app.idle_gc import DUE, IDLE_S, MAX_WAIT_S, IdleCollector


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def collector(monkeypatch, passes):
    clock, collected = Clock(), []
    monkeypatch.setattr(idle_gc.time, "monotonic", clock)
    monkeypatch.setattr(idle_gc.gc, "get_count", lambda: (0, 0, passes[0]))
    monkeypatch.setattr(idle_gc.gc, "collect", lambda *a: collected.append(clock.now) or 0)
    return IdleCollector(), clock, collected


def test_a_due_collection_waits_for_a_pause_in_the_typing(monkeypatch):
    passes = [DUE]
    gcol, clock, collected = collector(monkeypatch, passes)
    for _ in range(5):  # typing: a key every half second
        clock.now += 0.5
        gcol.input()
        assert not gcol.tick()
    clock.now += IDLE_S
    assert gcol.tick() and collected == [clock.now]


def test_nothing_is_collected_while_idle_unless_due(monkeypatch):
    passes = [DUE - 1]
    gcol, clock, collected = collector(monkeypatch, passes)
    clock.now += 60
    assert not gcol.tick() and collected == []


def test_endless_typing_still_gets_a_collection(monkeypatch):
    passes = [DUE]
    gcol, clock, collected = collector(monkeypatch, passes)
    while clock.now < 1000 + MAX_WAIT_S - 1:
        clock.now += 1
        gcol.input()
        assert not gcol.tick()
    clock.now += 1
    gcol.input()
    assert gcol.tick()


def test_start_leaves_full_passes_to_desk_and_stop_gives_them_back():
    before = gc.get_threshold()
    gcol = IdleCollector()
    gcol.start()
    try:
        assert gc.get_threshold()[:2] == before[:2] and gc.get_threshold()[2] >= 1000
        gc.freeze()
        assert gc.get_freeze_count() > 0
    finally:
        gcol.stop()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
