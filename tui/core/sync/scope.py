"""Which tickets a replica holds: by default the active ones (and, at clone, their customers'
past tickets); `--only FILTER` narrows that with the queue's filter grammar."""

from __future__ import annotations

from typing import Any, Callable

from ..filter import parse
from ..queue import Lookups, build_row


def keeper(only: str, customers: dict[str, dict[str, Any]],
           products: dict[str, dict[str, Any]]) -> Callable[[dict[str, Any]], bool]:
    """True for a ticket document the replica holds (closed ones never: they come as history)."""
    flt = parse(only)
    lookups = Lookups.build(customers, products)

    def keep(doc: dict[str, Any]) -> bool:
        if doc.get("status") == "closed":
            return False
        return not flt or flt.matches(build_row(doc, lookups).search)
    return keep
