"""Durable file primitives: atomic replace, O_APPEND lines, CRC-framed lines.

Every store file is opened here, never through a symbolic link (`O_NOFOLLOW`) and only if
it is a regular file: a group member who replaces `store.journal` with a link to another
agent's file, or with a FIFO, gets a refusal naming the file, not a write through the link.
"""

from __future__ import annotations

import errno
import os
import stat
import zlib
from pathlib import Path
from typing import BinaryIO

import orjson

FILE_MODE = 0o660
TEMP_SUFFIX = ".desk-tmp"
HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


LINK_REASON = "is a symbolic link; desk never follows links in the store"


def unsafe_file(path: Path | str, reason: str, fix: str = "Remove it and restore the file "
                "from a backup.") -> Exception:
    """The error for a store file desk will not use: a StoreError (and an OSError, for the
    callers that treat an unreadable file as a missing one) naming the path and the reason."""
    from .store.errors import UnsafeFile  # deferred: the store package imports this module

    return UnsafeFile(path, reason, fix)


def kind_of(mode: int) -> str:
    return ("a symbolic link" if stat.S_ISLNK(mode) else "a directory" if stat.S_ISDIR(mode)
            else "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a regular file")


def open_nofollow(path: Path | str, flags: int, mode: int = FILE_MODE, *,
                  dir_fd: int | None = None) -> int:
    """`os.open` that refuses a symbolic link (as the last part of `path`) and anything but a
    regular file (a FIFO would block the open; O_NONBLOCK makes it return, then it is
    refused). Raises FileNotFoundError as `os.open` does."""
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, mode,
                     dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise unsafe_file(path, LINK_REASON) from None
        raise
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise unsafe_file(path, f"is {kind_of(st.st_mode)}, not a regular file")
    os.set_blocking(fd, True)
    return fd


def open_read(path: Path | str, mode: str = "rb") -> BinaryIO:
    """`open(path, mode)` ("rb" or "r+b") that never follows a link (see `open_nofollow`)."""
    return open(path, mode, opener=_nofollow_opener)  # type: ignore[return-value]


def _nofollow_opener(path: str, flags: int) -> int:
    return open_nofollow(path, flags)


def read_file(path: Path | str) -> bytes:
    """`Path.read_bytes()` that never follows a link (see `open_nofollow`)."""
    with open_read(path) as fh:
        return fh.read()


def open_dir_nofollow(path: Path | str, *, dir_fd: int | None = None, shown: Path | None = None,
                      fix: str = "Remove it and restore the folder from a backup.") -> int:
    """A directory's fd, refusing a symbolic link (files are then opened with `dir_fd`)."""
    try:
        return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                       dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
            raise
        st = os.lstat(path, dir_fd=dir_fd)
        reason = LINK_REASON if stat.S_ISLNK(st.st_mode) else \
            f"is {kind_of(st.st_mode)}, not a folder"
        raise unsafe_file(shown or path, reason, fix) from None


def open_append(path: Path, *, readable: bool = False) -> int:
    old = os.umask(0o007)
    try:
        access = os.O_RDWR if readable else os.O_WRONLY
        return open_nofollow(path, access | os.O_APPEND | os.O_CREAT, FILE_MODE)
    finally:
        os.umask(old)


def atomic_write(path: Path, data: bytes, mode: int = FILE_MODE) -> None:
    """Write to a temp file, fsync, rename over `path`, fsync the directory. The file gets
    exactly `mode`, whatever the umask."""
    dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        atomic_write_at(dir_fd, path.name, data, mode, shown=path)
    finally:
        os.close(dir_fd)


def atomic_write_at(dir_fd: int, name: str, data: bytes, mode: int = FILE_MODE, *,
                    shown: Path | None = None) -> None:
    """`atomic_write` of `name` in the open directory `dir_fd`: the temp file is made anew
    (`O_EXCL`, after removing a stale one, never through a link) and renamed over `name`
    (a link there is replaced, not followed)."""
    tmp = f".{name}.{os.getpid()}{TEMP_SUFFIX}"
    shown_tmp = (shown.parent / tmp) if shown is not None else tmp
    try:
        os.unlink(tmp, dir_fd=dir_fd)  # one a killed process of the same pid left
    except FileNotFoundError:
        pass
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                     mode & 0o700, dir_fd=dir_fd)
    except FileExistsError:  # made again (a link?) between the unlink and the open
        raise unsafe_file(shown_tmp, "appeared while desk wrote it", "Nothing was written; "
                          "look at who else writes in the data directory.") from None
    try:
        os.fchmod(fd, mode)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        try:
            os.unlink(tmp, dir_fd=dir_fd)
        except OSError:
            pass
        raise
    os.close(fd)
    os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    os.fsync(dir_fd)


def remove_stray_temps(directory: Path) -> list[Path]:
    removed = []
    for tmp in directory.glob(f".*{TEMP_SUFFIX}"):
        tmp.unlink(missing_ok=True)
        removed.append(tmp)
    return removed


def crc_line(obj: object) -> bytes:
    """`<crc32 hex> <json>\\n`, the framing of journals and the event log."""
    payload = orjson.dumps(obj)
    return b"%08x " % zlib.crc32(payload) + payload + b"\n"


class BadLine(ValueError):
    pass


def parse_crc_line(line: bytes, *, require_crc: bool = False) -> object:
    """Parse one line without its newline; raises BadLine if it is damaged.

    The CRC prefix is 1–8 hex digits and a space (`<crc32 hex> <json>`).
    """
    payload = line
    prefix, space, rest = line.partition(b" ")
    if space and 1 <= len(prefix) <= 8 and all(c in HEX_DIGITS for c in prefix):
        payload = rest
        if zlib.crc32(payload) != int(prefix, 16):
            raise BadLine("CRC mismatch")
    elif require_crc:
        raise BadLine("missing CRC prefix")
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise BadLine(f"invalid JSON: {exc}") from exc


class AtomicStream:
    """A file written in pieces that appears whole or not at all: `write()` goes to a temp
    file beside `path` (made anew, never through a link); `commit()` fsyncs it, renames it over
    `path` and fsyncs the directory; leaving the `with` block without `commit()` (an error, a
    kill) removes the temp file and leaves `path` as it was."""

    def __init__(self, path: Path, mode: int = 0o600):
        self.path = Path(path)
        self._dir_fd = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        self._tmp = f".{self.path.name}.{os.getpid()}{TEMP_SUFFIX}"
        try:
            try:
                os.unlink(self._tmp, dir_fd=self._dir_fd)
            except FileNotFoundError:
                pass
            try:
                self._fd = os.open(self._tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                                   | os.O_CLOEXEC, mode & 0o700, dir_fd=self._dir_fd)
            except FileExistsError:  # made again (a link?) between the unlink and the open
                raise unsafe_file(self.path.parent / self._tmp, "appeared while desk wrote it",
                                  "Nothing was written; look at who else writes in the data "
                                  "directory.") from None
            os.fchmod(self._fd, mode)
        except BaseException:
            os.close(self._dir_fd)
            raise
        self._done = False

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]

    def commit(self) -> None:
        os.fsync(self._fd)
        os.close(self._fd)
        self._fd = -1
        os.replace(self._tmp, self.path.name, src_dir_fd=self._dir_fd, dst_dir_fd=self._dir_fd)
        os.fsync(self._dir_fd)
        self._done = True

    def __enter__(self) -> "AtomicStream":
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd >= 0:
            os.close(self._fd)
        if not self._done:
            try:
                os.unlink(self._tmp, dir_fd=self._dir_fd)
            except OSError:
                pass
        os.close(self._dir_fd)
