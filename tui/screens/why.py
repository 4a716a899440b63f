"""Why a ticket counts (or not) as first-contact resolution, and where its time went:
the ticket's FCR statuses and reasons (§B.5), its handle time by component (§B.4) and by
agent session, all from `compute()` over the events that decide this ticket."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from ..core.store.errors import StoreError
from ..core.metrics import parse_time
from ..core.metrics.handle_time import COMPONENTS
from ..core.models import Ticket
from ..core.session import hms
from ..ui.bindings import bindings
from ..ui.text import line

MUTED = "$text-muted"
PARTS = (*COMPONENTS, "manual")

STATUS = {
    "fcr": "first-contact resolution (final)",
    "pending_window": "resolved on first contact; final once the reopen window passes with no reopen "
                      "or repeat contact",
    "not_fcr": "not resolved on first contact",
    "open": "not decided yet: not resolved, or a customer reply after the solve is not classified",
}
REASONS = {
    "multiple_contacts": "the customer contacted again after the first handling, before the resolution",
    "pending_before_resolution": "set to pending or on-hold before it was resolved",
    "resolved_after_contact": "a phone/chat ticket not resolved during (or within the grace after) "
                              "its first inbound call or chat, or first handled by a callback",
    "multiple_public_replies": "more public replies than the one-response rule allows",
    "async_time_exceeded": "resolved later than the async FCR time limit after the first contact",
    "reopened": "reopened within the reopen window",
    "repeat_contact": "the customer came back about the same issue within the reopen window",
    "transferred": "transferred or assigned to someone else after the first handling",
    "resolved_by_other_agent": "first resolved by someone other than the first handler",
}
EXCLUDED = {
    "merged": "merged into another ticket, which is counted instead",
    "spam": "flagged spam", "test": "flagged test", "deleted": "flagged deleted",
    "no_contact": "no customer contact (an outbound or proactive ticket)",
    "resolution_code": "first resolved with an excluded resolution code",
}


def _when(value: str | int | None) -> str:
    """Local time of an event timestamp (or epoch ms)."""
    if value is None or value == "":
        return "–"
    ms = value if isinstance(value, int) else parse_time(value)
    return datetime.fromtimestamp(ms / 1000, timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M")


def _row(label: str, value: Content | str) -> Content:
    return Content.assemble("  ", Content.styled(label.ljust(17), MUTED),
                            Content(value) if isinstance(value, str) else value)


def story_lines(ticket: Ticket, story: dict[str, Any], session: str | None,
                window_s: int) -> list[Content]:
    facts = story.get("ticket")
    items = story.get("items", [])
    out = [Content.assemble(("Why · ", "bold"), (ticket.id, "bold"), "  ", line(ticket.subject)),
           Content(), Content.styled("First-contact resolution", "bold $accent")]
    if facts is None:
        out.append(_row("status", "no events for this ticket in the event log yet"))
        return out
    if facts.get("excluded"):
        out.append(_row("not counted", f"{facts['excluded']}: {EXCLUDED.get(facts['excluded'], '')}"))
    elif not facts.get("h1"):
        out.append(_row("status", "open: nobody has handled it yet (viewing it is not handling)"))
    for view, key in (("agent view", "agent"), ("team view", "team")):
        status = facts.get(f"fcr_{key}")
        if status is None:
            continue
        text = f"{status}: {STATUS.get(status, '')}"
        if status == "pending_window" and facts.get("first_resolution"):
            until = parse_time(facts["first_resolution"]) + window_s * 1000
            text += f" (until {_when(until)})"
        out.append(_row(view, Content.assemble((status, "bold"), text[len(status):])))
        reasons = facts.get(f"reasons_{key}") or []
        for reason in reasons:
            out.append(_row("", f"· {reason}: {REASONS.get(reason, '')}"))
    first = facts.get("first_handler")
    out.append(_row("first handling", Content.assemble(
        _when(facts.get("h1")), " by ", line(first or "–"),
        (" (this session)" if session and facts.get("first_session") == session else "", MUTED))))
    out.append(_row("first resolution", Content.assemble(
        _when(facts.get("first_resolution")), " by ", line(facts.get("first_resolver") or "–"))))
    out.append(_row("contacts", f"{facts.get('contacts', 0)} · reopens {facts.get('reopens', 0)} "
                    f"(any time: {facts.get('raw_reopens', 0)}) · repeat contacts "
                    f"{facts.get('repeat_contacts', 0)} · status now {facts.get('status')}"))

    out += [Content(), Content.styled("Handle time", "bold $accent")]
    totals = {part: sum(item[f"{part}_s"] for item in items) for part in PARTS}
    out.append(_row("all sessions", Content.assemble((hms(facts.get("handle_s", 0)), "bold"),
                                                    (" person-time, glances included", MUTED))))
    out.append(_row("by component", " · ".join(f"{part} {hms(totals[part])}" for part in PARTS)))
    if items:
        out.append(_row("by session", ""))
        for item in items:
            this = session is not None and item["session"] == session
            parts = " ".join(f"{part} {hms(item[f'{part}_s'])}" for part in PARTS if item[f"{part}_s"])
            note = "" if item["aht_item"] else f" ({item['exclusion']}: not in AHT)"
            out.append(Content.assemble(
                "    ", line(item["agent"]).truncate(12, ellipsis=True, pad=True), " ",
                (item["session"][-8:], MUTED), (" this session" if this else "", "bold"), "  ",
                (hms(item["handle_s"]).rjust(7), "bold"), "  ", parts or "–", (note, MUTED),
                ("  from " + _when(item["first_ts"]), MUTED)))
    else:
        out.append(_row("by session", "no time recorded on it"))
    return out


class WhyScreen(Screen[None]):
    BINDINGS = bindings("Why")

    def __init__(self, ticket: Ticket) -> None:
        super().__init__()
        self.ticket = ticket

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="why"):
            yield Static(Content.assemble(("Why · ", "bold"), (self.ticket.id, "bold"),
                                          ("  computing…", MUTED)), id="why-body")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#why").focus()
        self._load()

    @work(thread=True, exclusive=True, group="why")
    def _load(self) -> None:
        app = self.app
        config = app.work.config
        try:
            story = app.store.ticket_story(self.ticket.id, config)
        except StoreError as exc:
            app.call_from_thread(self._show, line(f"Cannot read the event log: {exc}"))
            return
        except OSError as exc:
            app.call_from_thread(self._show, line(f"Cannot read the event log: {exc.strerror or exc}"))
            return
        except Exception as exc:  # noqa: BLE001 - not worth ending desk for
            app.call_from_thread(self._show, line(f"Could not compute it: {exc}"))
            return
        window = config.reopen_window_by_channel_s.get(
            (story.get("ticket") or {}).get("channel") or "", config.reopen_window_s)
        lines = story_lines(self.ticket, story, app.work.session, window)
        app.call_from_thread(self._show, Content("\n").join(lines))

    def _show(self, body: Content) -> None:
        self.query_one("#why-body", Static).update(body)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_scroll_down(self) -> None:
        self.query_one("#why", VerticalScroll).scroll_down()

    def action_scroll_up(self) -> None:
        self.query_one("#why", VerticalScroll).scroll_up()
