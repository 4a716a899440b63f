"""Merging a ticket into another (metrics spec §B.3.3 `merge`): the same problem reported
twice. The merged ticket (the secondary) points to its target and is solved; its thread
moves to the target; its contacts move with the `merge` event, so FCR and repeat contacts
count on the target.

Two store writes, in an order a kill at any instant leaves sound: first the secondary is
marked (revision-checked, with its `merge` event), then its messages are added to the
target (commutes, each message once). A merge cut off between the two is finished by
running it again: `merge_tickets` on a secondary already merged into the same target only
moves what has not moved yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .models import Ticket
from .store.errors import StoreError


class MergeRefused(StoreError):
    """A merge that makes no sense (into itself, into a merged or closed ticket); says why."""


@dataclass(frozen=True)
class Merged:
    source: Ticket  # the secondary, now pointing to `target`
    target: Ticket  # with the secondary's thread


def merge_tickets(store: Any, source_id: str, target_id: str,
                  expected_rev: int | None = None) -> Merged:
    """Merge `source_id` into `target_id` through `store` (a Repository with `mark_merged`
    and `absorb_messages`). `expected_rev` is the secondary's revision the agent saw (None:
    its current one). Raises MergeRefused, ConflictError (stale revision), NotFound."""
    if source_id == target_id:
        raise MergeRefused(f"{source_id} cannot be merged into itself")
    source, target = store.get_ticket(source_id), store.get_ticket(target_id)
    if target.merged_into:
        raise MergeRefused(f"{target_id} was itself merged into {target.merged_into}: "
                           f"merge into {target.merged_into}")
    if target.status == "closed":
        raise MergeRefused(f"{target_id} is closed; merge into an open ticket or a follow-up")
    if source.merged_into and source.merged_into != target_id:
        raise MergeRefused(f"{source_id} is already merged into {source.merged_into}")
    if not source.merged_into:
        if source.status == "closed":
            raise MergeRefused(f"{source_id} is closed and cannot be merged")
        source = store.mark_merged(source_id, target_id,
                                   source.rev if expected_rev is None else expected_rev)
    thread = [m.model_dump(mode="json", exclude_none=True) for m in source.messages]
    target = store.absorb_messages(target_id, thread)
    return Merged(source, target)
