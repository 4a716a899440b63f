"""What the PostgreSQL store adds to the store contract (test_store_contract.py): the
revision check is in the UPDATE itself, so a desk that read a ticket just before another
desk's change committed is still refused; two handles see each other's writes; the event
log cannot be rewritten; a server that is not there is one clear error."""

from __future__ import annotations

import threading
import time

import pytest

from tests.core.postgres_server import connect, postgres_schema  # noqa: F401
from tui.core.store import ConflictError, PostgresStore, StoreError, open_store

CUSTOMER = {"id": "C-1", "name": "Håkon Bråten", "customer_since": "2020-01-01T00:00:00.000Z"}


@pytest.fixture
def url(postgres_schema):
    seed = PostgresStore(postgres_schema)
    seed.load_records("customers", [CUSTOMER])
    seed.close()
    return postgres_schema


@pytest.fixture
def desks(url):
    opened: list[PostgresStore] = []

    def desk(agent: str) -> PostgresStore:
        opened.append(open_store(url, agent=agent))  # a postgresql:// URL picks this backend
        return opened[-1]

    yield desk
    for store in opened:
        store.close()


def new(store, **kw):
    return store.insert_ticket(customer="C-1", subject=kw.pop("subject", "No dial tone"),
                               body="Since this morning.", **kw)


def test_two_handles_see_each_others_writes(desks):
    ana, ola = desks("ana"), desks("ola")
    assert isinstance(ana, PostgresStore)
    first = new(ana)
    ola.refresh()
    seen_by_ola = ola.get_ticket(first.id)
    ola.append_message(first.id, kind="internal_note", body="line tested")
    before = ana.generation
    assert ana.wait_for_change(10) and ana.generation != before
    got = ana.get_ticket(first.id)
    assert [m.body for m in got.messages][-1] == "line tested" and got.rev == seen_by_ola.rev + 1
    second = new(ola, subject="Second")
    assert [t.id for t in ana.customer_history("C-1").tickets] == [second.id, first.id]
    assert int(second.id[2:]) == int(first.id[2:]) + 1  # numbers from the database's sequence


def test_a_stale_write_is_refused_and_the_other_desks_change_stays(desks):
    ana, ola = desks("ana"), desks("ola")
    ticket = new(ana)
    ola.update_ticket(ticket.id, {"assignee": "ola"}, ticket.rev)
    with pytest.raises(ConflictError) as refused:
        ana.update_ticket(ticket.id, {"assignee": "ana", "priority": "high"}, ticket.rev)
    assert refused.value.current.assignee == "ola"
    stored = ana.get_ticket(ticket.id)
    assert (stored.assignee, stored.priority, stored.rev) == ("ola", "normal", ticket.rev + 1)


def test_the_revision_check_is_in_the_update_so_a_change_committed_meanwhile_wins(url, desks):
    """Another transaction has changed the ticket but not committed yet: ana's read still sees
    the old revision, so only the UPDATE's `WHERE rev =` can refuse her change, once that
    transaction commits. Without it she would silently overwrite the change."""
    ana = desks("ana")
    ticket = new(ana)
    outcome: dict[str, object] = {}
    with connect(url) as other:
        other.execute("UPDATE tickets SET rev = rev + 1, doc = jsonb_set(jsonb_set(doc, '{assignee}', "
                      "'\"ola\"'), '{_rev}', to_jsonb(rev + 1)) WHERE num = %s", (ticket.number,))

        def write() -> None:
            try:
                outcome["ticket"] = ana.update_ticket(ticket.id, {"assignee": "ana"}, ticket.rev)
            except ConflictError as exc:
                outcome["conflict"] = exc

        writer = threading.Thread(target=write)
        writer.start()
        with connect(url) as watch:  # wait until ana's UPDATE waits for the row lock
            for _ in range(1000):
                waiting = watch.execute(  # blocked by `other`: no other test's sessions
                    "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid)) "
                    "AND query LIKE 'UPDATE tickets SET rev = %%'",
                    (other.info.backend_pid,)).fetchone()[0]
                if waiting or not writer.is_alive():
                    break
                time.sleep(0.01)
        assert waiting == 1, outcome
        other.commit()
        writer.join()
    assert "ticket" not in outcome
    assert outcome["conflict"].current.assignee == "ola"
    assert ana.get_ticket(ticket.id).assignee == "ola"


def test_commuting_changes_from_many_threads_are_all_kept(desks):
    ana, ola = desks("ana"), desks("ola")
    ticket = new(ana)

    def append(store, who: str) -> None:
        for n in range(10):
            store.append_message(ticket.id, kind="internal_note", body=f"{who} {n}")
            store.change_tags(ticket.id, add=[f"{who}{n}"])

    threads = [threading.Thread(target=append, args=(s, s.agent)) for s in (ana, ola)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = ana.get_ticket(ticket.id)
    assert len(got.messages) == 21 and len(got.tags) == 20 and got.rev == 41


def test_the_event_log_is_insert_only(url, desks):
    import psycopg

    new(desks("ana"))
    with connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 2
        for statement in ("UPDATE events SET type = 'x'", "DELETE FROM events",
                          "TRUNCATE events"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="insert-only"):
                conn.execute(statement)
            conn.rollback()
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 2


def test_a_server_that_is_not_there_is_one_clear_error(tmp_path):
    with pytest.raises(StoreError, match="cannot connect") as refused:
        PostgresStore(f"postgresql:///desk?host={tmp_path}&user=nobody")
    assert str(tmp_path) in str(refused.value) and "\n" not in str(refused.value)


def test_a_bad_record_in_a_load_names_table_record_and_field(url):
    store = PostgresStore(url)
    try:
        with pytest.raises(ValueError, match=r"table customers: record C-9: field language"):
            store.load_records("customers", [{**CUSTOMER, "id": "C-9", "language": "no tag"}])
        assert [c.id for c in store.customers()] == ["C-1"]
    finally:
        store.close()


def test_a_connection_the_server_dropped_is_replaced_without_failing_a_call(url, desks):
    """A restart or failover ends the store's connections; the next call gets a new one."""
    ana = desks("ana")
    ticket = new(ana)
    with connect(url) as admin:
        ended = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                              "WHERE application_name = 'desk' AND pid <> pg_backend_pid()"
                              ).fetchone()[0]
    assert ended >= 1
    assert ana.get_ticket(ticket.id).subject == ticket.subject
    assert ana.update_ticket(ticket.id, {"priority": "high"}, ticket.rev).rev == ticket.rev + 1


def test_a_lent_connection_is_tried_only_when_the_server_has_spoken_on_it(url):
    """The pool's check: a healthy connection is lent as it is; one whose session the
    server ended is found out before any call meets it."""
    import psycopg

    from tui.core.store.postgres.connection import check_connection

    with psycopg.connect(url, autocommit=True) as conn:
        check_connection(conn)
        assert not conn.closed
        pid = conn.info.backend_pid
        with connect(url) as admin:
            assert admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,)).fetchone()[0]
        with pytest.raises(psycopg.OperationalError):
            check_connection(conn)


def test_ticket_ids_are_read_as_the_tables_keys_and_nothing_else(desks):
    """`T-١` is not T-1 (the keys are ASCII digits), and 19 digits are more than a key holds:
    no such ticket, never a database error."""
    from tui.core.store.errors import NotFound
    from tui.core.store.postgres.sql_values import record_number

    ana = desks("ana")
    ticket = new(ana)
    assert record_number(ticket.id, "T") == int(ticket.id[2:])
    for wrong in ("T-\u0661", "T-" + "9" * 19, "T-", "T-1x", "C-1"):
        assert record_number(wrong, "T") is None
        with pytest.raises(NotFound):
            ana.get_ticket(wrong)


def test_a_change_of_presence_is_heard_by_the_other_desks_not_polled(url, desks):
    """The listener that hears ticket changes hears presence too, and tells the board's
    watchers; a presence change is not a change of the records."""
    ana, ola = desks("ana"), desks("ola")
    heard = threading.Event()
    mine, theirs = ana.presence_board(), ola.presence_board()
    assert theirs.wake_on_change(heard.set)
    try:
        mine.announce("T-1")
        deadline = time.monotonic() + 5
        while not heard.is_set() and time.monotonic() < deadline:
            ola.wait_for_change(0.5)
        assert heard.is_set() and ola.take_changed() == set()
        assert [(p.agent, p.ticket) for p in theirs.others()] == [("ana", "T-1")]
        heard.clear()
        mine.clear()  # a goodbye is heard too
        while not heard.is_set() and time.monotonic() < deadline + 5:
            ola.wait_for_change(0.5)
        assert heard.is_set() and theirs.others() == []
    finally:
        mine.clear()
        theirs.clear()


def test_a_schema_4_store_gets_presence_notifications(url):
    PostgresStore(url).close()
    with connect(url) as conn:
        conn.execute("DROP TRIGGER presence_changed ON presence")
        conn.execute("DROP FUNCTION desk_presence_changed()")
        conn.execute("UPDATE desk_meta SET value = '4'::jsonb WHERE key = 'schema'")
    PostgresStore(url).close()
    with connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM pg_trigger WHERE tgname = 'presence_changed' "
                            "AND tgrelid = 'presence'::regclass").fetchone()[0] == 1


def _trigger_on_tickets(url: str, body: str) -> None:
    with connect(url) as conn:
        conn.execute(f"CREATE FUNCTION test_trap() RETURNS trigger LANGUAGE plpgsql AS $$ "
                     f"BEGIN {body}; RETURN NEW; END $$")
        conn.execute("CREATE TRIGGER test_trap BEFORE UPDATE ON tickets FOR EACH ROW "
                     "EXECUTE FUNCTION test_trap()")


def test_a_write_the_server_refuses_says_nothing_was_changed(url, desks):
    from tui.core.store import StoreWriteError

    ana = desks("ana")
    ticket = new(ana)
    _trigger_on_tickets(url, "RAISE EXCEPTION 'could not extend file: No space left on device' "
                             "USING ERRCODE = 'disk_full'")
    with pytest.raises(StoreWriteError, match="No space left on device; nothing was changed"):
        ana.append_message(ticket.id, kind="internal_note", body="lost?")
    assert len(ana.get_ticket(ticket.id).messages) == 1
    assert new(ana, subject="after").subject == "after"


def test_a_write_cut_by_a_lost_connection_says_it_may_not_be_saved(url, desks):
    from tui.core.store import StoreWriteError

    ana = desks("ana")
    ticket = new(ana)
    _trigger_on_tickets(url, "PERFORM pg_terminate_backend(pg_backend_pid())")
    with pytest.raises(StoreWriteError, match="may or may not have been saved") as cut:
        ana.update_ticket(ticket.id, {"priority": "high"}, ticket.rev)
    assert "\n" not in str(cut.value)
    assert ana.get_ticket(ticket.id).priority == "normal"  # here it was not; the next call works


def test_search_takes_like_wildcards_literally(desks):
    ana = desks("ana")
    literal = new(ana, subject="CPU at 100% all day")
    new(ana, subject="CPU at 1000 rpm")
    new(ana, subject="path C:\\temp_files")
    assert ana.search("100%") == [literal.id]
    assert ana.search("_") == [ana.search("temp_files")[0]]
    assert ana.search("c:\\temp") == ana.search("temp_files")


def test_a_desk_hears_committed_changes_and_nothing_else(url, desks):
    """A NOTIFY reaches the listeners shortly after the commit: `wait_for_change` waits for
    it; where nothing was committed, nothing can be heard, however long one waits."""
    ana, ola = desks("ana"), desks("ola")
    ticket = new(ana)
    assert ola.wait_for_change(10) and ola.take_changed() == {ticket.id}
    assert not ola.refresh()
    ana.update_ticket(ticket.id, {"priority": "high"}, ticket.rev)
    assert ola.wait_for_change(10) and ola.take_changed() == {ticket.id}
    with connect(url) as other:  # any writer is heard, once it commits
        other.execute("UPDATE customers SET doc = jsonb_set(doc, '{notes}', '\"VIP\"')")
        assert not ola.wait_for_change(0.2)
    assert ola.wait_for_change(10) and ola.take_changed() == {"C-1"}


def test_refresh_after_the_listening_connection_was_lost_says_changed_and_listens_again(url, desks):
    ana, ola = desks("ana"), desks("ola")
    ticket = new(ana)
    assert ola.wait_for_change(10)
    with connect(url) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE application_name = 'desk listener'")
        for _ in range(1000):  # until the listeners' sessions are gone
            if not admin.execute("SELECT count(*) FROM pg_stat_activity "
                                 "WHERE application_name = 'desk listener'").fetchone()[0]:
                break
            time.sleep(0.01)
    ana.append_message(ticket.id, kind="internal_note", body="while ola was deaf")
    assert ola.refresh()  # may have missed something: says so
    ola.take_changed()
    assert not ola.refresh()
    ana.append_message(ticket.id, kind="internal_note", body="heard again")
    assert ola.wait_for_change(10) and ola.take_changed() == {ticket.id}


def test_events_emitted_through_the_stores_writer_are_rows_of_the_log(url, desks):
    """The work stream (session timing) goes through `store.events` like the ticket events:
    each one a row, committed when `emit` returns, in the same run's seq order."""
    ana = desks("ana")
    ticket = new(ana)
    ana.events.emit("ticket_view", "work", {"ms": 1200}, ticket=ticket.id)
    with connect(url) as conn:
        rows = [r[0] for r in conn.execute("SELECT event FROM events ORDER BY pos")]
    assert [(e["stream"], e["type"]) for e in rows] == [
        ("ticket", "ticket_created"), ("ticket", "customer_contact"), ("work", "ticket_view")]
    assert [e["seq"] for e in rows] == [1, 2, 3] and rows[-1]["data"] == {"ms": 1200}
    assert rows[-1]["agent"] == "ana" and rows[-1]["ticket"] == ticket.id


def test_a_work_stream_event_is_not_a_change_of_the_records(url, desks):
    """Each keystroke logs an `activity` event: the app must not read its queue and ticket
    again for it (it did, a second query and redraw 0.2-0.9 s after each filter key)."""
    ana = desks("ana")
    ticket = new(ana)
    before = ana.generation
    ana.events.emit("activity", "work", {"kind": "keys", "count": 3})
    assert ana.generation == before
    ana.append_message(ticket.id, kind="internal_note", body="a record changes")
    assert ana.generation == before + 1


def test_a_nul_in_ticket_text_is_stored_as_a_visible_mark_and_nothing_fails(url):
    """PostgreSQL's text and jsonb cannot hold U+0000: a NUL from an import or a paste is
    kept as ␀ (in the document, the search text and the queue row), never a failed write."""
    store = PostgresStore(url, agent="ana")
    try:
        store.load_records("customers", [{"id": "C-9", "name": "Nul\x00Person",
                                          "customer_since": "2020-01-01T00:00:00.000Z"}])
        made = store.insert_ticket(customer="C-9", subject="oops\x00 [/]", body="a\x00b")
        store.append_message(made.id, kind="internal_note", body="note\x00")
        store.change_tags(made.id, add=["x\x00y"])
        store.update_ticket(made.id, {"priority": "high"}, store.get_ticket(made.id).rev)
        got = store.get_ticket(made.id)
        assert got.subject == "oops␀ [/]" and [m.body for m in got.messages] == ["a␀b", "note␀"]
        assert "x␀y" in got.tags and got.priority == "high"
        assert store.get_customer("C-9").name == "Nul␀Person"
        assert store.search("oops␀") == [made.id]
        assert [e["type"] for e in store.ticket_events(made.id)][:1] == ["ticket_created"]
        with connect(url) as conn:
            assert conn.execute("SELECT subject, customer_name FROM queue WHERE id = %s",
                                (made.id,)).fetchone() == ("oops␀ [/]", "Nul␀Person")
    finally:
        store.close()
