"""Small dialogs: pick one of a list (status, priority, agent, macro), or edit tags."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ..ui.bindings import bindings
from ..ui.text import line


class PickerScreen(ModalScreen[str | None]):
    """Choose one option; dismisses with its id, or None."""

    BINDINGS = bindings("Dialogs")

    def __init__(self, title: Content | str, options: list[tuple[str, Content]],
                 current: str | None = None) -> None:
        super().__init__()
        self.title_content = Content(title) if isinstance(title, str) else title
        self.options = options
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_content, classes="dialog-title")
            yield OptionList(*(Option(prompt, id=key) for key, prompt in self.options))
            yield Static(Content.styled(f"Enter chooses · {self.app.key_for('dialog.close')} closes",
                                        "$text-muted"))

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        keys = [key for key, _ in self.options]
        if self.current in keys:
            option_list.highlighted = keys.index(self.current)
        option_list.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_cursor_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()


def choices(values: list[str], current: str | None = None) -> list[tuple[str, Content]]:
    """Plain values as options, the current one marked."""
    return [(v, line(v.replace("_", " ")) + (Content.styled("  (current)", "$text-muted")
                                              if v == current else Content()))
            for v in values]


class TagsScreen(ModalScreen[list[str] | None]):
    """Edit a ticket's tags as one space-separated line."""

    BINDINGS = bindings("Dialogs", exclude=("dialog.down", "dialog.up"))

    def __init__(self, ticket_id: str, tags: list[str]) -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.tags = tags

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content.styled(f"Tags of {self.ticket_id}", "bold"), classes="dialog-title")
            yield Input(" ".join(self.tags), placeholder="tags, separated by spaces", id="tags")
            yield Static(Content.styled(f"Enter saves · {self.app.key_for('dialog.close')} closes",
                                        "$text-muted"))

    @on(Input.Submitted)
    def _save(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.split())

    def action_close(self) -> None:
        self.dismiss(None)
