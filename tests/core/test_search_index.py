"""Search everywhere (issue 16 item 4): the shared on-disk index of active and archived tickets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson

from tui.core.models import SCHEMA_VERSION
from tui.core.search_index import INDEX_FILE, SearchIndex, match_query, snippet
from tui.core.store import TinyDBStore

TS = "2025-06-01T09:00:00.000Z"


def doc(number: int, subject: str, body: str, status: str = "open") -> dict:
    extra = {"resolution_code": "fixed"} if status == "closed" else {}
    return {"id": f"T-{number}", "customer": "C-1", "subject": subject, "status": status,
            "priority": "normal", "channel": "email", "created": TS, "updated": TS, "_rev": 1,
            "tags": [], **extra,
            "messages": [{"id": f"M-{number}", "author_kind": "customer", "author": "C-1",
                          "kind": "customer_message", "body": body, "created": TS}]}


def seed(data: Path) -> Path:
    data.mkdir(mode=0o770)
    tables = {
        "_meta": {"1": {"schema": SCHEMA_VERSION, "next": {"tickets": 10, "messages": 10}}},
        "customers": {"1": {"id": "C-1", "name": "Ana Pop",
                            "customer_since": "2020-01-01T00:00:00.000Z"}},
        "products": {}, "purchases": {},
        "tickets": {"1": doc(1, "Printer jam", "The printer jams on page two"),
                    "2": doc(2, "Login", "Cannot log in since Monday")},
    }
    (data / "store.json").write_bytes(orjson.dumps(tables))
    archive = {"3": doc(3, "Raport vânzări", "Raportul de vânzări din primăvară lipsește",
                        "closed"),
               "4": doc(4, "Straße", "Søren schrieb über die Straße", "closed")}
    (data / "archive.json").write_bytes(orjson.dumps({"tickets": archive}))
    return data


def ids(hits) -> list[str]:
    return [h.ticket_id for h in hits]


def test_finds_archived_ticket_by_accented_word_typed_plainly(tmp_path):
    store = TinyDBStore(seed(tmp_path / "d"), agent="ana")
    hits = store.search_everywhere("VANZARI primavara")
    assert ids(hits) == ["T-3"]
    assert hits[0].archived and hits[0].status == "closed" and hits[0].subject == "Raport vânzări"
    assert "vânzări" in hits[0].snippet
    assert ids(store.search_everywhere("soren strasse")) == ["T-4"]  # ø and ß fold too
    assert ids(store.search_everywhere("print")) == ["T-1"]  # a word by its beginning
    assert store.search_everywhere("   ") == [] and store.search_everywhere('"*') == []
    store.close()


def test_changes_are_picked_up_incrementally_and_by_other_processes(tmp_path):
    data = seed(tmp_path / "d")
    reader = TinyDBStore(data, agent="ana")
    assert reader.search_everywhere("zebra") == []
    index = reader._everywhere
    assert index.rebuilds == 1
    script = ("import sys; from tui.core.store import TinyDBStore; s = TinyDBStore(sys.argv[1],"
              " agent='bob'); t = s.get_ticket('T-2');"
              " s.update_ticket('T-2', {'subject': 'Zebra printer'}, t.rev); s.close()")
    subprocess.run([sys.executable, "-c", script, str(data)], check=True)
    assert ids(reader.search_everywhere("zebra")) == ["T-2"]
    assert ids(reader.search_everywhere("login")) == []  # the old subject is gone
    assert index.rebuilds == 1  # read from the journal, not derived again
    reader.close()


def test_a_stale_index_from_an_earlier_snapshot_is_rederived(tmp_path):
    data = seed(tmp_path / "d")
    store = TinyDBStore(data, agent="ana")
    store.search_everywhere("printer")
    store.close()
    tables = orjson.loads((data / "store.json").read_bytes())
    tables["tickets"]["1"]["subject"] = "Scanner"
    tables["tickets"]["1"]["messages"][0]["body"] = "scanner"
    (data / "store.json").write_bytes(orjson.dumps(tables))  # as a compaction would
    store = TinyDBStore(data, agent="ana")
    assert store.search_everywhere("printer") == []
    assert ids(store.search_everywhere("scanner")) == ["T-1"]
    store.close()


def test_damaged_or_linked_index_falls_back_to_a_rebuild(tmp_path):
    data = seed(tmp_path / "d")
    store = TinyDBStore(data, agent="ana")
    store.search_everywhere("printer")
    store.close()
    (data / INDEX_FILE).write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)
    store = TinyDBStore(data, agent="ana")
    assert ids(store.search_everywhere("printer")) == ["T-1"]
    store.close()
    secret = tmp_path / "secret"
    secret.write_bytes(b"do not touch")
    (data / INDEX_FILE).unlink()
    os.symlink(secret, data / INDEX_FILE)
    store = TinyDBStore(data, agent="ana")
    assert ids(store.search_everywhere("printer")) == ["T-1"]
    assert not (data / INDEX_FILE).is_symlink() and secret.read_bytes() == b"do not touch"
    assert oct((data / INDEX_FILE).stat().st_mode & 0o777) == oct(0o660)
    store.close()


def test_concurrent_writer_processes_leave_one_good_index(tmp_path):
    data = seed(tmp_path / "d")
    script = ("import sys; from tui.core.store import TinyDBStore\n"
              "s = TinyDBStore(sys.argv[1], agent='bob')\n"
              "for n in range(5):\n"
              "    t = s.get_ticket('T-1')\n"
              "    try: s.update_ticket('T-1', {'subject': f'Printer {sys.argv[2]} {n}'}, t.rev)\n"
              "    except Exception: pass\n"
              "    assert s.search_everywhere('printer')\n"
              "s.close()\n")
    procs = [subprocess.Popen([sys.executable, "-c", script, str(data), w]) for w in "abc"]
    assert [p.wait() for p in procs] == [0, 0, 0]
    store = TinyDBStore(data, agent="ana")
    subject = store.get_ticket("T-1").subject
    hits = store.search_everywhere("printer")
    assert [(h.ticket_id, h.subject) for h in hits] == [("T-1", subject)]
    assert store._everywhere.rebuilds == 0
    store.close()


def test_a_kill_during_a_rebuild_leaves_no_index_or_the_old_one(tmp_path):
    data = seed(tmp_path / "d")
    store = TinyDBStore(data, agent="ana")
    index = SearchIndex(store)
    original = index._fill_part

    def die(db, part):
        original(db, part)
        os._exit(9) if part == "archive" else None

    pid = os.fork()
    if pid == 0:
        index._fill_part = die
        index.rebuild()
    os.waitpid(pid, 0)
    assert not (data / INDEX_FILE).exists()
    assert ids(store.search_everywhere("printer")) == ["T-1"]
    store.close()


def test_query_words_and_snippet():
    assert match_query('Vânzări "x"') == ('"vanzari"* AND "x"*', ["vanzari", "x"])
    text = " ".join(f"w{n}" for n in range(40)) + " Søren " + " ".join("z" * 3 for _ in range(20))
    cut = snippet(text, ["soren"])
    assert "Søren" in cut and cut.startswith("…") and cut.endswith("…")


def test_a_ticket_closed_after_the_index_was_built_is_found_as_archived(tmp_path):
    store = TinyDBStore(seed(tmp_path / "d"), agent="ana")
    assert [(h.ticket_id, h.archived) for h in store.search_everywhere("monday")] == [("T-2", False)]
    store.update_ticket("T-2", {"status": "closed", "resolution_code": "answered"},
                        expected_rev=store.get_ticket("T-2").rev)
    hits = store.search_everywhere("monday")
    assert [(h.ticket_id, h.status, h.archived) for h in hits] == [("T-2", "closed", True)]
    assert store._everywhere.rebuilds == 1  # followed through the journals
    store.close()


def test_two_stores_in_one_process_build_the_index_at_once(tmp_path):
    """Two desks in one process (as the multi-agent UI tests run them) building the index
    at the same moment must not share a temp file: once they did, and one renamed the
    other's half-written build in place ("damaged" in a worker)."""
    import threading

    data = seed(tmp_path / "d")
    stores = [TinyDBStore(data, agent=name) for name in ("ana", "ben")]
    failures: list[BaseException] = []
    start = threading.Barrier(len(stores))

    def build(store: TinyDBStore) -> None:
        index = SearchIndex(store)
        try:
            for _ in range(15):
                start.wait()
                index.rebuild()
                assert ids(index.search("printer")) == ["T-1"]
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
            start.abort()
        finally:
            index.close()

    threads = [threading.Thread(target=build, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for store in stores:
        store.close()
    assert not [f for f in failures if not isinstance(f, threading.BrokenBarrierError)], failures
    assert not list(data.glob(f".{INDEX_FILE}.*")), "a temp build was left behind"
