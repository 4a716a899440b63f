"""Building many long-lived objects at once (a parsed store, the queue's rows) outside the GC."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def bulk_objects() -> Iterator[None]:
    """Build without the cyclic GC (parse a snapshot, make the queue's rows), then move what
    was built out of its reach.

    A parse creates millions of dicts and lists; every time the heap grows by a quarter the
    GC walks all of it, which made up a third of the parse at 100k tickets. Parsed JSON holds
    no reference cycles (refcounting frees it), so after the parse `gc.freeze()` moves it to
    the permanent generation, where later full collections (0.2-0.7 s at 100k, a visible
    stall in the app) no longer walk it. Objects alive at that moment that later become
    cyclic garbage stay allocated: a few widgets per reload at most.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.freeze()
