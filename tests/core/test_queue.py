from datetime import datetime, timezone

from tui.core.filter import parse
from tui.core.queue import Lookups, QueueIndex, build_row
from tui.core.queue_views import VIEWS_BY_KEY, ViewContext, select

NOW = datetime(2026, 1, 2, 12, 0, tzinfo=timezone.utc)
CUSTOMERS = {"C-1": {"id": "C-1", "name": "Aino Virtanen", "language": "fi", "region": "Uusimaa"},
             "C-2": {"id": "C-2", "name": "Ion Popescu", "language": "ro", "region": "Nord-Est"}}
PRODUCTS = {"P-1": {"id": "P-1", "name": "Kahvinkeitin", "category": "kitchen"}}


def doc(n, *, rev=1, **kw):
    base = {"id": f"T-{n}", "_rev": rev, "customer": "C-1", "product": "P-1", "subject": f"s{n}",
            "status": "open", "priority": "normal", "channel": "email", "tags": [],
            "created": "2026-01-01T00:00:00.000Z", "updated": "2026-01-01T00:00:00.000Z"}
    base.update(kw)
    return base


def ctx(agent="kari"):
    return ViewContext.at(agent, NOW)


def ids(selection):
    return [r.id for r in selection.rows]


def test_sla_first_then_priority_then_age():
    docs = [
        doc(1, priority="urgent"),  # no SLA
        doc(2, resolution_due="2026-01-02T13:00:00.000Z"),  # 1 h left
        doc(3, resolution_due="2026-01-02T11:00:00.000Z"),  # breached 1 h ago
        doc(4, priority="low"),
        doc(5, priority="urgent", created="2025-12-31T00:00:00.000Z"),  # older urgent
    ]
    rows = QueueIndex().update(docs, CUSTOMERS, PRODUCTS)
    assert ids(select(rows, VIEWS_BY_KEY["all"], parse(""), ctx())) == \
        ["T-3", "T-2", "T-5", "T-1", "T-4"]


def test_views():
    docs = [doc(1, assignee="kari"), doc(2), doc(3, status="pending", assignee="ola"),
            doc(4, status="solved", solved="2026-01-02T09:00:00.000Z"),
            doc(5, status="solved", solved="2025-12-01T09:00:00.000Z"),
            doc(6, first_reply_due="2026-01-02T12:30:00.000Z")]
    rows = QueueIndex().update(docs, CUSTOMERS, PRODUCTS)

    def view(key):
        return sorted(ids(select(rows, VIEWS_BY_KEY[key], parse(""), ctx())))

    assert view("mine") == ["T-1"]
    assert view("unassigned") == ["T-2", "T-6"]
    assert view("open") == ["T-1", "T-2", "T-3", "T-6"]
    assert view("sla") == ["T-6"]
    assert view("waiting") == ["T-3"]
    assert view("solved_today") == ["T-4"]
    assert len(view("all")) == 6


def test_filter_uses_customer_and_product_fields():
    docs = [doc(1), doc(2, customer="C-2", subject="Vânzări", tags=["VIP"])]
    rows = QueueIndex().update(docs, CUSTOMERS, PRODUCTS)
    everything = VIEWS_BY_KEY["all"]
    assert ids(select(rows, everything, parse("lang:fi"), ctx())) == ["T-1"]
    assert ids(select(rows, everything, parse("vanzari tag:vip"), ctx())) == ["T-2"]
    assert ids(select(rows, everything, parse("kahvin virtanen"), ctx())) == ["T-1"]
    result = select(rows, everything, parse("region:nord"), ctx())
    assert ids(result) == ["T-2"] and result.in_view == 2


def test_index_reuses_rows_until_the_revision_changes():
    index = QueueIndex()
    first = {r.id: r for r in index.update([doc(1), doc(2)], CUSTOMERS, PRODUCTS)}
    second = {r.id: r for r in index.update([doc(1), doc(2, rev=2, subject="new")], CUSTOMERS, PRODUCTS)}
    assert second["T-1"] is first["T-1"]
    assert second["T-2"].subject == "new"
    assert [r.id for r in index.update([doc(1)], CUSTOMERS, PRODUCTS)] == ["T-1"]


def test_rows_tolerate_missing_fields():
    row = build_row({"id": "T-1"}, Lookups.build({}, {}))
    assert row.sla.next_due is None and row.customer_name == ""


def test_select_can_be_cancelled():
    rows = QueueIndex().update([doc(1)], CUSTOMERS, PRODUCTS)
    assert select(rows, VIEWS_BY_KEY["all"], parse(""), ctx(), cancelled=lambda: True) is None


def test_search_fields_are_folded_only_when_a_filter_needs_them():
    rows = QueueIndex().update([doc(1, subject="Vânzări")], CUSTOMERS, PRODUCTS)
    select(rows, VIEWS_BY_KEY["all"], parse(""), ctx())
    assert rows[0]._search is None
    select(rows, VIEWS_BY_KEY["all"], parse("vanzari"), ctx())
    assert rows[0]._search is not None and "vanzari" in rows[0].search.text
