"""A replica's sync conflicts: a field changed here and on the team store since the last
sync. The agent keeps mine or theirs for each, then syncs (issue 14)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from ..core.sync.client import SyncError
from ..ui.bindings import bindings
from ..ui.messages import STORE_ERRORS
from ..ui.text import line

SYNC_NOW = "sync"
SYNC_ERRORS = (*STORE_ERRORS, SyncError)


def shown(value: Any) -> str:
    """A field's value as the agent reads it (tags as a list, nothing as —)."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value).replace("_", " ") if isinstance(value, str) else str(value)


def conflict_prompt(conflict: Any) -> Content:
    return Content.assemble(
        line(conflict.ticket_id, "bold"), " ", line(conflict.field), "\n",
        ("  mine ", "$text-muted"), line(shown(conflict.mine), "bold $text-success"),
        ("   theirs ", "$text-muted"), line(shown(conflict.theirs), "bold $text-warning"),
        ("   was ", "$text-muted"), line(shown(conflict.base)))


class SyncConflictsScreen(ModalScreen[str | None]):
    """Dismisses with SYNC_NOW (the agent asked to sync) or None."""

    BINDINGS = [*bindings("Dialogs"), *bindings("Sync conflicts")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -sync-conflicts"):
            yield Static(Content.styled("Sync conflicts: changed here and on the team store",
                                        "bold $text-warning"), classes="dialog-title")
            yield OptionList(id="sync-conflicts")
            yield Static(id="sync-conflicts-help")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.conflicts: list[Any] = []
        self.reload()

    @property
    def options(self) -> OptionList:
        return self.query_one("#sync-conflicts", OptionList)

    def reload(self) -> None:
        try:
            self.conflicts = self.app.store.sync_conflicts()  # type: ignore[attr-defined]
        except SYNC_ERRORS as exc:
            self.app.say(f"Cannot read the conflicts: {exc}", "error")  # type: ignore[attr-defined]
            self.conflicts = []
        at = self.options.highlighted or 0
        self.options.clear_options()
        self.options.add_options([Option(conflict_prompt(c)) for c in self.conflicts])
        if self.conflicts:
            self.options.highlighted = min(at, len(self.conflicts) - 1)
        key = self.app.key_for  # type: ignore[attr-defined]
        if self.conflicts:
            help_text = Content.assemble(
                (key("sync.mine"), "bold"), " keep mine (sent at the next sync)   ",
                (key("sync.theirs"), "bold"), " keep theirs (yours is dropped)   ",
                (key("dialog.close"), "bold"), " later (yours stays here)")
        else:
            help_text = Content.assemble(
                "No conflicts left.   ", (key("sync.go"), "bold"), " sync now   ",
                (key("dialog.close"), "bold"), " close")
        self.query_one("#sync-conflicts-help", Static).update(help_text)

    def action_keep(self, keep: str) -> None:
        at = self.options.highlighted
        if at is None or not self.conflicts:
            return
        chosen = self.conflicts[at]
        try:
            self.app.store.sync_resolve(chosen.ticket_id, chosen.field, keep)  # type: ignore[attr-defined]
        except SYNC_ERRORS as exc:
            self.app.say(f"{chosen.ticket_id}: {exc}", "error")  # type: ignore[attr-defined]
            return
        self.app.say(f"{chosen.ticket_id} {chosen.field}: kept {keep}")  # type: ignore[attr-defined]
        self.reload()

    def action_sync_now(self) -> None:
        self.dismiss(SYNC_NOW)

    def action_cursor_down(self) -> None:
        self.options.action_cursor_down()

    def action_cursor_up(self) -> None:
        self.options.action_cursor_up()

    def action_close(self) -> None:
        self.dismiss(None)
