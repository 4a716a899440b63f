"""A deterministic demo store: customers, products, purchases, tickets and their event log.

`generate()` writes the store files directly (a bulk import), so that 100k
tickets take seconds. Times are laid out before a fixed anchor; `copy_demo()`
shifts them so that the anchor becomes "now" when the demo is opened.
"""

from __future__ import annotations

import os
import random
import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from . import demo_text as words
from .eventlog import EVENTS_FILE, ReadStats, format_event_ts, iter_lines
from .fileio import atomic_write, crc_line, open_append
from .models import SCHEMA_VERSION, format_ts
from .store.tinydb import queue_summary, snapshot

ANCHOR = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
HOUR = 3600
SLA_TARGETS_S = {"urgent": (1 * HOUR, 8 * HOUR), "high": (4 * HOUR, 24 * HOUR),
                 "normal": (8 * HOUR, 72 * HOUR), "low": (24 * HOUR, 168 * HOUR)}
STATUS_MIX = [("new", 10), ("open", 20), ("pending", 10), ("on_hold", 5), ("solved", 25), ("closed", 30)]
PRIORITY_MIX = [("low", 20), ("normal", 50), ("high", 22), ("urgent", 8)]
CHANNEL_MIX = [("email", 45), ("phone", 15), ("chat", 12), ("web", 18), ("social", 6), ("in_person", 4)]
SALES_CHANNELS = ["online", "retail", "phone", "field_sales", "trade_fair", "door_to_door", "telemarketing"]
PRICE_EUR = {"networking": 189, "computers": 1199, "displays": 349, "accessories": 59,
             "smart home": 79, "printers": 249, "software": 99, "audio": 129}
CONTACT_KIND = {"phone": "inbound_call", "chat": "chat_start", "web": "web_form"}


@dataclass
class DemoSummary:
    tickets: int
    customers: int
    products: int
    purchases: int
    events: int


def _pick(rng: random.Random, mix: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in mix], weights=[w for _, w in mix])[0]


class _Builder:
    def __init__(self, rng: random.Random, anchor: datetime):
        self.rng = rng
        self.anchor = anchor
        self.events: list[dict[str, Any]] = []
        self.blocks: dict[tuple[str, str], list[tuple[datetime, datetime]]] = {}

    def ulid(self, when: datetime) -> str:
        value = (int(when.timestamp() * 1000) << 80) | self.rng.getrandbits(80)
        alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
        return "".join(alphabet[(value >> (5 * i)) & 31] for i in reversed(range(26)))

    def event(self, when: datetime, type_: str, stream: str, data: dict[str, Any], *,
              ticket: str | None = None, agent: str | None = None, src: str = "app") -> None:
        event = {"v": 1, "id": self.ulid(when), "stream": stream, "seq": 0,
                 "ts": format_event_ts(int(when.timestamp() * 1e9)), "type": type_, "src": src,
                 "data": data, "agent": agent}
        if ticket:
            event["ticket"] = ticket
        self.events.append(event)

    def work_block(self, agent: str, ticket: str, start: datetime, seconds: int) -> datetime:
        """Focus, typing, blur: returns when the agent acts (the end of the typing)."""
        end = start + timedelta(seconds=seconds)
        self.event(start, "ticket_focus", "work", {}, ticket=ticket, agent=agent)
        t = start + timedelta(seconds=20)
        while t < end:
            self.event(t, "activity", "work", {"kind": "key", "count": self.rng.randint(5, 60)},
                       agent=agent)
            t += timedelta(seconds=self.rng.randint(25, 70))
        self.event(end + timedelta(seconds=10), "ticket_blur", "work", {}, ticket=ticket, agent=agent)
        self.blocks.setdefault((agent, start.date().isoformat()), []).append(
            (start, end + timedelta(seconds=10)))
        return end

    def working_time(self, after: datetime) -> datetime:
        """The next moment in working hours (08–17 UTC) at or after `after`."""
        t = after
        if t.hour >= 17:
            t = (t + timedelta(days=1)).replace(hour=8, minute=self.rng.randint(0, 50))
        elif t.hour < 8:
            t = t.replace(hour=8, minute=self.rng.randint(0, 50))
        return min(t, self.anchor - timedelta(minutes=20))

    def finish_runs(self) -> None:
        """Wrap each agent-day of work blocks in a run, then number every run's events."""
        runs: list[tuple[str, datetime, datetime, str]] = []
        run_start_ms: dict[str, int] = {}
        for (agent, _day), spans in sorted(self.blocks.items()):
            start = min(s for s, _ in spans) - timedelta(minutes=10)
            end = min(max(e for _, e in spans) + timedelta(minutes=10), self.anchor)
            run = self.ulid(start)
            runs.append((agent, start, end, run))
            run_start_ms[run] = int(start.timestamp() * 1000)
            self.event(start, "run_start", "work", {"new_session": True, "previous_run": None,
                                                     "app_version": "demo", "tz": "UTC",
                                                     "host_hash": "demo"}, agent=agent)
            self.event(end, "run_end", "work", {"reason": "quit"}, agent=agent)
        self.events.sort(key=lambda e: (e["ts"], 0 if e["stream"] == "ticket" else 1, e["id"]))
        by_agent: dict[str, list[tuple[str, str, str]]] = {}
        for agent, start, end, run in runs:
            by_agent.setdefault(agent, []).append((format_ts(start), format_ts(end), run))
        counters: dict[str, int] = {}
        for event in self.events:
            agent = event.get("agent")
            run = None
            if event["src"] == "app" and agent:
                run = next((r for s, e, r in by_agent.get(agent, []) if s <= event["ts"] <= e), None)
            if run is None:
                event["src"] = "system" if event["src"] == "app" else event["src"]
                key = event["src"]
            else:
                wall_ms = int(datetime.fromisoformat(event["ts"].replace("Z", "+00:00")).timestamp() * 1000)
                # The run's monotonic clock: counts from an arbitrary boot-time origin.
                event.update(run=run, session=run, mono_ms=3_600_000 + wall_ms - run_start_ms[run])
                key = run
            counters[key] = counters.get(key, 0) + 1
            event["seq"] = counters[key]
            if not agent:
                event.pop("agent", None)


def _customers(rng: random.Random, count: int, anchor: datetime) -> list[dict[str, Any]]:
    langs = list(words.LANGUAGES)
    customers = []
    for n in range(1, count + 1):
        lang = langs[(n - 1) % len(langs)]
        spec = words.LANGUAGES[lang]
        country, region = rng.choice(spec["countries"])
        first, last = rng.choice(spec["first"]), rng.choice(spec["last"])
        company = rng.choice(spec["company"]) if rng.random() < 0.6 else None
        since = anchor - timedelta(days=rng.randint(20, 6 * 365))
        tier = rng.choices(["standard", "silver", "gold", "platinum"], [60, 20, 14, 6])[0]
        email_name = re.sub(r"[^a-z]", "", first.lower().encode("ascii", "ignore").decode()) or "kunde"
        customers.append({
            "id": f"C-{n}", "name": f"{first} {last}",
            "email": f"{email_name}.{n}@example.{country.lower()}",
            "phone": f"+{rng.randint(30, 49)} {rng.randint(100, 999)} {rng.randint(10000, 99999)}",
            "company": company, "country": country, "region": region, "language": lang,
            "tier": tier, "customer_since": format_ts(since),
            "tags": ["vip"] if tier == "platinum" else [], "notes": "",
        })
    return customers


def generate(out_dir: Path | str, *, tickets: int = 300, seed: int = 7,
             anchor: datetime = ANCHOR) -> DemoSummary:
    """Write a complete store into `out_dir` (which must not already hold one)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if (out / "store.json").exists():
        raise FileExistsError(f"{out / 'store.json'} already exists; choose an empty directory")
    rng = random.Random(seed)
    build = _Builder(rng, anchor)
    n_customers = max(120, tickets * 2 // 5) if tickets >= 300 else max(10, tickets * 2 // 5)
    customers = _customers(rng, n_customers, anchor)
    products = [{"id": f"P-{i}", "name": name, "category": cat}
                for i, (name, cat) in enumerate(words.PRODUCTS, 1)]
    loyal = [c for c in customers if rng.random() < 0.2]
    weights = [8 if c in loyal else 1 for c in customers]

    purchases = []
    for n in range(1, tickets * 2 + 1):
        cust = rng.choices(customers, weights)[0]
        prod = rng.choice(products)
        since = datetime.fromisoformat(cust["customer_since"].replace("Z", "+00:00"))
        days = max(1, (anchor - since).days)
        currency = words.CURRENCY[cust["country"]]
        price = PRICE_EUR[prod["category"]] / words.RATE_TO_EUR[currency]
        purchases.append({
            "id": f"O-{n}", "customer": cust["id"], "product": prod["id"],
            "date": format_ts(since + timedelta(days=rng.randint(0, days), hours=rng.randint(8, 18))),
            "amount": round(price * rng.uniform(0.9, 1.1), 2), "currency": currency,
            "channel": rng.choice(SALES_CHANNELS)})

    active: dict[str, dict[str, Any]] = {}
    archived: dict[str, dict[str, Any]] = {}
    statuses = _status_plan(rng, tickets)
    for number in range(1, tickets + 1):
        doc = _ticket(build, number, statuses[number - 1], rng.choices(customers, weights)[0],
                      products)
        (archived if doc["status"] == "closed" else active)[str(number)] = doc
    build.finish_runs()

    meta = {"schema": SCHEMA_VERSION, "next": {"tickets": tickets + 1}}
    tables = {"_meta": {"1": meta},
              "customers": {str(i): c for i, c in enumerate(customers, 1)},
              "products": {str(i): p for i, p in enumerate(products, 1)},
              "purchases": {str(i): p for i, p in enumerate(purchases, 1)},
              "tickets": active}
    write_snapshots(out, tables, {"tickets": archived})
    _write_events(out / EVENTS_FILE, build.events)
    return DemoSummary(tickets, len(customers), len(products), len(purchases), len(build.events))


def write_snapshots(out: Path, active: dict[str, Any], archive: dict[str, Any]) -> None:
    """The two snapshots of a new store, and the queue summary of the active one."""
    atomic_write(out / "store.json", snapshot.encode(active))
    queue_summary.write(out / queue_summary.SUMMARY_FILE, active,
                        snapshot.file_stamp(out / "store.json"))
    atomic_write(out / "archive.json", snapshot.encode(archive))


def _status_plan(rng: random.Random, tickets: int) -> list[str]:
    """Every status, in the demo's proportions, in a seeded order."""
    total = sum(w for _, w in STATUS_MIX)
    plan: list[str] = []
    for status, weight in STATUS_MIX:
        plan += [status] * max(1, round(tickets * weight / total))
    plan = plan[:tickets] + [_pick(rng, STATUS_MIX) for _ in range(tickets - len(plan))]
    rng.shuffle(plan)
    return plan


def _ticket(build: _Builder, number: int, status: str, cust: dict[str, Any],
            products: list[dict[str, Any]]) -> dict[str, Any]:
    rng, anchor = build.rng, build.anchor
    tid = f"T-{number}"
    lang = cust["language"]
    product = rng.choice(products)
    issue_key, subject_t, body_t = rng.choice(words.TOPICS[lang])
    priority = _pick(rng, PRIORITY_MIX)
    channel = _pick(rng, CHANNEL_MIX)
    age_h = {"new": (0.1, 6), "open": (1, 60), "pending": (4, 120), "on_hold": (8, 200),
             "solved": (6, 24 * 25), "closed": (24 * 12, 24 * 90)}[status]
    created = anchor - timedelta(hours=rng.uniform(*age_h))
    fr_s, res_s = SLA_TARGETS_S[priority]
    assignee = None if status == "new" and rng.random() < 0.7 else rng.choice(words.AGENTS)
    group = words.TOPIC_GROUP[issue_key]
    messages: list[dict[str, Any]] = []

    def message(when: datetime, kind: str, author_kind: str, author: str, body: str, **extra: Any) -> None:
        messages.append({"id": build.ulid(when), "author_kind": author_kind, "author": author,
                         "kind": kind, "body": body, "created": format_ts(when), **extra})

    subject = subject_t.format(product=product["name"])
    body = body_t.format(product=product["name"])
    message(created, "customer_message", "customer", cust["name"], body)
    build.event(created, "ticket_created", "ticket", {
        "channel": channel, "source": "customer", "customer": cust["id"], "product": product["id"],
        "issue_key": issue_key, "priority": priority, "group": group, "region": cust["region"],
        "subject": subject}, ticket=tid, src="import")
    build.event(created, "customer_contact", "ticket", {
        "contact": messages[0]["id"], "kind": CONTACT_KIND.get(channel, "inbound_message"),
        "ack_only": None}, ticket=tid, src="import")
    if assignee:
        build.event(created + timedelta(minutes=1), "assign", "ticket",
                    {"to_agent": assignee, "to_group": group, "kind": "assign"}, ticket=tid,
                    src="system")

    doc: dict[str, Any] = {
        "id": tid, "customer": cust["id"], "product": product["id"], "subject": subject,
        "status": "new", "priority": priority, "channel": channel,
        "tags": sorted({issue_key} | ({"vip"} if cust["tier"] == "platinum" else set())),
        "assignee": assignee, "group": group, "created": format_ts(created),
        "first_reply_due": format_ts(created + timedelta(seconds=fr_s)),
        "resolution_due": format_ts(created + timedelta(seconds=res_s)),
        "issue_key": issue_key, "_rev": 1}
    reply, thanks = words.REPLIES[lang]
    current = "new"

    def set_status(when: datetime, to: str, agent: str | None) -> None:
        nonlocal current
        build.event(when, "status_change", "ticket", {"from": current, "to": to}, ticket=tid,
                    agent=agent, src="app" if agent else "system")
        current = to

    def handle(after: datetime, to: str, first: bool = True) -> datetime:
        """One touch by an agent. A first phone or chat contact is taken live, as it comes in."""
        agent = assignee or rng.choice(words.AGENTS)
        live = channel in ("phone", "chat")
        if live and first:
            start = after
        else:
            start = build.working_time(after + timedelta(minutes=rng.uniform(5, 240)))
        acted = build.work_block(agent, tid, start, rng.randint(60, 600))
        if live:
            call_start = start if first else acted - timedelta(minutes=rng.randint(3, 12))
            leg = {"interaction": f"I-{tid}-{int(call_start.timestamp())}",
                   "kind": "call" if channel == "phone" else "chat",
                   "direction": "inbound" if first else "outbound", "leg": 1}
            build.event(call_start, "interaction_start", "work", leg, ticket=tid, agent=agent)
            build.event(acted, "interaction_end", "work", leg, ticket=tid, agent=agent)
        if channel == "phone":
            message(acted, "call_log", "agent", agent, rng.choice(words.CALL_NOTES),
                    call_start=format_ts(call_start), call_end=format_ts(acted))
        else:
            message(acted, "public_reply", "agent", agent, reply)
            build.event(acted, "agent_reply", "ticket", {"public": True}, ticket=tid, agent=agent)
        doc.setdefault("first_replied", format_ts(acted))
        if to == "on_hold" or rng.random() < 0.15:
            message(acted, "internal_note", "agent", agent, rng.choice(words.NOTES))
            build.event(acted, "internal_note", "ticket", {}, ticket=tid, agent=agent)
        if to != current:
            set_status(acted, to, agent)
        return acted

    if status == "new":
        pass
    elif status in ("open", "pending", "on_hold"):
        acted = handle(created, status)
        if status == "open" and rng.random() < 0.3 and acted + timedelta(hours=1) < anchor:
            chased = acted + timedelta(minutes=rng.uniform(30, (anchor - acted).total_seconds() / 60))
            message(chased, "customer_message", "customer", cust["name"], words.CHASERS[lang])
            build.event(chased, "customer_contact", "ticket", {
                "contact": messages[-1]["id"], "kind": "inbound_message", "ack_only": None},
                ticket=tid, src="import")
    else:
        solved = handle(created, "solved")
        reopened = rng.random() < 0.12 and solved + timedelta(hours=50) < anchor
        if reopened:
            back = solved + timedelta(hours=rng.uniform(2, 48))
            message(back, "customer_message", "customer", cust["name"], words.CHASERS[lang])
            build.event(back, "customer_contact", "ticket", {
                "contact": messages[-1]["id"], "kind": "inbound_message", "ack_only": None},
                ticket=tid, src="import")
            set_status(back, "open", None)
            doc["tags"] = sorted(set(doc["tags"]) | {"reopened"})
            solved = handle(back, "solved", first=False)
        elif rng.random() < 0.25 and solved + timedelta(hours=21) < anchor:
            later = solved + timedelta(hours=rng.uniform(1, 20))
            message(later, "customer_message", "customer", cust["name"], thanks)
            build.event(later, "customer_contact", "ticket", {
                "contact": messages[-1]["id"], "kind": "inbound_message", "ack_only": True},
                ticket=tid, src="import")
        doc["solved"] = format_ts(solved)
        if rng.random() < 0.5 and solved + timedelta(hours=55) < anchor:
            sent = solved + timedelta(hours=24)
            answered = sent + timedelta(hours=rng.uniform(1, 30))
            score = rng.choices([1, 2, 3, 4, 5], [5, 7, 12, 30, 46])[0]
            survey = f"S-{tid}"
            build.event(sent, "csat_sent", "ticket", {"survey": survey}, ticket=tid, src="system")
            build.event(answered, "csat_response", "ticket", {"survey": survey, "score": score},
                        ticket=tid, src="import")
            doc["satisfaction"] = {"score": score, "comment": "", "date": format_ts(answered)}
        if status == "closed":
            set_status(solved + timedelta(days=4), "closed", None)
    messages.sort(key=lambda m: m["created"])
    doc.update(status=status, messages=messages,
               updated=max([m["created"] for m in messages] + [doc.get("solved", "")]))
    if status == "closed":
        doc["updated"] = format_ts(datetime.fromisoformat(doc["solved"].replace("Z", "+00:00")) + timedelta(days=4))
    return {k: v for k, v in doc.items() if v is not None}


def _write_events(path: Path, events: list[dict[str, Any]]) -> None:
    fd = open_append(path)
    try:
        for start in range(0, len(events), 5000):
            os.write(fd, b"".join(crc_line(e) for e in events[start:start + 5000]))
        os.fsync(fd)
    finally:
        os.close(fd)


# -- opening the demo: a private copy shifted to "now" --------------------------
_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def _shift(value: Any, delta: timedelta) -> Any:
    if isinstance(value, str) and _TS.match(value):
        return format_ts(datetime.fromisoformat(value.replace("Z", "+00:00")) + delta)
    if isinstance(value, dict):
        return {k: _shift(v, delta) for k, v in value.items()}
    if isinstance(value, list):
        return [_shift(v, delta) for v in value]
    return value


def copy_demo(source: Path, target: Path, now: datetime, anchor: datetime = ANCHOR) -> None:
    """Copy the shipped demo into `target`, moving every time so the anchor is `now`."""
    delta = timedelta(minutes=int((now - anchor).total_seconds() // 60))
    target.mkdir(parents=True, exist_ok=True)
    write_snapshots(target, *(_shift(snapshot.decode((source / name).read_bytes()), delta)
                              for name in ("store.json", "archive.json")))
    events_src = source / EVENTS_FILE
    if events_src.exists():
        events = list(iter_lines(events_src.read_bytes(), ReadStats()))
        atomic_write(target / EVENTS_FILE, b"".join(crc_line(_shift(e, delta)) for e in events))
    for extra in ("macros.toml",):
        if (source / extra).exists():
            shutil.copy2(source / extra, target / extra)
