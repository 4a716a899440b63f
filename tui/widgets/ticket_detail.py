"""The ticket detail pane: header, the thread in order, and the audit trail one key away."""

from __future__ import annotations

import time

from textual.content import Content
from textual.strip import Strip

from ..core import humanize
from ..core.audit import AuditLine
from ..core.models import Message, Ticket
from ..core.presence import Presence, also_here, by_ticket
from ..core.sla import SlaState, SlaTarget, first_reply_target, resolution_target
from ..ui.bindings import bindings
from ..ui.text import content, line
from .document import Block, Document, blank, lines_block, text_blocks
from .flow import Line, flow_lines

NO_TICKET = Content("No ticket selected.")
KINDS = {"customer_message": "Customer", "public_reply": "Public reply",
         "internal_note": "Internal note", "call_log": "Call log"}


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
    if ticket.flags or ticket.link or ticket.merged_into:
        lines.append([*([_pair("merged into", ticket.merged_into, "bold $text-warning")]
                        if ticket.merged_into else []),
                      *(_pair("flag", flag.replace("_", " "), "bold $text-warning")
                        for flag in ticket.flags),
                      *([_pair(ticket.link.kind.replace("_", " ") + " of", ticket.link.original,
                               "bold")] if ticket.link else [])])
    if others:
        lines.append([Content.assemble(("also here: ", "$text-muted"),
                                       line(others, "bold $text-accent"))])
    if draft_hint:
        lines.append([Content.styled(f"✎ unsent draft: {draft_hint} opens it", "$text-warning")])
    return lines


def message_title(message: Message) -> Line:
    label = KINDS.get(message.kind, message.kind)
    parts = [Content.styled(label, "bold"), Content("· ") + line(message.author),
             Content.styled("· " + humanize.local_datetime(message.created), "$text-muted")]
    if message.call_start and message.call_end:
        spent = (message.call_end - message.call_start).total_seconds()
        parts.append(Content(f"· call {humanize.clock(spent)}"))
    return parts


BARS = {"customer_message": "$primary", "public_reply": "$success",  # (accent = warning
        "internal_note": "$warning", "call_log": "$secondary"}            # in some themes)
STYLES = {"internal_note": "detail--note", "call_log": "detail--call"}


def rule(width: int) -> list[Content]:
    return [Content.styled("─" * width, "$primary 50%")]


def message_blocks(message: Message) -> list[Block]:
    """A message: a blank line, then a bar in the colour of its kind beside its title and
    its body (notes and calls on their own background too)."""
    bar = Content.styled("▎ ", BARS.get(message.kind, "$primary"))
    style = STYLES.get(message.kind, "")
    title = message_title(message)
    return [blank(),
            lines_block(lambda width: flow_lines(title, width, " "), bar=bar, style=style),
            *text_blocks(content(message.body.strip() or "(empty)"), bar=bar, style=style,
                         key=message.id)]


class TicketDetail(Document, can_focus=True):
    """The header and the thread (or the ticket's history) as one line-API view."""

    COMPONENT_CLASSES = {"detail--note", "detail--call", "detail--hint"}
    BINDINGS = bindings("Ticket and customer panes")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ticket: Ticket | None = None
        self.waiting: str | None = None  # said instead of "No ticket selected." (no ticket yet)
        self.has_draft = False
        self.showing_audit = False
        self.product: str | None = None
        self.others: dict[str, str] = {}  # ticket → "bob (replying), carol": other desks on it
        self._audit: list[Block] = []
        self._thread: list[Block] = []
        self._message_ids: list[str] = []
        self._first: dict[str, int] = {}  # message id → index of its first block
        self._new_below: int | None = None  # block of a new message not yet scrolled to

    def on_mount(self) -> None:
        self._show(top=True)

    def show(self, ticket: Ticket | None, product: str | None = None, has_draft: bool = False) -> None:
        same = self.ticket is not None and ticket is not None and self.ticket.id == ticket.id
        before = set(self._message_ids) if same else None
        if ticket is not None:
            self.waiting = None
        self.ticket, self.has_draft, self.product = ticket, has_draft, product
        self._thread, self._first = [], {}
        for message in ticket.messages if ticket else ():
            self._first[message.id] = len(self._thread) + 1  # after the blank line
            self._thread.extend(message_blocks(message))
        self._message_ids = [m.id for m in ticket.messages] if ticket else []
        if not same:
            self.showing_audit = False
            self._audit = []
        self._show(top=not same)
        if before is not None and not self.showing_audit:
            new = [m for m in self._message_ids if m not in before]
            self._mark_new(new[0] if new else None)

    def _show(self, top: bool) -> None:
        blocks = self._header()
        self._header_count = len(blocks)
        if self.ticket is not None:
            blocks += self._audit if self.showing_audit else self._thread
        self._new_below = None
        self.set_blocks(blocks, top=top)

    def show_waiting(self, text: str | None) -> None:
        """Say `text` until a ticket is shown (e.g. while the store is read at start)."""
        self.waiting = text
        if self.ticket is None and self.is_mounted:
            self._show(top=True)

    def _header(self) -> list[Block]:
        if self.ticket is None:
            shown = Content(self.waiting) if self.waiting else NO_TICKET
            return [lines_block(lambda width: [shown])]
        key = self.app.key_for
        hint = "/".join(key(k) for k in ("ticket.reply", "ticket.note", "ticket.call"))
        lines = header(self.ticket, self.product, hint if self.has_draft else None,
                       self.others.get(self.ticket.id, ""))
        return [*(lines_block(lambda width, parts=parts: flow_lines(parts, width)) for parts in lines),
                lines_block(rule)]

    def header_text(self) -> str:
        """The header as plain text, each line flowed on one long line (for tests)."""
        if self.ticket is None:
            return self.waiting or NO_TICKET.plain
        return "\n".join(line.plain for block in self._header()[:-1] for line in block.lay_out(1000))

    def show_presence(self, entries: list[Presence]) -> None:
        """Other desks changed: "also here: bob (replying)" on the ticket shown."""
        others = {ticket: also_here(here, self.app.agent)
                  for ticket, here in by_ticket(entries).items()}
        shown = self.ticket.id if self.ticket else None
        changed = self.others.get(shown or "") != others.get(shown or "")
        self.others = others
        if changed:
            self._show(top=False)

    def shown_messages(self) -> list[str]:
        return list(self._message_ids)

    def show_audit(self, lines: list[AuditLine]) -> None:
        rows = [Content.assemble(
                    (humanize.local_datetime(a.when) if a.when else "?", "$text-muted"), "  ",
                    (line(a.who).plain, "bold"), "  ", line(a.what))
                for a in lines]
        title = Content.styled(f"Ticket history ({self.app.key_for('main.audit')}: back to the thread)",
                               "bold")
        body = Content("\n").join(rows) if rows else Content.styled("No events yet.", "$text-muted")
        again = self.showing_audit
        self._audit = [blank(), *text_blocks(title), *text_blocks(body)]
        self.showing_audit = True
        self._show(top=not again)

    def audit_text(self) -> str:
        """The ticket's history as shown, plain (for tests)."""
        return "\n".join(line.plain for block in self._audit for line in block.lay_out(1000))

    def hide_audit(self) -> None:
        if self.showing_audit:
            self.showing_audit = False
            self._show(top=True)

    # -- a new message below what the agent is reading ----------------------------------
    def _mark_new(self, message_id: str | None) -> None:
        if message_id is None:
            return
        index = self._header_count + self._first[message_id]
        view = self.scrollable_content_region.height
        if self.block_start(index) >= int(self.scroll_y) + view:
            self._new_below = index
            self.refresh()

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if self._new_below is not None and \
                self.block_start(self._new_below) < int(self.scroll_y) + self.scrollable_content_region.height:
            self._new_below = None
            self.refresh()

    def render_line(self, y: int) -> Strip:
        if self._new_below is not None and y == self.scrollable_content_region.height - 1:
            width = self.scrollable_content_region.width
            style = self.get_visual_style("detail--hint")
            hint = Content(f"▼ new message below ({self.app.key_for('pane.bottom')}: to the end)")
            return Strip(hint.render_segments(style), hint.cell_length) \
                .extend_cell_length(width, style.rich_style).crop(0, width)
        return super().render_line(y)
