"""The queue in SQL (store/postgres/queue_sql.py) lists exactly what the in-memory queue
lists, in the same order, for every view and filter; its `queue` rows follow every write;
and its pages, positions and counts agree with the rows they page."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.postgres_server import connect, postgres_schema  # noqa: F401
from tui.core.demo import copy_demo
from tui.core.filter import parse
from tui.core.paths import demo_store
from tui.core.queue import QueueIndex, by_id
from tui.core.queue_views import VIEWS, VIEWS_BY_KEY, ViewContext, select
from tui.core.store import PostgresStore
from tui.core.store.postgres import queue_sql
from tui.core.store.postgres.migrate import migrate_to_postgres

AGENT = "jonas"
WORDS = ["router", "dunarea", "ă", "e", "re", "ro", "aurora", "office", "t-1", "t-12", "c-1",
         "factura", "%", "_", "100%", "a_b", "\\", "ne", "ø", "oops [/]"]
FIELD_TERMS = ["status:open", "status:op", "status:on-hold", "status:pend,new", "-status:new",
               "priority:h", "priority:urgent", "-priority:low", "prio:norm", "channel:em",
               "channel:phone", "tag:defect", "tag:vip,billing", "-tag:defect", "customer:foster",
               "customer:a", "cust:example.ie", "product:router", "product:p-1", "lang:fi",
               "lang:en", "lang:nb", "region:nord", "region:uk", "assignee:me", "assignee:none",
               "assignee:jo", "-assignee:me", "agent:unassigned", "-region:uk"]


@pytest.fixture(scope="module")
def demo_pg(tmp_path_factory):
    """The demo store migrated to a fresh schema, once for the module."""
    import psycopg
    import secrets

    from tests.core.postgres_server import in_schema, postgres_url

    base = postgres_url()
    schema = f"desk_test_{secrets.token_hex(6)}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = in_schema(base, schema)
    data = tmp_path_factory.mktemp("demo") / "store"
    copy_demo(demo_store(), data, datetime.now(timezone.utc))
    migrate_to_postgres(data, url)
    store = PostgresStore(url, agent=AGENT)
    yield store
    store.close()
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


def in_memory(store: PostgresStore, view_key: str, text: str, ctx: ViewContext) -> tuple[list[str], int]:
    view = VIEWS_BY_KEY[view_key]
    docs = store.ticket_docs(include_archive=view.needs_archive)
    rows = QueueIndex().update(docs, by_id(store._documents("customers")),
                               by_id(store._documents("products")))
    chosen = select(rows, view, parse(text), ctx)
    return [r.id for r in chosen.rows], chosen.in_view


def in_sql(store: PostgresStore, view_key: str, text: str, ctx: ViewContext) -> tuple[list[str], int]:
    rows, in_view = store.queue_selection(VIEWS_BY_KEY[view_key], parse(text), ctx)
    return [r.id for r in rows], in_view


def context() -> ViewContext:
    return ViewContext.at(AGENT, datetime.now(timezone.utc))


@pytest.mark.parametrize("view_key", [v.key for v in VIEWS])
def test_every_view_lists_the_same_tickets_in_the_same_order(demo_pg, view_key):
    ctx = context()
    expected = in_memory(demo_pg, view_key, "", ctx)
    assert expected[0] or view_key in ("mine", "solved_today")  # the demo has something to list
    assert in_sql(demo_pg, view_key, "", ctx) == expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(view_key=st.sampled_from([v.key for v in VIEWS]),
       terms=st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(FIELD_TERMS),
                                st.sampled_from(WORDS).map(lambda w: "-" + w)),
                      min_size=1, max_size=3))
def test_any_filter_matches_what_the_in_memory_filter_matches(demo_pg, view_key, terms):
    text = " ".join(f'"{t}"' if " " in t else t for t in terms)
    ctx = context()
    ids, in_view = in_memory(demo_pg, view_key, text, ctx)
    got, got_in_view = in_sql(demo_pg, view_key, text, ctx)
    assert (got, got_in_view) == (ids[:queue_sql.MATCH_CAP], in_view), text


def test_a_write_moves_its_ticket_in_the_sql_queue(demo_pg):
    ctx = context()
    ticket = demo_pg.get_ticket(in_sql(demo_pg, "open", "", ctx)[0][-1])  # the last of All open
    soon = (datetime.now(timezone.utc) + timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    demo_pg.update_ticket(ticket.id, {"priority": "urgent", "first_reply_due": soon,
                                      "assignee": AGENT}, ticket.rev)
    demo_pg.change_tags(ticket.id, add=["Überprüfung"])
    ids, _ = in_sql(demo_pg, "mine", "tag:uberprufung", ctx)
    assert ids == [ticket.id]
    assert in_sql(demo_pg, "open", "", ctx) == in_memory(demo_pg, "open", "", ctx)
    assert in_sql(demo_pg, "mine", "", ctx) == in_memory(demo_pg, "mine", "", ctx)


def test_a_renamed_customer_is_found_by_the_new_name(demo_pg):
    ctx = context()
    first = in_sql(demo_pg, "open", "", ctx)[0][0]
    ticket = demo_pg.get_ticket(first)
    record = demo_pg.get_customer(ticket.customer).model_dump(mode="json", by_alias=True,
                                                                exclude_none=True)
    demo_pg.load_records("customers", [{**record, "name": "Zygmunt Ærøskøbing"}])
    assert first in in_sql(demo_pg, "open", "customer:aeroskobing", ctx)[0]
    assert in_sql(demo_pg, "open", "zygmunt", ctx) == in_memory(demo_pg, "open", "zygmunt", ctx)


def test_pages_positions_and_the_end_agree_with_the_whole_list(demo_pg, monkeypatch):
    monkeypatch.setattr(queue_sql, "PAGE", 7)  # many pages, and reads from the end
    ctx = context()
    rows, _ = demo_pg.queue_selection(VIEWS_BY_KEY["all"], parse(""), ctx)
    expected, _ = in_memory(demo_pg, "all", "", ctx)
    assert len(rows) == len(expected) > 4 * 7
    assert [rows[i].id for i in reversed(range(len(rows)))] == expected[::-1]  # from the end
    assert rows[-1].id == expected[-1] and [r.id for r in rows[3:9]] == expected[3:9]
    for at in (0, 5, len(expected) // 2, len(expected) - 1):
        assert rows.position_of(rows[at]) == at
        assert rows.position_of_id(expected[at]) == at
    assert rows.ids() == expected
    assert rows.in_order({expected[9], expected[2], "T-999999"}) == [expected[2], expected[9]]
    open_rows, _ = demo_pg.queue_selection(VIEWS_BY_KEY["open"], parse(""), ctx)
    closed = next(i for i in expected if i not in set(in_memory(demo_pg, "open", "", ctx)[0]))
    assert open_rows.position_of_id(closed) is None


def test_a_filter_that_matches_more_than_the_cap_is_counted_up_to_it(demo_pg, monkeypatch):
    monkeypatch.setattr(queue_sql, "MATCH_CAP", 10)
    ctx = context()
    rows, in_view = demo_pg.queue_selection(VIEWS_BY_KEY["all"], parse("e"), ctx)
    expected, _ = in_memory(demo_pg, "all", "e", ctx)
    assert len(expected) > 10 and rows.capped and len(rows) == 10
    assert [r.id for r in rows] == expected[:10] and rows[9].id == expected[9]
    narrow, _ = demo_pg.queue_selection(VIEWS_BY_KEY["all"], parse("t-120"), ctx)
    assert not narrow.capped and [r.id for r in narrow] == in_memory(demo_pg, "all", "t-120", ctx)[0]


def test_an_older_schema_gets_its_queue_rows_from_the_tickets(postgres_schema):
    store = PostgresStore(postgres_schema)
    store.load_records("customers", [{"id": "C-1", "name": "Åsa Öberg", "language": "sv",
                                      "customer_since": "2020-01-01T00:00:00.000Z"}])
    made = store.insert_ticket(customer="C-1", subject="Skrivaren säger nej", body="Hej")
    store.close()
    with connect(postgres_schema) as conn:  # back to schema 2: no queue table
        conn.execute("DROP TABLE queue")
        conn.execute("UPDATE desk_meta SET value = '2'::jsonb WHERE key = 'schema'")
    store = PostgresStore(postgres_schema, agent=AGENT)
    try:
        ids, in_view = in_sql(store, "open", "asa skrivaren", context())
        assert (ids, in_view) == ([made.id], 1)
    finally:
        store.close()


def test_the_trigram_indexes_are_made_when_pg_trgm_is_there(postgres_schema):
    PostgresStore(postgres_schema).close()
    with connect(postgres_schema) as conn:
        names = {r[0] for r in conn.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'queue' "
            "AND schemaname = current_schema()").fetchall()}
    assert {"queue_text", "queue_customer", "queue_order"} <= names


def test_a_page_the_server_cannot_give_is_a_row_that_says_so_and_is_asked_again():
    """Pages are read while the list is drawn (the UI's thread): a lost server must not
    break the drawing; the next draw asks again."""
    from tui.core.store.errors import StoreError

    answers: list = [StoreError("the server went away")]

    def read(fn):
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    rows = queue_sql.SqlRows(read, queue_sql.Where("TRUE"), 3)
    assert rows[1].subject == "(not read: the server went away)"
    answers.append([queue_sql.row_of(("T-1", 1, "Back", "C-1", "Ann", "normal", "open", None,
                                      0.0, None, None, None, "", "email", []))])
    assert rows[0].id == "T-1" and rows[2].id == "T-1"  # one row came back: the last stands in
    assert rows.position_of(rows[0]) == 0  # found in the page read: no question asked
    answers[:] = [StoreError("gone"), StoreError("gone")]
    assert rows.position_of_id("T-77") is None and rows.facts(0.0).recent == []


def test_queue_queries_are_never_prepared_so_each_gets_a_plan_for_its_own_needle(demo_pg):
    """psycopg prepares a query run 5 times; a prepared query may switch to a generic plan
    that cannot see a needle is short (the trigram index then reads all of itself)."""
    ctx = context()
    with connect(demo_pg.url) as conn:
        conn.autocommit = True
        view = queue_sql.view_where(VIEWS_BY_KEY["open"], ctx)
        for needle in ["r", "ro", "rou", "rout", "route", "router", "e", "zq", "a", "ab"] * 2:
            where = view & queue_sql.filter_where(parse(needle), AGENT)
            queue_sql.read_page(conn, where, 0, queue_sql.PAGE, None)
            queue_sql.count(conn, where, queue_sql.MATCH_CAP)
        prepared = conn.execute("SELECT count(*) FROM pg_prepared_statements "
                                "WHERE statement LIKE '%%FROM queue%%'").fetchone()[0]
    assert prepared == 0


@pytest.mark.parametrize("text, index", [("tag:defect", "queue_open_tags"),
                                         ("router", "queue_open_text"),
                                         ("customer:foster", "queue_open_customer")])
def test_a_filter_in_an_open_view_can_use_the_indexes_of_open_tickets(demo_pg, text, index):
    """The open views' condition must imply the partial indexes' own, or PostgreSQL never
    uses them. The demo store is small, so the planner is left no other way than the index
    asked about or a sequential scan, which is ruled out (in a transaction rolled back)."""
    where = (queue_sql.view_where(VIEWS_BY_KEY["open"], context())
             & queue_sql.filter_where(parse(text), AGENT))
    with connect(demo_pg.url) as conn:
        others = [r[0] for r in conn.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'queue' AND "
            "schemaname = current_schema() AND indexname NOT IN ('queue_pkey', %s)",
            (index,)).fetchall()]
        conn.execute(f"DROP INDEX {', '.join(others)}")
        conn.execute("SET LOCAL enable_seqscan = off")
        plan = "\n".join(r[0] for r in conn.execute(
            f"EXPLAIN SELECT count(*) FROM queue WHERE {where.sql}", where.params).fetchall())
        conn.rollback()
    assert f"Bitmap Index Scan on {index}" in plan, plan


def test_a_schema_3_store_gets_the_indexes_of_open_tickets(postgres_schema):
    store = PostgresStore(postgres_schema)
    store.load_records("customers", [{"id": "C-1", "name": "Ann Lee",
                                      "customer_since": "2020-01-01T00:00:00.000Z"}])
    made = store.insert_ticket(customer="C-1", subject="Printer says no", body="Hi",
                               tags=["printer"])
    store.close()
    open_indexes = ("SELECT indexname FROM pg_indexes WHERE tablename = 'queue' AND "
                    "schemaname = current_schema() AND indexname LIKE 'queue_open_%%'")
    with connect(postgres_schema) as conn:  # back to schema 3
        for (name,) in conn.execute(open_indexes).fetchall():
            if name != "queue_open_order":
                conn.execute(f"DROP INDEX {name}")
        conn.execute("UPDATE desk_meta SET value = '3'::jsonb WHERE key = 'schema'")
    store = PostgresStore(postgres_schema, agent=AGENT)
    try:
        assert in_sql(store, "open", "tag:printer", context()) == ([made.id], 1)
        with connect(postgres_schema) as conn:
            names = {r[0] for r in conn.execute(open_indexes).fetchall()}
        assert names == {"queue_open_order", "queue_open_num", "queue_open_tags",
                         "queue_open_text", "queue_open_customer"}
    finally:
        store.close()
