"""What the `desk ticket` verbs share: the store opened as the app opens it, one-line
refusals with their exit status, the choices of each field."""

from __future__ import annotations

import argparse
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Iterator

from ..core.models import Priority, TicketChannel, TicketStatus
from .common import EXIT_USAGE, chosen_store
from .output import error_text, printable

EXIT_FAILED = 1  # the store refused it (not found, a closed ticket, a bad value)
EXIT_CONFLICT = 3  # a stale revision: someone else changed the ticket
FORMATS = ("table", "json", "csv")


class Refused(Exception):
    """One line for stderr, and the exit status."""

    def __init__(self, message: str, code: int = EXIT_FAILED):
        super().__init__(message)
        self.code = code


@contextmanager
def opened(args: argparse.Namespace, *, writing: bool) -> Iterator[Any]:
    """The store, as the app opens it: for a write, as the login's agent (on PostgreSQL, the
    database role that logged in: PostgresStore), with a run of its own
    so that its events are valid app events (§B.3.2), written as the app writes them."""
    from ..core.identity import AgentNameError, current_agent
    from ..core.session.writer import ObservedWriter
    from ..core.store import StoreError, open_store

    location = chosen_store(args)  # a PostgreSQL URL, or a data directory
    if not isinstance(location, str) and not (location / "store.json").exists():
        raise Refused(f"there is no store in {printable(location)} (create one with `desk init`)",
                      EXIT_USAGE)
    try:  # the uid's login, never $LOGNAME or $USER; on PostgreSQL the role that logged in
        agent = None if isinstance(location, str) else current_agent()
    except AgentNameError as exc:
        raise Refused(str(exc), EXIT_USAGE) from None
    try:
        store = open_store(location, agent=agent)
    except (StoreError, OSError) as exc:
        raise Refused(error_text(exc)) from None
    try:
        if writing:
            ObservedWriter.adopt(store)
        yield store
    except (StoreError, ValueError) as exc:
        raise _refusal(exc) from None
    finally:
        store.close()


def _refusal(exc: Exception) -> Refused:
    from ..core.store import ConflictError

    if isinstance(exc, ConflictError):
        return Refused(f"conflict: {exc}; nothing was changed (show it, then retry with "
                       f"--rev {getattr(exc.current, 'rev', '?')})", EXIT_CONFLICT)
    return Refused(error_text(exc).splitlines()[0] if str(exc) else type(exc).__name__)


def add_format(parser: argparse.ArgumentParser, default: str = "table") -> None:
    parser.add_argument("--format", choices=FORMATS, default=default, help="output format")


STATUSES = [s.value for s in TicketStatus]
PRIORITIES = [p.value for p in Priority]
CHANNELS = [c.value for c in TicketChannel]


def now() -> datetime:
    return datetime.now(timezone.utc)
