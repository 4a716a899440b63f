"""The SQL queue's raw speed on a big store, without the UI: `store.queue_selection` (the
view's count, the filter's capped count and the first page, as the app asks for them) for
one filter text after another, the median of 5 calls each, and EXPLAIN ANALYZE of the
statements of those slower than --slow-ms.

    python tests/bench/_pg_queue_speed.py URL [--texts ...] [--explain-all]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tui.core.filter import parse  # noqa: E402
from tui.core.queue_views import VIEWS_BY_KEY, ViewContext  # noqa: E402
from tui.core.store import PostgresStore  # noqa: E402
from tui.core.store.postgres import queue_sql  # noqa: E402

TEXTS = ["", "r", "re", "ref", "refund", "zq", "status:pending", "tag:{tag}", "customer:{name}",
         "lang:fi"]


def statements(view, flt, ctx) -> list[tuple[str, str, tuple]]:
    """(what, SQL, params) of what queue_selection runs for a filter (its view's count aside,
    which is kept between calls) and of the first page it reads."""
    base = queue_sql.view_where(view, ctx)
    matching = queue_sql.filter_where(flt, ctx.agent)
    where = base if matching is None else base & matching
    page = (f"SELECT {', '.join(queue_sql.ROW_COLUMNS)} FROM queue WHERE {where.sql} "
            f"ORDER BY {queue_sql.ORDER} LIMIT %s OFFSET %s", (*where.params, queue_sql.PAGE, 0))
    if matching is None:
        return [("view count", f"SELECT count(*) FROM queue WHERE {base.sql}", base.params),
                ("first page", *page)]
    return [("capped count", f"SELECT count(*) FROM (SELECT 1 FROM queue WHERE {where.sql} "
             "LIMIT %s) s", (*where.params, queue_sql.MATCH_CAP + 1)), ("first page", *page)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("url")
    ap.add_argument("--view", default="open")
    ap.add_argument("--texts", nargs="*")
    ap.add_argument("--slow-ms", type=float, default=50.0)
    ap.add_argument("--explain-all", action="store_true")
    args = ap.parse_args()
    store = PostgresStore(args.url, agent="ana")
    with store._lent(False) as conn:  # noqa: SLF001 - a real tag and a real name to look for
        tag = conn.execute("SELECT t FROM queue, unnest(f_tags) t GROUP BY t ORDER BY count(*) "
                           "LIMIT 1 OFFSET 5").fetchone()[0]
        name = conn.execute("SELECT split_part(customer_name, ' ', 2) FROM queue "
                            "WHERE num = 4242").fetchone()[0]
    texts = args.texts if args.texts is not None else [t.format(tag=tag, name=name) for t in TEXTS]
    view = VIEWS_BY_KEY[args.view]
    ctx = ViewContext.at("ana", datetime.now(timezone.utc))
    slow = []
    print(f"{'filter':<24} {'first':>9} {'median5':>9} {'rows':>7} {'in view':>8}")
    for text in texts:
        flt, took = parse(text), []
        for _ in range(6):
            t0 = time.perf_counter()
            rows, in_view = store.queue_selection(view, flt, ctx)
            took.append(time.perf_counter() - t0)
        med = statistics.median(took[1:])
        capped = "+" if rows.capped else ""
        print(f"{text!r:<24} {took[0] * 1000:8.1f}ms {med * 1000:8.1f}ms {len(rows):>6}{capped:1} "
              f"{in_view:>8}", flush=True)
        if med * 1000 > args.slow_ms or took[0] * 1000 > args.slow_ms or args.explain_all:
            slow.append((text, flt))
    with store._lent(False) as conn:  # noqa: SLF001
        for text, flt in slow:
            for what, sql, params in statements(view, flt, ctx):
                plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params).fetchall()
                print(f"\n-- {text!r}: {what}\n" + "\n".join(r[0] for r in plan))
    store.close()


if __name__ == "__main__":
    main()
