"""The ticket detail pane: header, the thread in order, and the audit trail one key away."""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Static

from ..bindings import bindings
from ..core import humanize
from ..core.audit import AuditLine
from ..core.models import Message, Ticket
from ..core.sla import SlaState, SlaTarget, first_reply_target, resolution_target
from ..text import content, line, unbroken

KINDS = {"customer_message": ("Customer", "-customer"), "public_reply": ("Public reply", "-reply"),
         "internal_note": ("Internal note", "-note"), "call_log": ("Call log", "-call")}


def _pair(label: str, value: Content | str, style: str = "") -> Content:
    """`label value`, kept on one line when the header wraps."""
    value = value if isinstance(value, Content) else Content.styled(unbroken(value), style)
    return Content.assemble((unbroken(label) + "\u00a0", "$text-muted"), value)


def sla_text(name: str, target: SlaTarget | None, now: float) -> Content:
    if target is None:
        return _pair(name, "no target", "$text-muted")
    state = target.state(now)
    if state == SlaState.MET:
        return _pair(name, "met", "$text-success")
    remaining = target.remaining(now)
    if remaining is None:
        return _pair(name, "missed", "$text-error")
    if state == SlaState.BREACHED:
        return _pair(name, f"breached {humanize.duration(remaining)}", "$text-error bold")
    style = "$text-warning bold" if state == SlaState.AT_RISK else ""
    return _pair(name, f"due in {humanize.duration(remaining)}", style)


def header(ticket: Ticket, product: str | None, has_draft: bool) -> Content:
    doc = ticket.to_doc()
    now = time.time()
    gap = Content("  ")
    urgent = "bold $text-error" if ticket.priority == "urgent" else "bold"
    parts = [
        Content.assemble((ticket.id, "bold $accent"), " ", line(ticket.subject, "bold")),
        gap.join([_pair("status", str(ticket.status).replace("_", " "), "bold"),
                  _pair("priority", str(ticket.priority), urgent),
                  _pair("channel", str(ticket.channel).replace("_", " "))]),
        gap.join([_pair("product", line(product or ticket.product or "—")),
                  _pair("assignee", line(ticket.assignee or "nobody"))]),
        _pair("tags", line(" ".join(ticket.tags) or "—")),
        gap.join([sla_text("first reply", first_reply_target(doc), now),
                  sla_text("resolution", resolution_target(doc), now)]),
    ]
    if has_draft:
        parts.append(Content.styled("✎ unsent draft: r/i/l opens it", "$text-warning"))
    return Content("\n").join(parts)


def message_title(message: Message) -> Content:
    label, _ = KINDS.get(message.kind, (message.kind, ""))
    title = Content.assemble((unbroken(label), "bold"), " · ", line(message.author), " · ",
                             (unbroken(humanize.local_datetime(message.created)), "$text-muted"))
    if message.call_start and message.call_end:
        spent = (message.call_end - message.call_start).total_seconds()
        title = title + Content(" · " + unbroken(f"call {humanize.clock(spent)}"))
    return title


class MessageView(Static):
    def __init__(self, message: Message) -> None:
        _, kind_class = KINDS.get(message.kind, ("", ""))
        body = content(message.body.strip() or "(empty)")
        super().__init__(Content("\n").join([message_title(message), body]),
                         classes=f"message {kind_class}")
        self.message_id = message.id


class TicketDetail(VerticalScroll, can_focus=True):
    BINDINGS = bindings("Ticket and customer panes")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ticket: Ticket | None = None
        self.has_draft = False
        self.showing_audit = False

    def compose(self) -> ComposeResult:
        yield Static("No ticket selected.", id="ticket-header")
        yield Vertical(id="thread")
        yield Static(id="audit")

    def show(self, ticket: Ticket | None, product: str | None = None, has_draft: bool = False) -> None:
        same = self.ticket is not None and ticket is not None and self.ticket.id == ticket.id
        self.ticket, self.has_draft = ticket, has_draft
        head = self.query_one("#ticket-header", Static)
        thread = self.query_one("#thread", Vertical)
        thread.remove_children()
        if ticket is None:
            head.update("No ticket selected.")
            return
        head.update(header(ticket, product, has_draft))
        thread.mount_all(MessageView(m) for m in ticket.messages)
        if not same:
            self.showing_audit = False
            self.set_class(False, "-audit")
            self.scroll_home(animate=False)

    def shown_messages(self) -> list[str]:
        return [view.message_id for view in self.query(MessageView)]

    def show_audit(self, lines: list[AuditLine]) -> None:
        rows = [Content.assemble(
                    (humanize.local_datetime(a.when) if a.when else "?", "$text-muted"), "  ",
                    (line(a.who).plain, "bold"), "  ", line(a.what))
                for a in lines]
        title = Content.styled("Ticket history (h: back to the thread)", "bold")
        body = Content("\n").join(rows) if rows else Content.styled("No events yet.", "$text-muted")
        self.query_one("#audit", Static).update(Content("\n").join([title, body]))
        self.showing_audit = True
        self.add_class("-audit")
        self.scroll_home(animate=False)

    def hide_audit(self) -> None:
        self.showing_audit = False
        self.remove_class("-audit")
