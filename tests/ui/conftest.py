"""A small, realistic store for the UI tests, and helpers to drive DeskApp with Pilot.

The store is built through the store API (a TinyDB snapshot of customers,
products and purchases, then `insert_ticket`), with hostile text on purpose.
"""

from __future__ import annotations

import html
import re
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import orjson
import pytest

from tui.core.eventlog import EVENTS_FILE, ticket_events
from tui.core.models import format_ts
from tui.core.store import TinyDBStore

AGENT = "kari"
SIZES = [(80, 24), (120, 40)]
HOSTILE = {"T-4": "oops [/]", "T-5": "[@click=app.quit]x", "T-6": "[URGENT] printer"}


def ts(delta: timedelta) -> str:
    """A time relative to now (when the store is built)."""
    return format_ts(datetime.now(timezone.utc) + delta)


def _snapshot() -> dict:
    since = ts(timedelta(days=-900))
    customers = [
        ("C-1", "Aino Virtanen", "Virtasen Kahvila Oy", "FI", "Uusimaa", "fi", "gold"),
        ("C-2", "Ion Popescu", "Vânzări Nord SRL", "RO", "Nord-Est", "ro", "silver"),
        ("C-3", "Kari Nordmann", None, "NO", "Vestland", "nb-NO", "standard"),
        ("C-4", "Jana Nováková", "Tiskárna s.r.o.", "CZ", "Praha", "cs", "standard"),
        ("C-5", "Mette Sørensen", None, "DK", "Hovedstaden", "da", "platinum"),
        ("C-6", "{ticket.id} [b]Brace[/b] Person", "Curly {Co}", "GB", "London", "en", "standard"),
    ]
    products = [("P-1", "Kahvinkeitin Aroma", "kitchen"), ("P-2", "Vânzări Suite", "software"),
                ("P-3", "Norrsken Monitor 27", "displays"), ("P-4", "Vltava Printer 300", "printers")]
    purchases = [("O-1", "C-1", "P-1", -400, 129.0, "EUR", "online"),
                 ("O-2", "C-1", "P-3", -200, 349.5, "EUR", "retail"),
                 ("O-3", "C-1", "P-1", -30, 19.9, "EUR", "phone"),
                 ("O-4", "C-2", "P-2", -100, 1200.0, "RON", "field_sales")]
    return {
        "_meta": {"1": {"schema": 1}},
        "customers": {c[0][2:]: {"id": c[0], "name": c[1], "company": c[2], "country": c[3],
                                 "region": c[4], "language": c[5], "tier": c[6],
                                 "email": f"{c[0].lower()}@example.com", "customer_since": since,
                                 "tags": [], "notes": ""} for c in customers},
        "products": {p[0][2:]: {"id": p[0], "name": p[1], "category": p[2]} for p in products},
        "purchases": {o[0][2:]: {"id": o[0], "customer": o[1], "product": o[2],
                                 "date": ts(timedelta(days=o[3])), "amount": o[4], "currency": o[5],
                                 "channel": o[6]} for o in purchases},
    }


TICKETS = [  # customer, subject, body, fields
    ("C-1", "Kahvinkeitin vuotaa", "Keitin vuotaa vettä pöydälle. Apua!",
     dict(priority="urgent", product="P-1", tags=["leak"], created=timedelta(hours=-3),
          first_reply_due=timedelta(hours=-1), resolution_due=timedelta(hours=20))),
    ("C-2", "Raport vânzări lipsă", "Nu văd raportul de vânzări.",
     dict(product="P-2", assignee="ola", created=timedelta(hours=-5),
          resolution_due=timedelta(hours=30))),
    ("C-3", "Kundetilfredshed: oppfølging", "Jeg venter fortsatt på svar.",
     dict(priority="high", status="pending", assignee=AGENT, created=timedelta(days=-2))),
    ("C-4", HOSTILE["T-4"], "Tiskárna netiskne.", dict(product="P-4", created=timedelta(hours=-8))),
    ("C-5", HOSTILE["T-5"], "Skærmen blinker.", dict(product="P-3", created=timedelta(hours=-9))),
    ("C-6", HOSTILE["T-6"], "Printer says {error} [red]PC LOAD LETTER[/red]",
     dict(priority="urgent", product="P-4", created=timedelta(hours=-10))),
    ("C-1", "Tilauksen toimitus myöhässä", "Missä tilaukseni on?",
     dict(status="solved", assignee=AGENT, created=timedelta(days=-1), solved=timedelta(0))),
    ("C-3", "Bell\x07 and \x1b[31mescape\x1b[0m in subject", "NUL\x00 here\rand a lone CR",
     dict(channel="phone", created=timedelta(days=-4))),
]


def build_store(data_dir: Path) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "store.json").write_bytes(orjson.dumps(_snapshot()))
    store = TinyDBStore(data_dir, agent=AGENT)
    try:
        for customer, subject, body, fields in TICKETS:
            fields = {k: ts(v) if isinstance(v, timedelta) else v for k, v in fields.items()}
            ticket = store.insert_ticket(customer=customer, subject=subject, body=body,
                                         channel=fields.pop("channel", "email"), **fields)
            if ticket.status == "solved":
                store.append_message(ticket.id, kind="public_reply", body="Toimitettu.")
        closed = store.insert_ticket(customer="C-1", subject="Vanha kysymys", body="Kysymys.",
                                     created=ts(timedelta(days=-60)))
        store.rate(closed.id, 4, "ok")
        store.update_ticket(closed.id, {"status": "closed", "resolution_code": "answered"},
                            expected_rev=store.get_ticket(closed.id).rev)
    finally:
        store.close()
    return data_dir


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return build_store(tmp_path / "data")


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "config" / "config.toml"
    path.parent.mkdir()
    path.write_text('theme = "textual-dark"\n')
    return path


@pytest.fixture(params=SIZES, ids=["80x24", "120x40"])
def size(request) -> tuple[int, int]:
    return request.param


@pytest.fixture
def store(data_dir: Path):
    store = TinyDBStore(data_dir, agent=AGENT)
    yield store
    store.close()


@pytest.fixture
def make_app(store, config_path):
    from tui.app import DeskApp

    def make(**kwargs) -> DeskApp:
        return DeskApp(store, agent=AGENT, config_path=kwargs.pop("config_path", config_path))
    return make


async def until(pilot, condition: Callable[[], object], timeout: float = 5.0) -> None:
    """Let the app run until `condition()` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {condition}")
        await pilot.pause(0.02)


async def ready(pilot, ticket_id: str | None = None):
    """Wait for the queue and its first ticket; then (optionally) open `ticket_id`."""
    screen = pilot.app.screen
    await until(pilot, lambda: screen.queue_panel.shown is not None)
    if screen.queue_panel.queue.rows:
        await until(pilot, lambda: screen.ticket is not None)
    if ticket_id is not None:
        screen.open_ticket(ticket_id)
        await until(pilot, lambda: screen.ticket is not None and screen.ticket.id == ticket_id)
    if screen.ticket is not None:
        await until(pilot, lambda: screen.detail.shown_messages() == [m.id for m in screen.ticket.messages])
    await pilot.pause()
    return screen


def fresh(data_dir: Path, ticket_id: str):
    """The ticket as another process would read it now."""
    other = TinyDBStore(data_dir, agent="checker")
    try:
        return other.get_ticket(ticket_id)
    finally:
        other.close()


def events(data_dir: Path, ticket_id: str, type_: str) -> list[dict]:
    return [e for e in ticket_events(data_dir / EVENTS_FILE, ticket_id) if e.get("type") == type_]


def screen_text(app) -> str:
    """The text of an exported screenshot (what a person sees), one line per screen row."""
    svg = app.export_screenshot()
    rows: dict[str, list[str]] = {}
    for y, text in re.findall(r'<text class="[^"]*" x="[\d.]+" y="([\d.]+)"[^>]*>(.*?)</text>', svg):
        rows.setdefault(y, []).append(html.unescape(text).replace("\xa0", " "))
    return "\n".join("".join(parts) for parts in rows.values())


def notices(app) -> list[str]:
    return [n.message for n in app._notifications]


async def choose(pilot, option_id: str) -> None:
    """Highlight `option_id` in the open PickerScreen and press Enter on it."""
    from textual.widgets import OptionList

    option_list = pilot.app.screen.query_one(OptionList)
    option_list.highlighted = option_list.get_option_index(option_id)
    await pilot.press("enter")


_SVG_TEXT = re.compile(r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+" textLength="([\d.]+)" '
                       r'clip-path="url\(#[\w-]+-line-(\d+)\)">(.*?)</text>')


def screen_rows(svg: str) -> list[str]:
    """The rows of an exported screenshot as a person sees them: each piece of text at its
    column (runs of spaces are not in the SVG, so the gaps are filled back in)."""
    from rich.cells import cell_len

    pieces: dict[int, list[tuple[int, str]]] = {}
    for x, length, row, escaped in _SVG_TEXT.findall(svg):
        text = html.unescape(escaped).replace("\xa0", " ")
        char_width = float(length) / len(text)
        pieces.setdefault(int(row), []).append((round(float(x) / char_width), text))
    rows = []
    for row in range(max(pieces, default=-1) + 1):
        out, cell = [], 0
        for x, text in sorted(pieces.get(row, [])):
            out.append(" " * max(0, x - cell) + text)
            cell = max(cell, x) + cell_len(text)
        rows.append("".join(out))
    return rows


def region_rows(svg: str, region) -> list[str]:
    """The screenshot's text inside `region` (a widget's region on the screen), row by row."""
    from rich.cells import cell_len, chop_cells

    out = []
    for row in screen_rows(svg)[region.y:region.bottom]:
        kept, cell = [], 0
        for piece in chop_cells(row, 1):  # a character with its marks, or one wide character
            if region.x <= cell < region.right:
                kept.append(piece)
            cell += cell_len(piece)
        out.append("".join(kept))
    return out
