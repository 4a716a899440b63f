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
from ..core.presence import Presence, by_ticket
from ..core.sla import SlaState, SlaTarget, first_reply_target, resolution_target
from ..presence_watch import also_here
from ..text import content, line
from .flow import Flow, Line

NO_TICKET = Content("No ticket selected.")
KINDS = {"customer_message": ("Customer", "-customer"), "public_reply": ("Public reply", "-reply"),
         "internal_note": ("Internal note", "-note"), "call_log": ("Call log", "-call")}


def _pair(label: str, value: Content | str, style: str = "") -> Content:
    value = value if isinstance(value, Content) else Content.styled(value, style)
    return Content.assemble((label + " ", "$text-muted"), value)


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


def header(ticket: Ticket, product: str | None, draft_hint: str | None,
           others: str = "") -> list[Line]:
    doc = ticket.to_doc()
    now = time.time()
    urgent = "bold $text-error" if ticket.priority == "urgent" else "bold"
    lines: list[Line] = [
        [Content.assemble((ticket.id, "bold $accent"), " ", line(ticket.subject, "bold"))],
        [_pair("status", str(ticket.status).replace("_", " "), "bold"),
         _pair("priority", str(ticket.priority), urgent),
         _pair("channel", str(ticket.channel).replace("_", " ")),
         _pair("product", line(product or ticket.product or "—")),
         _pair("assignee", line(ticket.assignee or "nobody")),
         _pair("tags", line(" ".join(ticket.tags) or "—"))],
        [sla_text("first reply", first_reply_target(doc), now),
         sla_text("resolution", resolution_target(doc), now)],
    ]
    if others:
        lines.append([Content.assemble(("also here: ", "$text-muted"),
                                       line(others, "bold $text-accent"))])
    if draft_hint:
        lines.append([Content.styled(f"✎ unsent draft: {draft_hint} opens it", "$text-warning")])
    return lines


def message_title(message: Message) -> Line:
    label, _ = KINDS.get(message.kind, (message.kind, ""))
    parts = [Content.styled(label, "bold"), Content("· ") + line(message.author),
             Content.styled("· " + humanize.local_datetime(message.created), "$text-muted")]
    if message.call_start and message.call_end:
        spent = (message.call_end - message.call_start).total_seconds()
        parts.append(Content(f"· call {humanize.clock(spent)}"))
    return parts


class MessageView(Flow):
    def __init__(self, message: Message) -> None:
        _, kind_class = KINDS.get(message.kind, ("", ""))
        body = content(message.body.strip() or "(empty)")
        super().__init__([message_title(message), [body]], gap=" ",
                         classes=f"message {kind_class}")
        self.message_id = message.id


class TicketDetail(VerticalScroll, can_focus=True):
    BINDINGS = bindings("Ticket and customer panes")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ticket: Ticket | None = None
        self.has_draft = False
        self.showing_audit = False
        self.product: str | None = None
        self.others: dict[str, str] = {}  # ticket → "bob (replying), carol": other desks on it

    def compose(self) -> ComposeResult:
        yield Flow([[NO_TICKET]], id="ticket-header")
        yield Vertical(id="thread")
        yield Static(id="audit")

    def show(self, ticket: Ticket | None, product: str | None = None, has_draft: bool = False) -> None:
        same = self.ticket is not None and ticket is not None and self.ticket.id == ticket.id
        self.ticket, self.has_draft, self.product = ticket, has_draft, product
        thread = self.query_one("#thread", Vertical)
        thread.remove_children()
        self._show_header()
        if ticket is None:
            return
        thread.mount_all(MessageView(m) for m in ticket.messages)
        if not same:
            self.showing_audit = False
            self.set_class(False, "-audit")
            self.scroll_home(animate=False)

    def _show_header(self) -> None:
        head = self.query_one("#ticket-header", Flow)
        if self.ticket is None:
            head.set_lines([[NO_TICKET]])
            return
        key = self.app.key_for
        hint = "/".join(key(k) for k in ("ticket.reply", "ticket.note", "ticket.call"))
        head.set_lines(header(self.ticket, self.product, hint if self.has_draft else None,
                              self.others.get(self.ticket.id, "")))

    def show_presence(self, entries: list[Presence]) -> None:
        """Other desks changed: "also here: bob (replying)" on the ticket shown."""
        others = {ticket: also_here(here, self.app.agent)
                  for ticket, here in by_ticket(entries).items()}
        shown = self.ticket.id if self.ticket else None
        changed = self.others.get(shown or "") != others.get(shown or "")
        self.others = others
        if changed:
            self._show_header()

    def shown_messages(self) -> list[str]:
        return [view.message_id for view in self.query(MessageView)]

    def show_audit(self, lines: list[AuditLine]) -> None:
        rows = [Content.assemble(
                    (humanize.local_datetime(a.when) if a.when else "?", "$text-muted"), "  ",
                    (line(a.who).plain, "bold"), "  ", line(a.what))
                for a in lines]
        title = Content.styled(f"Ticket history ({self.app.key_for('main.audit')}: back to the thread)",
                               "bold")
        body = Content("\n").join(rows) if rows else Content.styled("No events yet.", "$text-muted")
        self.query_one("#audit", Static).update(Content("\n").join([title, body]))
        self.showing_audit = True
        self.add_class("-audit")
        self.scroll_home(animate=False)

    def hide_audit(self) -> None:
        self.showing_audit = False
        self.remove_class("-audit")
