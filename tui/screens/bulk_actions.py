"""The ticket keys on the queue's marked tickets: with any marked, status, priority, assign,
tags and macro act on all of them (one confirmation) instead of on the open ticket."""

from __future__ import annotations

from textual.content import Content

from ..core.batch import DONE, BatchAction, Outcome
from ..core.macros import render, variables
from ..core.models import Priority, Ticket, TicketStatus
from ..ui.messages import STORE_ERRORS
from ..ui.services import DeskServices
from ..ui.text import line
from .actions import NOBODY, TicketActions, _describe
from .bulk import BulkScreen, BulkTagsScreen
from .pickers import PickerScreen, choices


class BulkActions(TicketActions):
    """Mixed into MainScreen before TicketActions."""

    app: "DeskServices"

    def _marked(self) -> list[str]:
        return self.queue_panel.queue.marked_in_order()

    def _bulk(self, action: BatchAction) -> None:
        marked = self._marked()

        def finished(outcomes: list[Outcome] | None) -> None:
            if outcomes is None:
                return
            done = {o.ticket_id for o in outcomes if o.result == DONE}
            self.queue_panel.queue.unmark(done)  # what is left marked needs another look
            self.queue_panel.reload()
            if self.wanted is not None:
                self.load_ticket(self.wanted)
            self.app.refresh_figures()
        self.app.push_screen(BulkScreen(marked, action, self.app.store.get_ticket), finished)

    def _bulk_pick(self, title: str, options: list[tuple[str, Content]], field: str) -> None:
        count = len(self._marked())

        def chosen(value: str | None) -> None:
            if value is not None:
                change = {field: None if value == NOBODY else value}
                self._bulk(BatchAction(_describe(change), change))
        self.app.push_screen(PickerScreen(Content.assemble((title, "bold"), f" {count} marked tickets"),
                                          options), chosen)

    def action_status(self) -> None:
        if not self._marked():
            return super().action_status()
        self._bulk_pick("Status of", choices([s.value for s in TicketStatus], None), "status")

    def action_priority(self) -> None:
        if not self._marked():
            return super().action_priority()
        self._bulk_pick("Priority of", choices([p.value for p in Priority], None), "priority")

    def action_assign(self) -> None:
        if not self._marked():
            return super().action_assign()
        options = [(NOBODY, Content.styled("nobody (unassign)", "italic"))] + \
            choices(self.app.store.agents(), None)
        self._bulk_pick("Assign", options, "assignee")

    def action_assign_me(self) -> None:
        if not self._marked():
            return super().action_assign_me()
        self._bulk(BatchAction("assigned to you", {"assignee": self.app.agent}))

    def action_tags(self) -> None:
        if not self._marked():
            return super().action_tags()

        def chosen(tags: tuple[list[str], list[str]] | None) -> None:
            if tags is not None:
                add, remove = tags
                what = "tags " + " ".join([f"+{t}" for t in add] + [f"-{t}" for t in remove])
                self._bulk(BatchAction(what, add_tags=tuple(add), remove_tags=tuple(remove)))
        self.app.push_screen(BulkTagsScreen(len(self._marked())), chosen)

    def action_macro(self) -> None:
        if not self._marked():
            return super().action_macro()
        options = [(m.id, Content.assemble(line(m.title, "bold"),
                                           (f"  {m.kind.replace('_', ' ')}", "$text-muted")))
                   for m in self.app.macros.macros]
        self.app.push_screen(PickerScreen(f"A macro on {len(self._marked())} marked tickets", options),
                             lambda chosen: chosen and self._bulk_macro(chosen))

    def _bulk_macro(self, macro_id: str) -> None:
        macro = self.app.macros.get(macro_id)
        if macro is None:
            return
        agent = self.app.agent

        def message(ticket: Ticket) -> tuple[str, str]:  # in the worker, for each ticket
            try:
                customer = self.app.store.get_customer(ticket.customer)
            except STORE_ERRORS:
                customer = None
            product = self.products.get(ticket.product or "")
            return macro.kind, render(macro.body, variables(ticket, customer, product, agent))
        self._bulk(BatchAction(f"macro {macro.title}", macro.field_changes(agent),
                               tuple(macro.add_tags), tuple(macro.remove_tags),
                               message if macro.body else None))
