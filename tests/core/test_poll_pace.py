"""PollPace: shared files looked at less often while the agent is idle (issue 6)."""

from __future__ import annotations

import threading

from tui.app.poll_pace import PollPace


def test_busy_then_idle_then_back_at_the_first_key(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr("tui.app.poll_pace.time.monotonic", lambda: now[0])
    pace = PollPace(idle_after_s=20, idle_s=5)
    sleeper = pace.sleeper()
    assert pace.interval(1.0) == 1.0
    now[0] += 19
    assert pace.interval(1.0) == 1.0 and not sleeper.is_set()
    now[0] += 2
    assert pace.idle() and pace.interval(1.0) == 5.0 and pace.interval(10.0) == 10.0
    pace.input()  # the agent is back: the sleeping polls look now
    assert sleeper.is_set() and pace.interval(1.0) == 1.0
    sleeper.clear()
    pace.input()  # typing on: nobody is woken for nothing
    assert not sleeper.is_set()


def test_stop_wakes_every_sleeper():
    pace = PollPace(idle_after_s=20)
    sleepers = [pace.sleeper() for _ in range(3)]
    done = []
    threads = [threading.Thread(target=lambda s=s: done.append(s.wait(30))) for s in sleepers]
    for t in threads:
        t.start()
    pace.stop()
    for t in threads:
        t.join(5)
    assert done == [True, True, True]
