"""The TinyDB backend's file and table names, and its document keys."""

from __future__ import annotations

ACTIVE, ARCHIVE = "store", "archive"  # store.json + store.journal, archive.json + archive.journal
META, OUTBOX = "_meta", "_archive_outbox"


def doc_key(record_id: str) -> str:
    """`T-1042` -> `1042`, the key of a document in its table."""
    return str(int(record_id.split("-", 1)[1]))
