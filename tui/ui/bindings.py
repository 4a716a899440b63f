"""Every key binding, with its id, defined once.

Widgets and screens take their `BINDINGS` from here; the `[keymap]` table of
config.toml remaps any id (App.set_keymap), and the help screen lists them all
with the keys in force.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from textual.binding import Binding


@dataclass(frozen=True)
class Key:
    id: str
    keys: str  # Textual key names, comma-separated
    action: str
    description: str
    show: bool = False  # in the footer
    priority: bool = False

    def binding(self) -> Binding:
        return Binding(self.keys, self.action, self.description, show=self.show,
                       priority=self.priority, id=self.id)


SCOPES: dict[str, tuple[Key, ...]] = {
    "Everywhere": (
        Key("app.help", "question_mark,f1", "app.help", "Help", show=True),
        Key("app.palette", "ctrl+p", "command_palette", "Palette", priority=True),
        Key("app.quit", "ctrl+q", "quit", "Quit", priority=True),
    ),
    "Workspace": (
        Key("main.filter", "slash", "filter", "Filter", show=True),
        Key("main.search", "F", "search_everywhere", "Search every ticket, closed ones too"),
        Key("main.customer", "c", "toggle_customer", "Customer"),
        Key("main.audit", "h", "toggle_audit", "Ticket history"),
        Key("main.next_pane", "tab", "next_pane", "Next pane"),
        Key("main.prev_pane", "shift+tab", "previous_pane", "Previous pane"),
        Key("main.queue", "escape", "focus_queue", "Back to the queue"),
        Key("view.mine", "1", "view('mine')", "View: My open"),
        Key("view.unassigned", "2", "view('unassigned')", "View: Unassigned"),
        Key("view.open", "3", "view('open')", "View: All open"),
        Key("view.sla", "4", "view('sla')", "View: SLA at risk/breached"),
        Key("view.waiting", "5", "view('waiting')", "View: Pending/On-hold"),
        Key("view.solved_today", "6", "view('solved_today')", "View: Solved today"),
        Key("view.all", "7", "view('all')", "View: All"),
        Key("session.report", "d", "app.session_report", "Session report (FCR, AHT)"),
        Key("session.break", "b", "app.session_break", "Break start/end"),
        Key("session.pause", "P", "app.session_pause", "Pause/resume the handling timer"),
        Key("sync.now", "Y", "sync", "Sync with the team store"),
        Key("sync.conflicts", "C", "sync_conflicts", "Sync conflicts: mine/theirs"),
    ),
    "Ticket": (
        Key("ticket.reply", "r", "reply", "Reply", show=True),
        Key("ticket.note", "i", "note", "Note", show=True),
        Key("ticket.call", "l", "call", "Log call"),
        Key("ticket.status", "s", "status", "Status", show=True),
        Key("ticket.priority", "p", "priority", "Priority"),
        Key("ticket.assign_me", "a", "assign_me", "Assign to me"),
        Key("ticket.assign", "A", "assign", "Assign to…"),
        Key("ticket.tags", "t", "tags", "Tags"),
        Key("ticket.macro", "m", "macro", "Macro", show=True),
        Key("ticket.take_next", "n", "take_next", "Take next", show=True),
        Key("ticket.new", "N", "new_ticket", "New ticket (a call, an email)"),
        Key("ticket.flag", "x", "flag", "Flag spam/test/not L1 (again: clear)"),
        Key("ticket.link", "L", "link", "Link to an earlier ticket (repeat/follow-up)"),
        Key("ticket.merge", "M", "merge", "Merge into another open ticket"),
        Key("ticket.why", "w", "app.ticket_why", "Why: FCR and handle time"),
        Key("ticket.hold", "o", "app.ticket_hold", "Call on hold/resume"),
        Key("ticket.wrap_end", "e", "app.ticket_wrap_end", "Wrap-up done (after a call)"),
    ),
    "Queue": (
        Key("queue.down", "j,down", "cursor_down", "Down"),
        Key("queue.up", "k,up", "cursor_up", "Up"),
        Key("queue.top", "g,home", "cursor_top", "First"),
        Key("queue.bottom", "G,end", "cursor_bottom", "Last"),
        Key("queue.page_down", "pagedown,ctrl+f", "page_down", "Page down"),
        Key("queue.page_up", "pageup,ctrl+b", "page_up", "Page up"),
        Key("queue.open", "enter", "open", "Open ticket"),
        Key("queue.mark", "space", "mark", "Mark/unmark for bulk work"),
        Key("queue.mark_all", "asterisk", "mark_all", "Mark all shown (again: unmark them)"),
    ),
    "Ticket and customer panes": (
        Key("pane.down", "j,down", "scroll_down", "Scroll down"),
        Key("pane.up", "k,up", "scroll_up", "Scroll up"),
        Key("pane.top", "g,home", "scroll_home", "Top"),
        Key("pane.bottom", "G,end", "scroll_end", "Bottom"),
        Key("pane.page_down", "pagedown,ctrl+f,space", "page_down", "Page down"),
        Key("pane.page_up", "pageup,ctrl+b", "page_up", "Page up"),
    ),
    "Past tickets": (
        Key("history.down", "j,down", "cursor_down", "Next past ticket"),
        Key("history.up", "k,up", "cursor_up", "Previous past ticket"),
        Key("history.open", "enter", "select", "Open past ticket"),
    ),
    "Filter": (
        Key("filter.done", "enter,down", "done", "Keep the filter, back to the queue"),
        Key("filter.clear", "escape", "clear", "Clear the filter"),
        Key("filter.everywhere", "ctrl+e", "everywhere",
            "Search these words in every ticket, closed ones too"),
    ),
    "Composer": (
        Key("compose.send", "ctrl+s", "send", "Send", show=True),
        Key("compose.kind", "ctrl+t", "toggle_kind", "Public/internal", show=True),
        Key("compose.call", "ctrl+r", "toggle_call", "Call stop/start", show=True),
        Key("compose.hold", "ctrl+l", "toggle_hold", "Call on hold/resume"),
        Key("compose.editor", "ctrl+o", "editor", "Editor", show=True),
        Key("compose.discard", "ctrl+g", "discard", "Discard", show=True),
        Key("compose.close", "escape", "close", "Close (keeps draft)", show=True),
    ),
    "Conflict": (
        Key("conflict.reapply", "r", "choose('reapply')", "Re-apply mine", show=True),
        Key("conflict.discard", "d", "choose('discard')", "Discard mine", show=True),
    ),
    "Sync conflicts": (
        Key("sync.mine", "m", "keep('mine')", "Keep mine", show=True),
        Key("sync.theirs", "t", "keep('theirs')", "Keep theirs", show=True),
        Key("sync.go", "y", "sync_now", "Sync now", show=True),
    ),
    "Report": (
        Key("report.slice", "s", "slice", "Slice by the next segment", show=True),
        Key("report.close", "escape,q", "close", "Close the report", show=True),
        Key("report.down", "j,down", "scroll_down", "Scroll down"),
        Key("report.up", "k,up", "scroll_up", "Scroll up"),
    ),
    "Why": (
        Key("why.close", "escape,q", "close", "Close", show=True),
        Key("why.down", "j,down", "scroll_down", "Scroll down"),
        Key("why.up", "k,up", "scroll_up", "Scroll up"),
    ),
    "Help": (
        Key("help.close", "question_mark,q", "close", "Close help"),
    ),
    "New ticket": (
        Key("new.create", "ctrl+s", "create", "Create the ticket", show=True),
    ),
    "Bulk": (
        Key("bulk.go", "y,enter", "go", "Go ahead", show=True),
    ),
    "Dialogs": (
        Key("dialog.close", "escape", "close", "Close", show=True),
        Key("dialog.down", "j", "cursor_down", "Down"),
        Key("dialog.up", "k", "cursor_up", "Up"),
    ),
}
ALL_KEYS: dict[str, Key] = {k.id: k for keys in SCOPES.values() for k in keys}


def bindings(scope: str, *, exclude: tuple[str, ...] = ()) -> list[Binding]:
    return [k.binding() for k in SCOPES[scope] if k.id not in exclude]


def keys_in_force(key: Key, keymap: Mapping[str, str]) -> str:
    return keymap.get(key.id, key.keys)


def unknown_ids(keymap: Mapping[str, str]) -> list[str]:
    return sorted(set(keymap) - set(ALL_KEYS))
