"""Unsent replies, notes and call logs, one file per agent and ticket.

`<data dir>/drafts/<agent>/<ticket>.json`, written atomically, so a draft
survives a crash and comes back when the ticket is reopened. An agent's folder is theirs
alone (0700, files 0600, whatever the umask; a folder found more open is closed), and it is
never reached through a link: a `drafts/<agent>` that is a link, or another user's, is
refused and the draft is not saved (the error says why).
"""

from __future__ import annotations

import os
import stat
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import orjson

from .fileio import atomic_write_at, open_dir_nofollow, open_nofollow, unsafe_file
from .identity import safe_agent_name
from .models import TICKET_ID

DRAFTS_DIR = "drafts"
FOLDER_MODE, DRAFT_MODE = 0o700, 0o600
NOT_SAVED = "Drafts are not saved until it is removed (desk then makes a private folder)."


@dataclass
class Draft:
    ticket: str
    kind: str  # public_reply, internal_note or call_log
    body: str = ""
    seen: dict[str, Any] = field(default_factory=dict)  # the ticket document it was based on
    call_start: str | None = None  # RFC 3339, call logs only
    call_end: str | None = None
    changes: dict[str, Any] = field(default_factory=dict)  # field changes from a macro
    add_tags: list[str] = field(default_factory=list)
    remove_tags: list[str] = field(default_factory=list)
    macro: str | None = None  # the title of the macro it came from

    @classmethod
    def from_dict(cls, data: Any) -> "Draft | None":
        if not isinstance(data, dict):
            return None
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        try:
            draft = cls(**known)
        except TypeError:
            return None
        ok = isinstance(draft.ticket, str) and isinstance(draft.body, str) and isinstance(draft.kind, str)
        return draft if ok else None


class Drafts:
    def __init__(self, data_dir: Path, agent: str):
        self.root = Path(data_dir) / DRAFTS_DIR / safe_agent_name(agent)  # refused, never rewritten
        self._write = threading.Lock()  # one temp file name per process: one writer at a time
        self._queue: ThreadPoolExecutor | None = None

    @classmethod
    def local(cls, store_url: str, agent: str) -> "Drafts":
        """Drafts of a store with no data directory (PostgreSQL): in this user's own data
        directory (platformdirs, or $DESK_DATA_DIR), one folder per store, named by a hash of
        its URL (two stores' T-12 are different tickets; the URL's password never shows)."""
        from .paths import local_drafts_home

        home = local_drafts_home(store_url)
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        return cls(home, agent)

    def path(self, ticket_id: str) -> Path:
        if not TICKET_ID.match(ticket_id):
            raise ValueError(f"not a ticket id: {ticket_id!r}")
        return self.root / f"{ticket_id}.json"

    def save(self, draft: Draft) -> None:
        """Raises OSError (a StoreError naming the folder if it is a link or not ours)."""
        path = self.path(draft.ticket)
        with self._write:
            folder = self._folder(create=True)
            try:
                atomic_write_at(folder, path.name, orjson.dumps(asdict(draft)), DRAFT_MODE,
                                shown=path)
            finally:
                os.close(folder)

    def load(self, ticket_id: str) -> Draft | None:
        """The saved draft, or None if there is none or it cannot be read."""
        try:
            name = self.path(ticket_id).name
            folder = self._folder()
            try:
                fd = open_nofollow(name, os.O_RDONLY, dir_fd=folder)
            finally:
                os.close(folder)
            with open(fd, "rb") as fh:
                return Draft.from_dict(orjson.loads(fh.read()))
        except (OSError, ValueError):
            return None

    def delete(self, ticket_id: str) -> None:
        try:
            name = self.path(ticket_id).name
        except ValueError:
            return
        with self._write:
            try:
                folder = self._folder()
            except FileNotFoundError:
                return
            try:
                os.unlink(name, dir_fd=folder)
            except FileNotFoundError:
                pass
            finally:
                os.close(folder)

    def tickets(self) -> list[str]:
        """Tickets that have a draft."""
        try:
            folder = self._folder()
        except OSError:
            return []
        try:
            names = os.listdir(folder)
        finally:
            os.close(folder)
        return sorted(n[:-5] for n in names if n.startswith("T-") and n.endswith(".json"))

    def _folder(self, create: bool = False) -> int:
        """This agent's folder, open (the caller closes it): never through a link, only if it
        is ours, and made private if it is not. With `create`, made (and `drafts/`) first."""
        shared = self.root.parent
        if create:
            _make_shared(shared)
            try:
                os.mkdir(self.root, FOLDER_MODE)
            except FileExistsError:
                pass
        top = open_dir_nofollow(shared, fix=NOT_SAVED)
        try:
            fd = open_dir_nofollow(self.root.name, dir_fd=top, shown=self.root, fix=NOT_SAVED)
        finally:
            os.close(top)
        try:
            st = os.fstat(fd)
            if st.st_uid != os.geteuid():
                raise unsafe_file(self.root, f"belongs to uid {st.st_uid}, not to you", NOT_SAVED)
            if stat.S_IMODE(st.st_mode) != FOLDER_MODE:
                os.fchmod(fd, FOLDER_MODE)  # made under another umask, or by an older desk
        except BaseException:
            os.close(fd)
            raise
        return fd

    # -- in the background, in the order asked (a save never lands after a delete) --
    def _submit(self, fn: Any, *args: Any) -> Future[None]:
        if self._queue is None:
            self._queue = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drafts")
        return self._queue.submit(fn, *args)

    def save_later(self, draft: Draft) -> Future[None]:
        return self._submit(self.save, replace(draft))

    def delete_later(self, ticket_id: str) -> Future[None]:
        return self._submit(self.delete, ticket_id)

    def flush(self) -> None:
        """Wait until every write asked for so far is on disk."""
        if self._queue is not None:
            self._submit(lambda: None).result()


def _make_shared(path: Path) -> None:
    """`drafts/`, where each agent makes their folder: the data directory's access for its
    group, and sticky, so that nobody can remove or swap another agent's folder."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        return
    group = stat.S_IMODE(os.stat(path.parent).st_mode) & 0o2070
    fd = open_dir_nofollow(path, fix=NOT_SAVED)  # not a link someone swapped in meanwhile
    try:
        os.fchmod(fd, 0o700 | group | (stat.S_ISVTX if group & 0o020 else 0))
    finally:
        os.close(fd)
