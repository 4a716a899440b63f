"""The ticket actions of the workspace. Each one writes through the store in a worker,
with the revision the agent saw; a conflict shows what changed and keeps their work."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from textual import work
from textual.content import Content

from ..core.drafts import Draft
from ..core.macros import Macro, MacroError, render, variables
from ..core.models import OPEN_STATUSES, Priority, Ticket, TicketStatus, format_ts
from ..core.sla import epoch
from ..core.store.errors import ConflictError
from ..core.ticket_diff import changes_since, must_see, untouched
from ..ui.messages import STORE_ERRORS, OpenTicket, TicketChanged
from ..ui.services import DeskServices
from ..ui.text import line
from .compose import LABELS, ComposeScreen
from .conflict import DISCARD, REAPPLY, ConflictScreen
from .new_ticket import NewTicket, NewTicketScreen
from .pickers import PickerScreen, TagsScreen, choices

NOBODY = "-"
TAKE_TRIES = 10
MERGE_TRIES = 5


class TicketActions:
    """Mixed into MainScreen, which provides `ticket`, `products`, `queue_panel` and
    `load_ticket`."""

    app: "DeskServices"
    ticket: Ticket | None

    def _current(self) -> Ticket | None:
        if self.ticket is None:
            self.app.say("No ticket selected: pick one in the queue first.", "warning")
        return self.ticket

    # -- composing ---------------------------------------------------------------
    def action_reply(self) -> None:
        self._start_compose("public_reply")

    def action_note(self) -> None:
        self._start_compose("internal_note")

    def action_call(self) -> None:
        self._start_compose("call_log")

    def _start_compose(self, kind: str) -> None:
        ticket = self._current()
        if ticket is None:
            return
        draft = self._unsent(ticket.id)
        if draft is not None and draft.kind != kind:
            self.app.say(f"Opened the unsent {LABELS[draft.kind][0].lower()} on {ticket.id}.")
        elif draft is None:
            draft = Draft(ticket.id, kind, seen=ticket.to_doc())
            if kind == "call_log":
                draft.call_start = format_ts(datetime.now(timezone.utc))
        self._open_composer(ticket, draft)

    def _unsent(self, ticket_id: str) -> Draft | None:
        draft = self.app.drafts.load(ticket_id)
        return draft if draft is not None and draft.body.strip() else None

    def _open_composer(self, ticket: Ticket, draft: Draft) -> None:
        self.app.push_screen(ComposeScreen(ticket, draft, self.app.drafts, self.app.config.editor),
                             self._composed)

    def _composed(self, draft: Draft | None) -> None:
        if draft is not None:
            self._send(draft, confirmed=False)

    @work(thread=True, group="write")
    def _send(self, draft: Draft, confirmed: bool) -> None:
        store = self.app.store
        try:
            current = store.get_ticket(draft.ticket)
            seen = Ticket.model_validate(draft.seen) if draft.seen else current
            changes = must_see(seen, current) if current.rev != seen.rev else []
            if changes and not confirmed:
                self.app.call_from_thread(self._send_conflict, draft, current, changes)
                return
            ticket = store.append_message(draft.ticket, kind=draft.kind, body=draft.body,
                                          call_start=_when(draft.call_start),
                                          call_end=_when(draft.call_end))
        except STORE_ERRORS as exc:
            self.app.say(f"Not sent, your draft is kept: {exc}", "error")
            return
        self.app.drafts.delete_later(draft.ticket)
        self.post_message(TicketChanged(ticket, f"{LABELS[draft.kind][0].lower()} sent"))
        if draft.changes:
            self._update_now(ticket, draft.changes, _describe(draft.changes))
        if draft.add_tags or draft.remove_tags:
            self._retag_now(draft.ticket, draft.add_tags, draft.remove_tags)

    def _send_conflict(self, draft: Draft, current: Ticket, changes: list[str]) -> None:
        def chosen(choice: str | None) -> None:
            if choice == REAPPLY:
                self._send(replace(draft, seen=current.to_doc()), confirmed=True)
            elif choice == DISCARD:
                self.app.drafts.delete_later(draft.ticket)
                self.app.say(f"Draft for {draft.ticket} discarded.")
            else:
                kept = replace(draft, seen=current.to_doc())
                self.app.drafts.save_later(kept)
                self._open_composer(current, kept)
        mine = f"{LABELS[draft.kind][0]}: {draft.body.strip()[:60]}"
        self.app.push_screen(ConflictScreen(draft.ticket, changes, mine, reapply="Send anyway",
                                            discard="Discard the draft"), chosen)

    # -- field changes -------------------------------------------------------------
    @work(thread=True, group="write")
    def _write(self, seen: Ticket, changes: dict[str, Any], what: str) -> None:
        self._update_now(seen, changes, what)

    def _update_now(self, seen: Ticket, changes: dict[str, Any], what: str) -> None:
        """In a worker: update with the revision the agent saw. If others changed only what
        cannot clash (tags, fields this change leaves alone), it goes on top of theirs."""
        base = seen
        for _ in range(MERGE_TRIES):
            try:
                ticket = self.app.store.update_ticket(seen.id, changes, expected_rev=base.rev)
            except ConflictError as exc:
                if not must_see(seen, exc.current) and untouched(seen, exc.current, changes):
                    base = exc.current
                    continue
                self.app.call_from_thread(self._write_conflict, seen, exc.current, changes, what)
                return
            except STORE_ERRORS as exc:
                self.app.say(f"{seen.id}: not changed: {exc}", "error")
                return
            self.post_message(TicketChanged(ticket, what))
            return
        self.app.say(f"{seen.id}: not changed: others keep changing it; try again", "warning")

    def _write_conflict(self, seen: Ticket, current: Ticket, changes: dict[str, Any],
                        what: str) -> None:
        def chosen(choice: str | None) -> None:
            if choice == REAPPLY:
                self._write(current, changes, what)
            else:
                self.app.say(f"{seen.id}: your change was not applied.")
                self.load_ticket(seen.id)
        self.app.push_screen(ConflictScreen(seen.id, changes_since(seen, current), what), chosen)

    @work(thread=True, group="write")
    def _retag(self, ticket_id: str, add: list[str], remove: list[str]) -> None:
        self._retag_now(ticket_id, add, remove)

    def _retag_now(self, ticket_id: str, add: list[str], remove: list[str]) -> None:
        """In a worker: tag changes merge with others' and never conflict."""
        try:
            ticket = self.app.store.change_tags(ticket_id, add, remove)
        except STORE_ERRORS as exc:
            self.app.say(f"{ticket_id}: tags not changed: {exc}", "error")
            return
        changed = [f"+{t}" for t in add] + [f"-{t}" for t in remove]
        self.post_message(TicketChanged(ticket, "tags " + " ".join(changed)))

    def _pick(self, title: str, options: list[tuple[str, Content]], current: str | None,
              field: str) -> None:
        ticket = self._current()
        if ticket is None:
            return

        def chosen(value: str | None) -> None:
            if value is not None:
                change = {field: None if value == NOBODY else value}
                self._write(ticket, change, _describe(change))
        self.app.push_screen(PickerScreen(Content.assemble((title, "bold"), " ", ticket.id),
                                          options, current), chosen)

    def action_status(self) -> None:
        current = self.ticket.status if self.ticket else None
        self._pick("Status of", choices([s.value for s in TicketStatus], current), current, "status")

    def set_status(self, status: str) -> None:
        ticket = self._current()
        if ticket is not None:
            self._write(ticket, {"status": status}, _describe({"status": status}))

    def action_priority(self) -> None:
        current = self.ticket.priority if self.ticket else None
        self._pick("Priority of", choices([p.value for p in Priority], current), current, "priority")

    def action_assign(self) -> None:
        current = self.ticket.assignee if self.ticket else None
        agents = self.app.store.agents()
        options = [(NOBODY, Content.styled("nobody (unassign)", "italic"))] + choices(agents, current)
        self._pick("Assign", options, current, "assignee")

    def action_assign_me(self) -> None:
        ticket = self._current()
        if ticket is not None:
            self._write(ticket, {"assignee": self.app.agent}, "assigned to you")

    def action_tags(self) -> None:
        ticket = self._current()
        if ticket is None:
            return

        def chosen(tags: list[str] | None) -> None:
            if tags is not None:
                add = sorted(set(tags) - set(ticket.tags))
                remove = sorted(set(ticket.tags) - set(tags))
                if add or remove:
                    self._retag(ticket.id, add, remove)
        self.app.push_screen(TagsScreen(ticket.id, list(ticket.tags)), chosen)

    # -- macros and taking work -----------------------------------------------------
    def action_macro(self) -> None:
        if self._current() is None:
            return
        options = [(m.id, Content.assemble(line(m.title, "bold"),
                                           (f"  {m.kind.replace('_', ' ')}", "$text-muted")))
                   for m in self.app.macros.macros]
        self.app.push_screen(PickerScreen("Apply a macro", options),
                             lambda chosen: chosen and self.run_macro(chosen))

    def run_macro(self, macro_id: str) -> None:
        ticket = self._current()
        macro = self.app.macros.get(macro_id)
        if ticket is None or macro is None:
            return
        if not macro.body:
            if fields := macro.field_changes(self.app.agent):
                self._write(ticket, fields, f"macro {macro.title}: {_describe(fields)}")
            if macro.add_tags or macro.remove_tags:
                self._retag(ticket.id, macro.add_tags, macro.remove_tags)
            return
        if (unsent := self._unsent(ticket.id)) is not None:
            self.app.say(f"{ticket.id} has an unsent draft: send or discard it (ctrl+g) "
                         "before applying a macro.", "warning")
            self._open_composer(ticket, unsent)
            return
        try:
            body = render(macro.body, self._variables(ticket))
        except MacroError as exc:
            self.app.say(f"Macro {macro.title}: {exc}", "error")
            return
        self._open_composer(ticket, _macro_draft(ticket, macro, body, self.app.agent))

    def _variables(self, ticket: Ticket) -> dict[str, str]:
        try:
            customer = self.app.store.get_customer(ticket.customer)
        except STORE_ERRORS:
            customer = None
        product = self.products.get(ticket.product or "")
        return variables(ticket, customer, product, self.app.agent)

    def action_new_ticket(self) -> None:
        try:
            customers, products = self.app.store.customers(), self.app.store.products()
        except STORE_ERRORS as exc:
            self.app.say(f"Cannot start a ticket: {exc}", "error")
            return
        self.app.push_screen(NewTicketScreen(customers, products),
                             lambda form: form and self._create(form))

    @work(thread=True, group="write")
    def _create(self, form: NewTicket) -> None:
        store = self.app.store
        try:
            customer = form.customer or store.insert_customer(**(form.new_customer or {})).id
            ticket = store.insert_ticket(customer=customer, subject=form.subject, body=form.body,
                                         channel=form.channel, product=form.product,
                                         source=form.source)
        except STORE_ERRORS as exc:
            self.app.say(f"The ticket was not created: {exc}", "error")
            return
        self.post_message(TicketChanged(ticket, "created"))
        self.post_message(OpenTicket(ticket.id))
        if form.channel == "phone" and form.source == "customer":  # the call is on: log it now
            draft = Draft(ticket.id, "call_log", seen=ticket.to_doc(), call_start=form.opened_at)
            self.app.call_from_thread(self._open_composer, ticket, draft)

    def action_take_next(self) -> None:
        candidates = [row for row in self.queue_panel.queue.rows[:50]
                      if row.assignee in (None, self.app.agent) and row.status in OPEN_STATUSES]
        self._take([(row.id, row.rev, row.assignee) for row in candidates[:TAKE_TRIES]])

    @work(thread=True, group="write")
    def _take(self, candidates: list[tuple[str, int, str | None]]) -> None:
        agent = self.app.agent
        for ticket_id, rev, assignee in candidates:
            if assignee == agent:
                self.post_message(OpenTicket(ticket_id))
                return
            try:
                ticket = self.app.store.update_ticket(ticket_id, {"assignee": agent}, rev)
            except ConflictError as exc:
                if exc.current.assignee not in (None, agent):
                    continue  # someone else took it first: try the next one
                try:
                    ticket = self.app.store.update_ticket(ticket_id, {"assignee": agent},
                                                          exc.current.rev)
                except STORE_ERRORS:
                    continue
            except STORE_ERRORS as exc:
                self.app.say(f"{ticket_id}: {exc}", "error")
                return
            self.post_message(TicketChanged(ticket, "taken, assigned to you"))
            self.post_message(OpenTicket(ticket_id))
            return
        self.app.say("Nothing to take in this view: no open ticket is free.", "warning")


def _when(value: str | None) -> datetime | None:
    seconds = epoch(value)
    return datetime.fromtimestamp(seconds, timezone.utc) if seconds is not None else None


def _describe(changes: dict[str, Any]) -> str:
    return ", ".join(f"{k} → {v or 'nobody'}" for k, v in changes.items())


def _macro_draft(ticket: Ticket, macro: Macro, body: str, agent: str) -> Draft:
    return Draft(ticket.id, macro.kind, body, seen=ticket.to_doc(),
                 changes=macro.field_changes(agent), add_tags=list(macro.add_tags),
                 remove_tags=list(macro.remove_tags), macro=macro.title)
