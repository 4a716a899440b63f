"""Errors raised by the store. Each one names what it is about."""

from __future__ import annotations

from typing import Any


class StoreError(Exception):
    """The store cannot be used as asked; the message says why and what to do."""


class StoreCorrupt(StoreError):
    """A store file does not parse. It is refused and never overwritten."""


class StoreWriteError(StoreError):
    """A write failed (disk full, permissions); the store is as it was before."""


class UnsafeFile(StoreError, OSError):
    """A store file desk will not open: a link, not a regular file, or not the team's.

    Also an OSError, so that a reader which treats an unreadable file as missing (a derived
    file, rebuilt on the next write) keeps doing so."""

    def __init__(self, path: object, reason: str, fix: str = ""):
        self.path = str(path)
        self.reason = reason
        self.fix = fix
        super().__init__(f"{path}: {reason}." + (f" {fix}" if fix else ""))

    def __str__(self) -> str:
        return self.args[0]


class NotFound(StoreError):
    pass


class ConflictError(StoreError):
    """An update carried a stale `_rev`. `current` is the document as stored now."""

    def __init__(self, record: str, expected_rev: int, current: Any):
        self.record = record
        self.expected_rev = expected_rev
        self.current = current
        actual = getattr(current, "rev", None)
        super().__init__(
            f"{record} was changed by someone else (you had revision {expected_rev}, "
            f"it is now {actual})"
        )
