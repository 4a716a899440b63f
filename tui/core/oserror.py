"""One line for an OS error a user can cause (a read-only disk, a full disk, no permission):
the file, what went wrong, and what to do about it."""

from __future__ import annotations

import errno

from .safetext import one_line

_IN_GROUP = "is your login in the store's group? `id` lists your groups"
WHAT_TO_DO = {
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "the disk is full: free some space and try again",
    errno.EDQUOT: "your disk quota is used up: free some space and try again",
    errno.EACCES: _IN_GROUP,
    errno.EPERM: _IN_GROUP,
    errno.EFBIG: "the file reached the largest size this login may write (`ulimit -f`)",
    errno.EIO: "the disk reported an error: check it before you go on",
}


def describe(exc: OSError) -> str:
    """`path: reason (what to do)`, safe for a terminal."""
    why = exc.strerror or str(exc)
    where = exc.filename
    text = f"{where}: {why}" if where is not None else why
    if exc.filename2 is not None:
        text += f" (to {exc.filename2})"
    hint = WHAT_TO_DO.get(exc.errno or 0)
    return one_line(f"{text}; {hint}" if hint else text)
