"""Slow calls are reported while they run and when they end; fast ones never."""

import threading
import time

from tui.core.slow import SlowCalls


def recorder():
    events = []
    slow = SlowCalls(lambda call: events.append(("slow", call.what)),
                     lambda call, seconds: events.append(("done", call.what, seconds)),
                     after=0.05)
    return slow, events


def test_a_fast_call_is_never_reported():
    slow, events = recorder()
    described = []
    with slow.watch(lambda: described.append(1) or "fast"):
        pass
    time.sleep(0.15)
    assert events == [] and described == []
    slow.stop()


def test_a_slow_call_is_reported_while_running_then_when_done():
    slow, events = recorder()
    with slow.watch(lambda: "reading the archive"):
        time.sleep(0.3)
        assert events == [("slow", "reading the archive")]
    assert events[1][:2] == ("done", "reading the archive") and events[1][2] >= 0.3
    slow.stop()


def test_calls_from_several_threads_are_reported_each_once():
    slow, events = recorder()

    def call(name, seconds):
        with slow.watch(lambda: name):
            time.sleep(seconds)

    threads = [threading.Thread(target=call, args=(f"call {n}", 0.1 + n * 0.1)) for n in range(3)]
    threads.append(threading.Thread(target=call, args=("quick", 0.0)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    names = [e[1] for e in events]
    assert sorted(n for k, n, *_ in events if k == "slow") == ["call 0", "call 1", "call 2"]
    for name in ("call 0", "call 1", "call 2"):
        assert names.index(name) < len(names) - 1 - names[::-1].index(name)  # slow before done
    assert "quick" not in names
    slow.stop()


def test_a_failing_description_does_not_break_the_call():
    slow, events = recorder()
    with slow.watch(lambda: 1 / 0):
        time.sleep(0.15)
    assert [e[:2] for e in events] == [("slow", "working"), ("done", "working")]
    slow.stop()


class _SlowArchiveStore:
    data_dir = "."
    archive_bytes = 210_000_000
    loaded = True  # the active set is read

    def __init__(self):
        self.archive_loading = False
        self.archive_loaded = False

    def get_ticket(self, ticket_id):
        if not self.archive_loaded:  # the first read of an archived ticket
            self.archive_loading = True
            time.sleep(0.2)
            self.archive_loading, self.archive_loaded = False, True
        else:
            time.sleep(0.2)
        return ticket_id

    def update_ticket(self, ticket_id, changes, expected_rev):
        time.sleep(0.2)
        return ticket_id


def test_the_store_names_the_archive_when_a_read_waits_for_it():
    from tui.core.serialized import SerializedRepository

    slow, events = recorder()
    store = SerializedRepository(_SlowArchiveStore(), slow=slow)
    store.get_ticket("T-1")  # the first read of an archived ticket loads the archive
    store.update_ticket("T-1", {}, 1)
    store.get_ticket("T-1")  # loaded now: just a slow read
    assert [e[:2] for e in events] == [
        ("slow", "reading the archive of closed tickets (210 MB)"),
        ("done", "reading the archive of closed tickets (210 MB)"),
        ("slow", "saving"), ("done", "saving"),
        ("slow", "reading the store"), ("done", "reading the store")]
    slow.stop()


def test_the_store_says_when_it_is_reading_the_archive(tmp_path):
    from tui.core.demo import generate
    from tui.core.store import TinyDBStore

    generate(tmp_path / "d", tickets=30, seed=1)
    store = TinyDBStore(tmp_path / "d")
    seen = []
    real = store._archive.load

    def load():
        seen.append(store.archive_loading)
        real()

    store._archive.load = load
    assert not store.archive_loading
    store.ticket_docs(include_archive=True)  # reads the archive
    assert seen == [True] and not store.archive_loading and store.archive_loaded
    store.close()


def test_the_first_read_of_a_deferred_store_says_so():
    """Opened from its queue summary, the store is read by the first call that needs it."""
    from tui.core.serialized import SerializedRepository

    class Deferred(_SlowArchiveStore):
        loaded = False
        active_bytes = 114_000_000

        def get_ticket(self, ticket_id):
            time.sleep(0.2)
            self.loaded = True
            return ticket_id

    slow, events = recorder()
    SerializedRepository(Deferred(), slow=slow).get_ticket("T-1")
    assert [e[:2] for e in events] == [("slow", "opening the store (114 MB)"),
                                       ("done", "opening the store (114 MB)")]
