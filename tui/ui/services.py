"""What screens and widgets may ask of the running app, as a Protocol: they name this, never
`tui.app` (the app imports the screens, so the screens must not import the app)."""

from __future__ import annotations

from typing import Any, Callable, Protocol

from ..core.drafts import Drafts
from ..core.macros import MacroSet
from ..core.store.base import Repository


class DeskServices(Protocol):
    store: Repository
    drafts: Drafts
    macros: MacroSet
    agent: str
    config: Any  # tui.config.Config

    def say(self, message: str, severity: str = "information") -> None: ...

    def refresh_figures(self) -> None: ...

    def push_screen(self, screen: Any, callback: Callable[[Any], None] | None = None) -> Any: ...

    def call_from_thread(self, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> Any: ...
