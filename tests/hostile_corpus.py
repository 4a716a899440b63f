"""The hostile-input corpus (issue 7): text a customer, an import or another desk can put in
the store, and what a person must see of it, literally.

Each `Item` has the raw text and how it must look: `line` on one row (queue cell, header,
palette hit, notification), `block` as the rows of a multi-line body. The expected forms are
written out here by hand, not computed with `tui.ui.text`, so the tests can catch `tui.ui.text`.

`build_corpus_store` writes a store where every item is a ticket subject and body, the
customer's name, company and region, a product name, a tag, the assignee, and the agent who
replied (in the event log, so the metrics and `desk report` see it as an agent). The three
large items (a 10k-character subject, a 1 MB body, a 2,000-message thread) are tickets of
their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson

from tui.core.eventlog import EVENTS_FILE
from tui.core.fileio import crc_line
from tui.core.models import format_ts
from tui.core.store import TinyDBStore

AGENT = "kari"


@dataclass(frozen=True)
class Item:
    id: str
    raw: str
    line: str  # on one row: controls as symbols, a line break or a tab as one space
    block: tuple[str, ...] = ()  # as the rows of a body; empty: the same as `line`

    @property
    def rows(self) -> tuple[str, ...]:
        return self.block or (self.line,)


def _same(id_: str, text: str) -> Item:
    return Item(id_, text, text)


ITEMS: tuple[Item, ...] = (
    _same("markup-close", "[/] closes nothing"),
    _same("markup-bold", "[b]not bold[/b]"),
    _same("markup-urgent", "[URGENT] printer on fire"),
    _same("markup-variable", "[$accent]accent[/] $text"),
    _same("markup-click", "[@click=app.quit]quit[/]"),
    _same("markup-link", "[link=file:///etc/passwd]passwd[/link]"),
    Item("ansi-clear", "\x1b[2Jcleared \x1b[31mred\x1b[0m", "␛[2Jcleared ␛[31mred␛[0m"),
    Item("osc52-clipboard", "\x1b]52;c;ZWNobyBwd25lZA==\x07clip", "␛]52;c;ZWNobyBwd25lZA==␇clip"),
    Item("osc8-hyperlink", "\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\",
         "␛]8;;https://evil.example/␛\\click me␛]8;;␛\\"),
    Item("c1-csi", "c1\x9b31mred", "c1\ufffd31mred"),
    Item("bell", "ring\x07ring", "ring␇ring"),
    Item("nul", "nul\x00byte", "nul␀byte"),
    Item("crlf", "first line\r\nsecond line", "first line second line",
         ("first line", "second line")),
    Item("lone-cr", "progress 10%\rprogress 99%", "progress 10%␍progress 99%"),
    Item("tab", "col1\tcol2", "col1 col2", ("col1    col2",)),
    Item("bidi-override", "invoice \u202egpj.exe", "invoice \ufffdgpj.exe"),
    _same("arabic", "مرحبا، الطابعة لا تعمل"),
    _same("hebrew", "שלום, המדפסת לא עובדת"),
    _same("combining", "Cafe\u0301 Z\u0351\u0300a\u0301l\u0302g\u0303o"),
    _same("zwj", "dev \U0001F469\u200d\U0001F4BB family \U0001F468\u200d\U0001F469\u200d\U0001F467"),
    _same("zero-width", "zero\u200bwidth\u200cnon\u200djoin"),
    _same("emoji-modifiers", "thumbs \U0001F44D\U0001F3FD wave \U0001F44B\U0001F3FF"),
    _same("quotes", "O'Brien & \"Bobby\" <bob@example.com>"),
)
BY_ID = {item.id: item for item in ITEMS}

# The large items: each a ticket of its own, after the corpus tickets.
LONG_SUBJECT_START = "Ten thousand characters of subject, "
LONG_SUBJECT = (LONG_SUBJECT_START + "abcdefghij " * 1000)[:10_000]
BIG_BODY_END = "the last line of a one-megabyte body"
BIG_BODY = "".join(f"line {n:05d} of a long export body, all of it shown as data\n"
                   for n in range(1, 17_000)) + BIG_BODY_END
THREAD_LENGTH = 2000
LAST_MESSAGE = f"message {THREAD_LENGTH} of {THREAD_LENGTH}: the last one"


FIRST = 101  # item k is ticket T-(101 + k), customer C-(101 + k), product P-(101 + k), macro #(101 + k)
LARGE = {"thread": 201, "big-body": 202, "long-subject": 203}


def number(item: Item) -> int:
    return FIRST + ITEMS.index(item)


def ticket_id(item: Item) -> str:
    return f"T-{number(item)}"


def customer_id(item: Item) -> str:
    return f"C-{number(item)}"


def macro_title(item: Item) -> str:
    return f"{item.raw} #{number(item)}"


THREAD_TICKET, BIG_BODY_TICKET, LONG_SUBJECT_TICKET = (f"T-{n}" for n in LARGE.values())


def _message(n: int, when: datetime, kind: str, author: str, body: str) -> dict:
    return {"id": f"M-{n:06d}", "author_kind": "customer" if kind == "customer_message" else "agent",
            "author": author, "kind": kind, "body": body, "created": format_ts(when)}


def _ticket(number: int, customer: str, subject: str, when: datetime, messages: list[dict],
            **fields) -> dict:
    return {"id": f"T-{number}", "customer": customer, "subject": subject, "status": "open",
            "priority": "normal", "channel": "email", "tags": [], "created": format_ts(when),
            "updated": format_ts(when), "messages": messages, "_rev": 1, **fields}


def _snapshot(now: datetime, large: tuple[str, ...]) -> dict:
    since = format_ts(now - timedelta(days=900))
    customers, products, purchases, tickets = {}, {}, {}, {}
    for item in ITEMS:
        n = number(item)
        customers[str(n)] = {"id": f"C-{n}", "name": item.raw, "company": item.raw, "country": "FI",
                             "region": item.raw, "language": "en", "tier": "standard",
                             "email": f"c{n}@example.com", "customer_since": since, "tags": [],
                             "notes": item.raw}
        products[str(n)] = {"id": f"P-{n}", "name": item.raw, "category": "corpus"}
        purchases[str(n)] = {"id": f"O-{n}", "customer": f"C-{n}", "product": f"P-{n}",
                             "date": format_ts(now - timedelta(days=30)), "amount": 10.0,
                             "currency": "EUR", "channel": "online"}
        created = now - timedelta(minutes=n)
        tickets[str(n)] = _ticket(n, f"C-{n}", item.raw, created,
                                  [_message(n * 10, created, "customer_message", item.raw, item.raw)],
                                  product=f"P-{n}", tags=[item.raw], assignee=item.raw)
    plain = 1
    customers[str(plain)] = {"id": f"C-{plain}", "name": "Plain Customer", "country": "FI",
                             "language": "en", "tier": "standard", "customer_since": since}
    start = now - timedelta(days=3)
    thread = [_message(100_000 + n, start + timedelta(seconds=n),
                       "customer_message" if n % 2 else "public_reply",
                       "Plain Customer" if n % 2 else AGENT,
                       LAST_MESSAGE if n == THREAD_LENGTH else f"message {n} of {THREAD_LENGTH}")
              for n in range(1, THREAD_LENGTH + 1)]
    for key, subject, messages in (
            ("thread", f"A thread of {THREAD_LENGTH} messages", thread),
            ("big-body", "A body of one megabyte",
             [_message(200_000, start, "customer_message", "Plain Customer", BIG_BODY)]),
            ("long-subject", LONG_SUBJECT,
             [_message(300_000, start, "customer_message", "Plain Customer", "short body")])):
        if key in large:
            tickets[str(LARGE[key])] = _ticket(LARGE[key], f"C-{plain}", subject, start, messages)
    return {"_meta": {"1": {"schema": 1}}, "customers": customers, "products": products,
            "purchases": purchases, "tickets": tickets}


def build_corpus_store(data_dir: Path, large: tuple[str, ...] = ()) -> Path:
    """The corpus store in `data_dir`, with the `large` tickets ("thread", "big-body",
    "long-subject"; the oldest, so the first in the queue). Each item also replies to its
    ticket as an agent named after it, so the event log carries it as an agent too."""
    now = datetime.now(timezone.utc)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "store.json").write_bytes(orjson.dumps(_snapshot(now, large)))
    for item in ITEMS:
        store = TinyDBStore(data_dir, agent=item.raw)
        try:
            store.append_message(ticket_id(item), kind="public_reply", body=item.raw)
        finally:
            store.close()
    with open(data_dir / EVENTS_FILE, "ab") as log:
        log.writelines(crc_line(event) for event in agent_runs(now - timedelta(days=2)))
    return data_dir


def agent_runs(start: datetime) -> list[dict]:
    """A run of each item as an agent: it opens its ticket, replies and solves it."""
    events = []
    for n, item in enumerate(ITEMS, 1):
        run, began = f"corpus-run-{n:02d}", start + timedelta(minutes=10 * n)
        for seq, (type_, data) in enumerate((
                ("ticket_created", {"channel": "email", "source": "customer",
                                    "customer": customer_id(item), "product": f"P-{number(item)}",
                                    "priority": "normal", "region": item.raw, "subject": item.raw}),
                ("customer_contact", {"contact": f"K-{number(item)}", "kind": "inbound_message"})), 1):
            events.append({"v": 1, "id": f"import-{number(item)}-{seq}", "stream": "ticket",
                           "seq": 2 * n + seq, "ts": format_ts(began - timedelta(minutes=30)),
                           "ticket": ticket_id(item), "type": type_, "src": "import", "data": data})
        steps = [("work", "run_start", 0, {"new_session": True, "tz": "UTC"}),
                 ("work", "ticket_focus", 1, {}),
                 ("ticket", "agent_reply", 3, {"public": True}),
                 ("ticket", "status_change", 4, {"from": "open", "to": "solved"}),
                 ("work", "run_end", 6, {"reason": "quit"})]
        for seq, (stream, type_, minute, data) in enumerate(steps, 1):
            event = {"v": 1, "id": f"{run}-{seq}", "stream": stream, "seq": seq,
                     "ts": format_ts(began + timedelta(minutes=minute)), "mono_ms": minute * 60_000,
                     "agent": item.raw, "session": run, "run": run, "type": type_, "src": "app",
                     "data": data}
            if type_ != "run_start" and type_ != "run_end":
                event["ticket"] = ticket_id(item)
            events.append(event)
    return events


def macros_toml() -> str:
    """A macros.toml with a macro per item: its title, a status change and no body (applied at
    once, with a notification naming it)."""
    return "".join(f'[[macro]]\nid = "corpus-{number(item)}"\ntitle = {toml_string(macro_title(item))}\n'
                   f'status = "pending"\n\n' for item in ITEMS)


def toml_string(text: str) -> str:
    """A TOML basic string: every character that is not plainly printable escaped."""
    def escape(c: str) -> str:
        if c in '"\\' or not c.isprintable() or ord(c) < 0xA0 and not (0x20 <= ord(c) < 0x7F):
            return f"\\U{ord(c):08X}"
        return c
    return '"' + "".join(escape(c) for c in text) + '"'


_OBEYED = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def control_characters(text: str) -> set[str]:
    """The characters a terminal could obey (C0 but line feed, DEL, C1, bidi overrides)."""
    return set(_OBEYED.findall(text))
