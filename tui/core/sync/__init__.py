"""Offline replicas (issue 14): `clone` a team store to a laptop, work it with no network
(every change recorded as an operation, ops.py), `sync` it back over ssh (client.py,
serve.py, wire.py) with the team's side applying operations once each and merging events by id
(host.py), conflicts surfaced and settled by the agent (replica.py).

The public API is below. It is loaded on first use: the store itself imports `ops.py` (to
record a replica's operations), and this package's other modules import the store."""

from __future__ import annotations

from importlib import import_module
from typing import Any

_HOMES = {"InProcess": "client", "SyncError": "client", "clone": "exchange", "sync": "exchange",
          "Conflict": "replica", "SyncResult": "replica", "SyncStatus": "replica",
          "conflicts": "replica", "resolve": "replica", "status": "replica"}
__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
