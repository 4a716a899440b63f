"""An import's temporary on-disk catalog (zendesk_people.py, freshdesk_catalog.py): records
that can outnumber the tickets, in a SQLite file of a private temporary folder, built once at
first use, read back ticket by ticket, removed at the end. What SQLite cannot write or read
is an OSError, which the CLI shows as one line like any disk error."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import weakref
from pathlib import Path


class TempCatalog:
    what = "records"  # what the catalog holds, for its errors
    prefix = "desk-catalog-"  # its folder's name

    def __init__(self) -> None:
        self._db: sqlite3.Connection | None = None
        self._folder: str | None = None

    def build(self) -> None:
        """Read every file once (the first time only)."""
        if self._db is not None:
            return
        self._folder = tempfile.mkdtemp(prefix=self.prefix)
        weakref.finalize(self, shutil.rmtree, self._folder, True)
        try:
            self._db = self._fill(sqlite3.connect(Path(self._folder) / "catalog.db"))
        except sqlite3.Error as exc:
            self.close()
            raise OSError(f"{self._folder}: the import's temporary catalog of {self.what} could "
                          f"not be written ({exc}); nothing was imported from this file. Free "
                          "some space in the temporary folder ($TMPDIR) and run it again.") from None

    def _fill(self, db: sqlite3.Connection) -> sqlite3.Connection:
        """Make the tables and read every file into them."""
        raise NotImplementedError

    def _rows(self, sql: str, key: object) -> list[tuple]:
        """The rows of a query by one key, read at once."""
        self.build()
        try:
            return self._db.execute(sql, (str(key),)).fetchall()
        except sqlite3.Error as exc:
            raise OSError(f"{self._folder}: the import's temporary catalog of {self.what} could "
                          f"not be read ({exc})") from None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._folder:
            shutil.rmtree(self._folder, ignore_errors=True)
