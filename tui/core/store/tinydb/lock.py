"""A store-wide lock: flock across processes, an RLock across threads."""

from __future__ import annotations

import errno
import fcntl
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ...fileio import open_nofollow

FILE_MODE = 0o660


class StoreLock:
    def __init__(self, path: Path):
        self.path = path
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None
        self._read_only = False

    def _fd_open(self) -> int | None:
        """The lock file's fd; None on a read-only file system without one, where nothing
        can change the store, so reading it needs no lock (a write fails on its own)."""
        if self._fd is None and not self._read_only:
            old = os.umask(0o007)
            try:
                self._fd = open_nofollow(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)
            except OSError as exc:
                if exc.errno != errno.EROFS:
                    raise
                self._fd = self._open_read_only()
            finally:
                os.umask(old)
        return self._fd

    def _open_read_only(self) -> int | None:
        try:
            return open_nofollow(self.path, os.O_RDONLY)
        except FileNotFoundError:
            self._read_only = True
            return None

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._thread_lock:
            fd = self._fd_open()
            if self._depth == 0 and fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and fd is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)

    @contextmanager
    def shared(self) -> Iterator[None]:
        """For a full reload: keeps a compaction from swapping files midway."""
        with self._thread_lock:
            if self._depth:
                yield
                return
            fd = self._fd_open()
            if fd is None:
                yield
                return
            fcntl.flock(fd, fcntl.LOCK_SH)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._thread_lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
