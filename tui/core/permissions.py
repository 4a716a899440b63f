"""A store's permissions on a shared host: prepared by `desk init`, checked at open."""

from __future__ import annotations

import grp
import os
import stat
from pathlib import Path

from .fileio import atomic_write
from .models import SCHEMA_VERSION
from .store.errors import StoreError
from .store.tinydb import snapshot

SHARED_DIR_MODE = 0o2770  # setgid: new files take the directory's group
STORE_FILES = ("store.json", "store.journal", "archive.json", "archive.journal", "events.jsonl", ".lock")


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
