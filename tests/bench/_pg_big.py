"""A PostgreSQL desk store of N tickets, built directly and fast, for bench_postgres.py at
100k and 1M tickets (issue 17's sizes).

`desk migrate` of a demo data directory took 15 minutes for 100k (one validated upsert and
one queue upsert per ticket): 1M that way is hours. Here the documents are made in Python,
exactly as the store holds them (a sample validated with the models), and loaded with
`COPY ... FROM STDIN` in one transaction: tickets (with the columns of `store.ticket_row`),
their `queue` rows (`queue_table.queue_values`, computed in the same pass), customers (~0.4
a ticket: demo.py's own customer maker), 30 products and ~0.9 purchases a ticket. The
secondary indexes, the queue's foreign key and the change-notifying trigger are dropped for
the load and made again exactly as the schema made them; the sequences move past the ids;
VACUUM ANALYZE at the end (visibility map for index-only counts, statistics for the planner).
No events: the event log is not what the queue benchmarks read.

The data follow the demo's vocabulary and mixes (tui/core/demo.py, demo_text.py): statuses
new/open/pending/on_hold/solved/closed (70 % not closed), priorities, channels, SLA due times
from the priority's targets, ~30 agents, six languages' names and texts, threads of 1–6
messages. Times are laid out before the moment of the build. Deterministic for a seed.

    python tests/bench/_pg_big.py URL 100000      # URL's search_path names the schema

If the schema already holds exactly N tickets nothing is done; otherwise (empty, or a build
cut short, which left nothing: one transaction) the tables are filled anew.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tui.core import demo, demo_text as words  # noqa: E402
from tui.core.models import Customer, Product, Purchase, Ticket, format_ts  # noqa: E402
from tui.core.store.postgres import queue_table  # noqa: E402
from tui.core.store.postgres.connection import jsonb  # noqa: E402
from tui.core.store.postgres.schema import SEQUENCES  # noqa: E402
from tui.core.store.postgres.store import ticket_row  # noqa: E402

BATCH = 20_000
AGENTS = words.AGENTS + ["lars", "sofia", "mikael", "ioana", "tomas", "signe", "emil", "zuzana",
                         "kari", "radu", "helmi", "oskar", "vera", "nils", "ella", "andrei",
                         "maja", "jakub", "liv", "timo", "freja", "bogdan", "hanna", "ole", "klara"]
VARIANTS = ["Mini", "Plus", "Lite", "Max", "Go"]  # the demo's 15 products and 15 more
EXTRA_TAGS = ["refund", "invoice", "outage", "firmware", "courier", "callback", "escalated",
              "b2b", "bug", "duplicate", "feedback", "urgent-customer", "press", "partner",
              "warranty-claim", "data-loss", "how-to", "købt-online", "pååminnelse", "reklamace"]
# Ages (hours before the build) by status: a desk that has run for two years.
AGE_H = {"new": (0.1, 48), "open": (1, 24 * 14), "pending": (4, 24 * 30), "on_hold": (8, 24 * 60),
         "solved": (6, 24 * 60), "closed": (24 * 12, 24 * 730)}
# More to say than the demo's one body a topic: a second sentence, in the customer's language.
DETAILS = {
    "en": ["Order reference {ref}.", "I already tried restarting it.", "Please call me back after 3 pm.",
           "This is the second time this happens.", "We need this fixed before the weekend."],
    "nb": ["Ordrereferanse {ref}.", "Jeg har allerede prøvd å starte på nytt.", "Ring meg gjerne etter kl. 15.",
           "Dette er andre gang det skjer.", "Vi trenger en løsning før helgen."],
    "fi": ["Tilausviite {ref}.", "Yritin jo käynnistää sen uudelleen.", "Soittakaa minulle kello 15 jälkeen.",
           "Tämä tapahtuu jo toista kertaa.", "Tarvitsemme korjauksen ennen viikonloppua."],
    "cs": ["Číslo objednávky {ref}.", "Už jsem to zkoušel restartovat.", "Zavolejte mi prosím po 15. hodině.",
           "Stává se to už podruhé.", "Potřebujeme to opravit do víkendu."],
    "da": ["Ordrereference {ref}.", "Jeg har allerede prøvet at genstarte.", "Ring gerne efter kl. 15.",
           "Det er anden gang, det sker.", "Vi skal have det løst inden weekenden."],
    "ro": ["Referința comenzii {ref}.", "Am încercat deja să-l repornesc.", "Vă rog să mă sunați după ora 15.",
           "Este a doua oară când se întâmplă.", "Avem nevoie de o rezolvare înainte de weekend."],
}
TICKET_COPY = "COPY tickets (num, rev, status, customer, folded, doc) FROM STDIN"
QUEUE_COPY = f"COPY queue ({', '.join(queue_table.COLUMNS)}) FROM STDIN"


def products() -> list[dict[str, Any]]:
    names = list(words.PRODUCTS) + [(f"{name} {VARIANTS[i % len(VARIANTS)]}", cat)
                                    for i, (name, cat) in enumerate(words.PRODUCTS)]
    return [{"id": f"P-{i}", "name": name, "category": cat} for i, (name, cat) in enumerate(names, 1)]


def customers(rng: random.Random, count: int, now: datetime) -> list[dict[str, Any]]:
    """demo.py's customers, as stored (no None fields)."""
    return [{k: v for k, v in c.items() if v is not None}
            for c in demo._customers(rng, count, now)]  # noqa: SLF001


def ticket(rng: random.Random, num: int, cust: dict[str, Any], prods: list[dict[str, Any]],
           now: datetime) -> dict[str, Any]:
    """One ticket document, as `Ticket(...).to_doc()` would write it."""
    status = demo._pick(rng, demo.STATUS_MIX)  # noqa: SLF001
    priority = demo._pick(rng, demo.PRIORITY_MIX)  # noqa: SLF001
    channel = demo._pick(rng, demo.CHANNEL_MIX)  # noqa: SLF001
    lang, product = cust["language"], rng.choice(prods)
    issue_key, subject_t, body_t = rng.choice(words.TOPICS[lang])
    created = now - timedelta(hours=rng.uniform(*AGE_H[status]))
    first_s, resolve_s = demo.SLA_TARGETS_S[priority]
    assignee = None if status == "new" and rng.random() < 0.7 else rng.choice(AGENTS)
    agent = assignee or rng.choice(AGENTS)
    reply, thanks = words.REPLIES[lang]
    detail = rng.choice(DETAILS[lang]).format(ref=f"O-{rng.randint(1, 9_999_999)}")
    thread = [("customer_message", "customer", cust["name"],
               f"{body_t.format(product=product['name'])} {detail}")]
    if status != "new":
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3)) + 1 if status != "open" else rng.randint(1, 3)):
            thread.append(("call_log" if channel == "phone" else "public_reply", "agent", agent,
                           rng.choice(words.CALL_NOTES) if channel == "phone" else reply))
            if rng.random() < 0.3:
                thread.append(("customer_message", "customer", cust["name"], words.CHASERS[lang]))
            if rng.random() < 0.15:
                thread.append(("internal_note", "agent", agent, rng.choice(words.NOTES)))
        if status in ("solved", "closed") and rng.random() < 0.25:
            thread.append(("customer_message", "customer", cust["name"], thanks))
    thread = thread[:6]
    span = (now if status not in ("solved", "closed") else created + timedelta(
        hours=rng.uniform(1, min(240, (now - created).total_seconds() / 3600)))) - created
    step = span / (len(thread) + 1)
    messages, first_replied = [], None
    for i, (kind, author_kind, author, body) in enumerate(thread):
        when = created + step * i
        msg = {"id": f"M{num:09d}{i}", "author_kind": author_kind, "author": author, "kind": kind,
               "body": body, "created": format_ts(when)}
        if kind == "call_log":
            msg.update(call_start=format_ts(when - timedelta(minutes=8)), call_end=msg["created"])
        if author_kind == "agent" and kind != "internal_note" and first_replied is None:
            first_replied = msg["created"]
        messages.append(msg)
    tags = {issue_key} | ({"vip"} if cust.get("tier") == "platinum" else set())
    tags |= set(rng.sample(EXTRA_TAGS, rng.choice((0, 0, 1, 1, 2))))
    doc: dict[str, Any] = {
        "id": f"T-{num}", "customer": cust["id"], "product": product["id"],
        "subject": subject_t.format(product=product["name"]), "status": status,
        "priority": priority, "channel": channel, "tags": sorted(tags), "assignee": assignee,
        "group": words.TOPIC_GROUP[issue_key], "flags": [], "created": format_ts(created),
        "updated": messages[-1]["created"],
        "first_reply_due": format_ts(created + timedelta(seconds=first_s)),
        "resolution_due": format_ts(created + timedelta(seconds=resolve_s)),
        "first_replied": first_replied, "issue_key": issue_key, "_rev": len(messages) + 1,
        "messages": messages}
    if status in ("solved", "closed"):
        doc["solved"] = doc["updated"] = format_ts(created + span)
        if rng.random() < 0.4:
            doc["satisfaction"] = {"score": rng.choices([1, 2, 3, 4, 5], [5, 7, 12, 30, 46])[0],
                                   "comment": "", "date": doc["solved"]}
    return {k: v for k, v in doc.items() if v is not None}


def purchase(rng: random.Random, num: int, cust: dict[str, Any], product: dict[str, Any],
             before: str) -> dict[str, Any]:
    currency = words.CURRENCY[cust["country"]]
    price = demo.PRICE_EUR[product["category"]] / words.RATE_TO_EUR[currency]
    since = datetime.fromisoformat(cust["customer_since"].replace("Z", "+00:00"))
    until = datetime.fromisoformat(before.replace("Z", "+00:00"))
    when = since + (until - since) * rng.random() if until > since else until
    return {"id": f"O-{num}", "customer": cust["id"], "product": product["id"],
            "date": format_ts(when), "amount": round(price * rng.uniform(0.9, 1.1), 2),
            "currency": currency, "channel": rng.choice(demo.SALES_CHANNELS)}


def check_sample(docs: list[dict[str, Any]], model: type) -> None:
    """The documents are what the model would store: validated and dumped back unchanged."""
    for doc in docs:
        back = model.model_validate(doc).model_dump(mode="json", by_alias=True, exclude_none=True)
        if back != doc:
            diff = {k: (doc.get(k), back.get(k)) for k in set(doc) | set(back) if doc.get(k) != back.get(k)}
            raise SystemExit(f"_pg_big: a {model.__name__} differs from its stored form: {diff}")


def _secondary(conn: Any) -> list[tuple[str, str]]:
    """(name, CREATE statement) of every index that backs no constraint."""
    return conn.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = "
        "(quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass) "
        "ORDER BY i.indexname").fetchall()


def _say(text: str) -> None:
    print(text, flush=True)


def build(url: str, n: int, *, seed: int = 7, say: Callable[[str], None] = _say) -> dict[str, Any]:
    """Fill the schema of `url` with `n` tickets unless it holds them; what was done."""
    import psycopg
    from tui.core.store import PostgresStore

    PostgresStore(url, agent="setup").close()  # the tables, queue, indexes, pg_trgm
    with psycopg.connect(url) as conn:
        held = conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
        conn.rollback()
        if held == n:
            say(f"_pg_big: {n:,} tickets there already")
            return {"built": False, "tickets": n}
        t0 = time.perf_counter()
        info = _load(conn, n, seed, say)
        conn.commit()
        info["load_s"] = time.perf_counter() - t0
    with psycopg.connect(url, autocommit=True) as conn:
        t1 = time.perf_counter()
        conn.execute("VACUUM ANALYZE")
        info["vacuum_s"] = time.perf_counter() - t1
    info["build_s"] = time.perf_counter() - t0
    say(f"_pg_big: {n:,} tickets in {info['build_s']:.0f} s ({info})")
    return info


def _load(conn: Any, n: int, seed: int, say: Callable[[str], None]) -> dict[str, Any]:
    rng = random.Random(seed)
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
    conn.execute("TRUNCATE tickets, queue, customers, products, purchases")
    indexes = _secondary(conn)
    fkey = conn.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE "
                        "conrelid = 'queue'::regclass AND contype = 'f'").fetchall()
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    for name, _ in fkey:
        conn.execute(f'ALTER TABLE queue DROP CONSTRAINT "{name}"')
    for table in ("tickets", "customers", "products", "purchases"):
        conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_changed")  # no NOTIFY a row

    custs = customers(rng, max(10, n * 2 // 5), now)
    prods = products()
    check_sample(custs[:200], Customer)
    check_sample(prods, Product)
    loyal = [c for c in custs if rng.random() < 0.2]  # a fifth of them write most tickets
    with conn.cursor() as cur:
        with cur.copy("COPY customers (num, doc) FROM STDIN") as copy:
            for c in custs:
                copy.write_row((int(c["id"][2:]), jsonb(c)))
        with cur.copy("COPY products (num, doc) FROM STDIN") as copy:
            for p in prods:
                copy.write_row((int(p["id"][2:]), jsonb(p)))
    say(f"_pg_big: {len(custs):,} customers, {len(prods)} products")

    t0, purchases = time.perf_counter(), 0
    for start in range(1, n + 1, BATCH):
        tickets, queue, bought = [], [], []
        for num in range(start, min(start + BATCH, n + 1)):
            cust = rng.choice(loyal) if rng.random() < 0.6 else rng.choice(custs)
            doc = ticket(rng, num, cust, prods, now)
            product = prods[int(doc["product"][2:]) - 1]
            tickets.append(ticket_row(doc))
            queue.append(queue_table.queue_values(doc, cust, product))
            if rng.random() < 0.9:
                purchases += 1
                bought.append(purchase(rng, purchases, cust, product, doc["created"]))
            if num % 5000 == 1:
                check_sample([doc], Ticket)
                check_sample(bought[-1:], Purchase)
        with conn.cursor() as cur:
            for sql, rows in ((TICKET_COPY, tickets), (QUEUE_COPY, queue)):
                with cur.copy(sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            with cur.copy("COPY purchases (num, customer, doc) FROM STDIN") as copy:
                for o in bought:
                    copy.write_row((int(o["id"][2:]), o["customer"], jsonb(o)))
        done = start + len(tickets) - 1
        rate = done / (time.perf_counter() - t0)
        say(f"_pg_big: {done:,}/{n:,} tickets ({rate:,.0f}/s, ~{(n - done) / rate:.0f} s to go)")
    copy_s = time.perf_counter() - t0

    t1 = time.perf_counter()
    for name, sql in indexes:
        t = time.perf_counter()
        conn.execute(sql)
        say(f"_pg_big: index {name} in {time.perf_counter() - t:.1f} s")
    for name, sql in fkey:
        conn.execute(f'ALTER TABLE queue ADD CONSTRAINT "{name}" {sql}')
    for table in ("tickets", "customers", "products", "purchases"):
        conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_changed")
    for table, seq in SEQUENCES.items():
        conn.execute(f"SELECT setval('{seq}', max(num)) FROM {table} HAVING count(*) > 0")
    return {"built": True, "tickets": n, "customers": len(custs), "products": len(prods),
            "purchases": purchases, "copy_s": copy_s, "index_s": time.perf_counter() - t1}


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("url", help="a PostgreSQL URL whose search_path names the schema")
    ap.add_argument("tickets", type=int)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    build(args.url, args.tickets, seed=args.seed)


if __name__ == "__main__":
    main()
