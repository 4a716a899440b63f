"""Bulk work on a set of tickets (the queue's marked ones): one action on each, through the
same store calls and revision rules as on a single ticket. A ticket that others changed in
a way the agent must see is left alone and listed; it never stops the rest."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from .models import Ticket
from .safetext import one_line
from .store.errors import ConflictError, StoreError
from .ticket_diff import must_see, untouched

DONE, CONFLICT, FAILED = "done", "conflict", "failed"
MERGE_TRIES = 5

Message = Callable[[Ticket], tuple[str, str]]  # the ticket → (kind, body) to append


@dataclass(frozen=True)
class BatchAction:
    what: str  # shown: "status → solved", "macro Solved: known outage"
    changes: dict[str, Any] = field(default_factory=dict)  # status, priority, assignee
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    message: Message | None = None


@dataclass(frozen=True)
class Outcome:
    ticket_id: str
    result: str  # DONE, CONFLICT or FAILED
    detail: str = ""


class _Changed(Exception):
    def __init__(self, lines: list[str]):
        super().__init__("; ".join(lines))


def run_batch(store: Any, seen: Sequence[Ticket], action: BatchAction,
              progress: Callable[[int, int], None] | None = None) -> list[Outcome]:
    """`action` on each ticket as the agent saw it (`seen`), in order; one Outcome each."""
    outcomes = []
    for done, ticket in enumerate(seen, 1):
        outcomes.append(_apply(store, ticket, action))
        if progress is not None:
            progress(done, len(seen))
    return outcomes


def _apply(store: Any, seen: Ticket, action: BatchAction) -> Outcome:
    try:
        current = store.get_ticket(seen.id)
        if current.rev != seen.rev and (lines := must_see(seen, current)):
            raise _Changed(lines)  # before anything is written to it
        if action.message is not None:
            kind, body = action.message(current)
            seen = store.append_message(seen.id, kind=kind, body=body)
        if action.changes:
            _update(store, seen, action.changes)
        if action.add_tags or action.remove_tags:
            store.change_tags(seen.id, action.add_tags, action.remove_tags)
    except _Changed as exc:
        return Outcome(seen.id, CONFLICT, f"changed meanwhile: {one_line(exc)}")
    except (StoreError, ValueError) as exc:
        return Outcome(seen.id, FAILED, one_line(str(exc).splitlines()[0] if str(exc) else exc))
    return Outcome(seen.id, DONE)


def _update(store: Any, seen: Ticket, changes: dict[str, Any]) -> Ticket:
    """Update with the revision the agent saw; on top of others' changes only if they are
    ones that cannot clash (tags, fields this change leaves alone), as for one ticket."""
    base = seen
    for _ in range(MERGE_TRIES):
        try:
            return store.update_ticket(seen.id, changes, expected_rev=base.rev)
        except ConflictError as exc:
            if must_see(seen, exc.current) or not untouched(seen, exc.current, changes):
                moved = [f"{name} was changed" for name in changes]
                raise _Changed(must_see(seen, exc.current) or moved) from None
            base = exc.current
    raise _Changed(["others keep changing it"])


def summary(outcomes: Sequence[Outcome]) -> str:
    """"12 done · 2 changed meanwhile · 1 failed"."""
    counts = {r: sum(o.result == r for o in outcomes) for r in (DONE, CONFLICT, FAILED)}
    parts = [f"{counts[DONE]} done"]
    if counts[CONFLICT]:
        parts.append(f"{counts[CONFLICT]} changed meanwhile, left alone")
    if counts[FAILED]:
        parts.append(f"{counts[FAILED]} failed")
    return " · ".join(parts)
