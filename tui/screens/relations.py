"""How a ticket relates to others and what kind of ticket it is: `x` flags it spam, test or
not L1 resolvable (again to clear: the undo), `L` links it to an older ticket of the same
customer as a repeat or a follow-up. Both go to the event log, so "why" and the report
count them (metrics spec §B.3.3 `mark`, `link_repeat`)."""

from __future__ import annotations

from textual import work
from textual.content import Content

from ..core.merge import merge_tickets
from ..core.models import FLAGS, OPEN_STATUSES, Ticket
from ..ui.messages import STORE_ERRORS, OpenTicket, TicketChanged
from ..ui.services import DeskServices
from ..ui.text import line
from .pickers import PickerScreen

FLAG_LABELS = {"spam": "spam", "test": "test ticket", "not_l1_resolvable": "not L1 resolvable"}
LINK_LABELS = {"repeat": "a repeat: the same problem came back",
               "follow_up": "a follow-up: more about the same matter"}


class RelationActions:
    """Mixed into MainScreen, which provides `ticket` and `_current`."""

    app: "DeskServices"
    ticket: Ticket | None

    def action_flag(self) -> None:
        ticket = self._current()
        if ticket is None:
            return
        options = [(flag, Content.assemble(("✓ " if flag in ticket.flags else "  ", "bold"),
                                           FLAG_LABELS[flag],
                                           ("  (Enter clears it)" if flag in ticket.flags else "",
                                            "$text-muted")))
                   for flag in FLAGS]
        self.app.push_screen(
            PickerScreen(Content.assemble(("Flag", "bold"), f" {ticket.id}"), options),
            lambda flag: flag and self._flag(ticket.id, flag, flag not in ticket.flags))

    @work(thread=True, group="write")
    def _flag(self, ticket_id: str, flag: str, value: bool) -> None:
        try:
            ticket = self.app.store.mark(ticket_id, flag, value)
        except STORE_ERRORS as exc:
            self.app.say(f"{ticket_id}: not flagged: {exc}", "error")
            return
        key = self.app.key_for("ticket.flag")
        what = (f"flagged {FLAG_LABELS[flag]} ({key} again clears it)" if value
                else f"no longer {FLAG_LABELS[flag]}")
        self.post_message(TicketChanged(ticket, what))

    def action_link(self) -> None:
        ticket = self._current()
        if ticket is None:
            return
        if ticket.link is not None:
            self.app.say(f"{ticket.id} is already {ticket.link.kind.replace('_', ' ')} of "
                         f"{ticket.link.original}.", "warning")
            return
        history = self._customer_history(ticket)
        if history is None:
            return
        older = sorted((t for t in history.tickets if t.id != ticket.id and t.created <= ticket.created),
                       key=lambda t: t.created, reverse=True)
        if not older:
            self.app.say(f"The customer has no earlier ticket to link {ticket.id} to.", "warning")
            return
        options = ticket_options(older)

        def original_chosen(original: str | None) -> None:
            if original is None:
                return
            kinds = [(kind, Content(label)) for kind, label in LINK_LABELS.items()]
            self.app.push_screen(
                PickerScreen(Content.assemble(("Link", "bold"), f" {ticket.id} to {original} as"),
                             kinds),
                lambda kind: kind and self._link(ticket.id, original, kind))
        self.app.push_screen(
            PickerScreen(Content.assemble(("Link", "bold"), f" {ticket.id} to an earlier ticket"),
                         options), original_chosen)

    @work(thread=True, group="write")
    def _link(self, ticket_id: str, original: str, kind: str) -> None:
        try:
            ticket = self.app.store.link(ticket_id, original, kind)
        except STORE_ERRORS as exc:
            self.app.say(f"{ticket_id}: not linked: {exc}", "error")
            return
        self.post_message(TicketChanged(ticket, f"linked as {kind.replace('_', ' ')} of {original}"))

    def _customer_history(self, ticket):
        """The ticket's customer's tickets, or None (said) when they cannot be read."""
        try:
            return self.app.store.customer_history(ticket.customer)
        except STORE_ERRORS as exc:
            self.app.say(f"Cannot list the customer's tickets: {exc}", "error")
            return None

    def action_merge(self) -> None:
        ticket = self._current()
        if ticket is None:
            return
        if ticket.merged_into:
            self.app.say(f"{ticket.id} is already merged into {ticket.merged_into}.", "warning")
            return
        history = self._customer_history(ticket)
        if history is None:
            return
        targets = sorted((t for t in history.tickets if t.id != ticket.id and not t.merged_into
                          and t.status in OPEN_STATUSES),
                         key=lambda t: t.created)
        if not targets:
            self.app.say(f"The customer has no other open ticket to merge {ticket.id} into "
                         "(`desk ticket merge` takes any ticket).", "warning")
            return
        options = ticket_options(targets)

        def target_chosen(target: str | None) -> None:
            if target is None:
                return
            sure = [("merge", Content.assemble(("Merge", "bold"), ": the thread moves, "
                                               f"{ticket.id} is solved")),
                    ("cancel", Content("Cancel"))]
            self.app.push_screen(
                PickerScreen(Content.assemble(("Merge", "bold"), f" {ticket.id} into {target}? (no undo)"),
                             sure, "cancel"),
                lambda choice: choice == "merge" and self._merge(ticket, target))
        self.app.push_screen(
            PickerScreen(Content.assemble(("Merge", "bold"), f" {ticket.id} into"), options),
            target_chosen)

    @work(thread=True, group="write")
    def _merge(self, seen: Ticket, target: str) -> None:
        try:
            merged = merge_tickets(self.app.store, seen.id, target, seen.rev)
        except STORE_ERRORS as exc:  # a stale revision too: the agent looks again
            self.app.say(f"{seen.id}: not merged: {exc}", "error")
            return
        self.post_message(TicketChanged(merged.source, f"merged into {target}"))
        self.post_message(TicketChanged(merged.target, f"{seen.id} merged in"))
        self.post_message(OpenTicket(target))


def ticket_options(tickets, shown: int = 30) -> list[tuple[str, Content]]:
    """Picker rows for a customer's tickets: id, subject, created date and status."""
    return [(t.id, Content.assemble((t.id, "bold"), " ", line(t.subject),
                                    (f"  {t.created:%Y-%m-%d} · {t.status}", "$text-muted")))
            for t in tickets[:shown]]
