"""A store's permissions on a shared host: prepared by `desk init`, checked at open."""

from __future__ import annotations

import grp
import os
import pwd
import stat
from pathlib import Path

from .fileio import LINK_REASON, atomic_write, kind_of
from .models import SCHEMA_VERSION
from .store.errors import StoreError
from .store.tinydb import snapshot

SHARED_DIR_MODE = 0o2770  # setgid: new files take the directory's group
STORE_FILES = ("store.json", "store.journal", "archive.json", "archive.journal", "events.jsonl", ".lock")
DERIVED_FILES = ("archive-index.json", "queue-summary.json", "store-index.json")  # rebuilt from the store files
STORE_DIRS = ("drafts", "presence")
RESTORE = "Remove it and restore the file from a backup."


def readable_by_others(data_dir: Path) -> list[Path]:
    """Store files (and the directory) that users outside the group can read."""
    paths = [data_dir] + [data_dir / name for name in STORE_FILES if (data_dir / name).exists()]
    return [p for p in paths if p.stat().st_mode & stat.S_IROTH]


def world_readable_warning(data_dir: Path) -> str | None:
    exposed = readable_by_others(data_dir)
    if not exposed:
        return None
    return (f"{exposed[0]} is readable by every user on this host (customer data). "
            f"Fix it with: chmod -R o-rwx {data_dir}")


def empty_tables() -> dict:
    return {"_meta": {"1": {"schema": SCHEMA_VERSION, "next": {}}},
            "customers": {}, "products": {}, "purchases": {}, "tickets": {}}


def init_store(data_dir: Path, *, group: str | None = None) -> None:
    """Create a store; with `group`, make it a team's: setgid, group-writable, nothing for others."""
    gid = None
    if group is not None:
        try:
            gid = grp.getgrnam(group).gr_gid
        except KeyError:
            raise StoreError(f"there is no group {group!r} on this host (see `getent group`)") from None
    if (data_dir / "store.json").exists():
        raise StoreError(f"{data_dir / 'store.json'} already exists; desk init never overwrites a store")
    data_dir.mkdir(parents=True, exist_ok=True)
    if gid is not None:
        os.chown(data_dir, -1, gid)
        os.chmod(data_dir, SHARED_DIR_MODE)
    else:
        os.chmod(data_dir, 0o700)
    atomic_write(data_dir / "store.json", snapshot.encode(empty_tables()))
    share_files(data_dir, gid)


def share_files(data_dir: Path, gid: int | None) -> None:
    """Give every store file the team's group and mode 0660."""
    for path in data_dir.rglob("*"):
        if gid is not None:
            os.chown(path, -1, gid)
        os.chmod(path, SHARED_DIR_MODE if path.is_dir() else 0o660)


# -- checked at every open, and by `desk check` --------------------------------------------
def data_dir_problem(data_dir: Path) -> str | None:
    """Why desk refuses `data_dir` itself (one line with the fix), or None."""
    try:
        st = os.lstat(data_dir)
    except FileNotFoundError:
        return (f"{data_dir}: no such data directory. "
                "Create one with `desk demo --out DIR` or `desk init`.")
    if stat.S_ISLNK(st.st_mode):
        return (f"{data_dir}: {LINK_REASON}. Open the directory itself: "
                f"desk --data-dir {Path(os.path.realpath(data_dir))}")
    if not stat.S_ISDIR(st.st_mode):
        return f"{data_dir}: is {kind_of(st.st_mode)}, not a data directory."
    if st.st_mode & stat.S_IWOTH:
        sticky = " (the sticky bit does not help: anyone can still add files)" \
            if st.st_mode & stat.S_ISVTX else ""
        return (f"{data_dir}: the data directory is world-writable (mode "
                f"{stat.S_IMODE(st.st_mode):o}), so any user on this host could replace its "
                f"files and forge or delete tickets{sticky}. Fix it with: chmod o-w {data_dir}")
    return None


def check_data_dir(data_dir: Path) -> None:
    """Raise StoreError (naming the directory and the fix) unless desk may use it."""
    problem = data_dir_problem(Path(data_dir))
    if problem:
        raise StoreError(problem)


class _Team:
    """Who may own the files of a data directory: root, the user running desk, the
    directory's owner and the members of its group (primary or supplementary)."""

    def __init__(self, dir_st: os.stat_result):
        self.gid = dir_st.st_gid
        try:
            group = grp.getgrgid(self.gid)
            self.group, self.members = group.gr_name, set(group.gr_mem)
        except KeyError:
            self.group, self.members = str(self.gid), set()
        self.trusted = {0, os.geteuid(), dir_st.st_uid}

    def stranger(self, uid: int) -> str | None:
        """`mallory (uid 1003)` if `uid` is not one of the team, else None."""
        if uid in self.trusted:
            return None
        try:
            user = pwd.getpwuid(uid)
        except KeyError:
            return f"uid {uid} (no such user)"
        if user.pw_gid == self.gid or user.pw_name in self.members:
            return None
        return f"{user.pw_name} (uid {uid})"


def unsafe_store_files(data_dir: Path) -> list[tuple[Path, str]]:
    """The store's files and folders desk will not use, each with the reason and the fix:
    a symbolic link, not a regular file (or folder), or owned by a user outside the team."""
    data_dir = Path(data_dir)
    team = _Team(os.stat(data_dir))
    found = []
    for name, is_dir in ([(n, False) for n in STORE_FILES + DERIVED_FILES]
                         + [(n, True) for n in STORE_DIRS]):
        path = data_dir / name
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(st.st_mode):
            fix = "Remove it (desk makes the folder again)." if is_dir else RESTORE
            found.append((path, f"{LINK_REASON}. {fix}"))
        elif (stat.S_ISDIR if is_dir else stat.S_ISREG)(st.st_mode):
            stranger = team.stranger(st.st_uid)
            if stranger:
                found.append((path, f"is owned by {stranger}, who is not in the group "
                              f"{team.group} of the data directory, so someone outside the team "
                              "may have replaced it. Check it (restore it from a backup if it "
                              f"was changed), then give it to a member: chown USER {path}"))
        else:
            wanted = "a directory" if is_dir else "a regular file"
            found.append((path, f"is {kind_of(st.st_mode)}, not {wanted}. {RESTORE}"))
    return found


def check_store_files(data_dir: Path) -> None:
    """Raise StoreError for the first file of `unsafe_store_files`."""
    unsafe = unsafe_store_files(data_dir)
    if unsafe:
        path, reason = unsafe[0]
        more = f" ({len(unsafe) - 1} more: see `desk check`)" if len(unsafe) > 1 else ""
        raise StoreError(f"{path}: {reason}{more}")
