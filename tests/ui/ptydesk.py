"""A real `python -m tui --data-dir DIR` on a 100×30 pseudo-terminal, its output drained.

It runs as the agent whose uid runs the tests (desk takes the agent from the uid, never from
LOGNAME or USER); `env` adds to its environment."""

from __future__ import annotations

import fcntl
import os
import pty
import resource
import signal
import struct
import sys
import termios
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class PtyDesk:
    def __init__(self, data_dir: Path, config_dir: Path, env: dict[str, str] | None = None,
                 file_size_limit: int | None = None, store: str | None = None) -> None:
        """`store`: a postgresql:// URL to open instead of `data_dir`. `file_size_limit`: no file may grow past it (RLIMIT_FSIZE, SIGXFSZ ignored), so a
        write that would fails for real with EFBIG, as on a disk that has filled up."""
        self.data_dir = data_dir
        self.output = bytearray()
        self.status: int | None = None
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: a session of its own, the pty as its terminal
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
                env = {**os.environ, "TERM": "xterm-256color", "LANG": "C.UTF-8", "HOME": str(config_dir),
                       "DESK_CONFIG_DIR": str(config_dir), "PYTHONPATH": str(REPO), **(env or {})}
                os.chdir(REPO)
                if file_size_limit is not None:
                    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # kept across exec
                    resource.setrlimit(resource.RLIMIT_FSIZE,
                                       (file_size_limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
                where = ["--store", store] if store else ["--data-dir", str(data_dir)]
                os.execve(sys.executable, [sys.executable, "-m", "tui", *where], env)
            finally:
                os._exit(127)
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.output.extend(chunk)

    def tail(self) -> str:
        return self.output.decode(errors="replace")[-2000:]

    def type(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def poll(self) -> int | None:
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(status)
        return self.status

    def wait(self, timeout: float = 10.0) -> int:
        deadline = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                raise AssertionError(f"desk {self.pid} did not exit within {timeout} s:\n{self.tail()}")
            time.sleep(0.02)
        self._reader.join(2)
        return self.status

    def close(self) -> None:
        if self.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
            self.wait()
        try:
            os.close(self.fd)
        except OSError:
            pass
