"""The one-line error of an import's temporary on-disk catalog (zendesk_people.py,
freshdesk_catalog.py) that SQLite could not write or read, as an OSError, which the CLI
shows as one line like any disk error."""

from __future__ import annotations

import sqlite3


def catalog_error(folder: str | None, what: str, exc: sqlite3.Error, *, writing: bool) -> OSError:
    if writing:
        return OSError(f"{folder}: the import's temporary catalog of {what} could not be written "
                       f"({exc}); nothing was imported from this file. Free some space in the "
                       "temporary folder ($TMPDIR) and run it again.")
    return OSError(f"{folder}: the import's temporary catalog of {what} could not be read ({exc})")
