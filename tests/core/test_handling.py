from tui.core.handling import HandlingClock


def test_time_accumulates_per_ticket():
    now = [0.0]
    clock = HandlingClock(lambda: now[0])
    clock.focus("T-1")
    now[0] = 10
    clock.focus("T-2")
    now[0] = 15
    assert clock.elapsed("T-1") == 10 and clock.elapsed("T-2") == 5
    clock.focus("T-1")
    now[0] = 20
    assert clock.elapsed("T-1") == 15 and clock.elapsed("T-2") == 5
    clock.focus(None)
    now[0] = 100
    assert clock.elapsed("T-1") == 15 and clock.current is None
