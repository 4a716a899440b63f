"""One string object for a value that many records repeat (a status, an agent, a customer
id): 70k queue rows and ticket heads each holding their own copies took some 20 MB."""

from __future__ import annotations

import sys
from typing import Any


def shared(value: Any) -> Any:
    """`value` itself, or the one interned copy of it if it is a string."""
    return sys.intern(value) if type(value) is str else value
