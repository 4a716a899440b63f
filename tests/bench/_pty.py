"""Drive `python -m tui` on a pseudo-terminal and time its output bursts.

The app runs in a fresh process on a pty of 120 x 40 (TIOCSWINSZ is set in the
child before exec), TERM=xterm-256color. A reader thread stamps every chunk the
app writes with `time.perf_counter()` as soon as `read()` returns it.

Two kinds of output are not caused by the benchmark's keys and are ignored when
looking for the end of a burst ("noise"):

- the status bar's 1 Hz clock: a chunk that writes only the status bar row
  (its text holds "session ");
- frames that redraw only scrollbars or borders (the tick's layout pass repaints
  them ~40 ms later): a chunk whose visible text is only spaces and block or
  box-drawing characters.

A chunk that carries anything else (a ticket id, a subject, a count...) is
"real" output. A burst ends at the last real byte before a quiet gap.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import threading
import time
from dataclasses import dataclass
from pathlib import Path

COLS, ROWS = 120, 40
STATUS_ROW = ROWS - 1  # the status bar sits above the one-line footer

DOWN, ESCAPE, BACKSPACE, CTRL_Q = b"\x1b[B", b"\x1b", b"\x7f", b"\x11"

_ESCAPES = re.compile(rb"\x1b\[[0-9;?<>=$]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]")
_CUP = re.compile(rb"\x1b\[(\d+);(\d+)H")
TICKET_ROW = re.compile(r"T-\d+")


def _quiet_char(ch: str) -> bool:
    return ch == " " or "\u2500" <= ch <= "\u259f"  # box drawing and block elements


def visible(data: bytes) -> str:
    """The text of a chunk without escape sequences, CR or LF."""
    text = _ESCAPES.sub(b"", data).replace(b"\r", b"").replace(b"\n", b"")
    return text.decode("utf-8", "ignore")


def _open_tail(data: bytes) -> bytes:
    """An escape sequence at the end of `data` that the next read will complete."""
    start = data.rfind(b"\x1b", max(0, len(data) - 64))
    if start < 0:
        return b""
    match = _ESCAPES.match(data, start)
    return b"" if match else data[start:]


def is_noise(data: bytes) -> bool:
    rows = [int(m.group(1)) for m in _CUP.finditer(data)]
    text = visible(data)
    if "session " in text and rows and all(r == STATUS_ROW for r in rows[:-1]):
        return True  # the 1 Hz status bar clock (the last CUP parks the cursor)
    return all(_quiet_char(ch) for ch in text)


@dataclass
class Chunk:
    t: float
    data: bytes
    noise: bool


class PtyApp:
    """`python -m tui --data-dir DIR` (or `--store URL`, or any `args`) on a 120 x 40 pty, its
    output stamped as it comes."""

    def __init__(self, data_dir: Path | None, config_dir: Path, *, cols: int = COLS,
                 rows: int = ROWS, python: str = sys.executable, app_root: Path | None = None,
                 python_args: tuple[str, ...] = (), store_url: str | None = None,
                 args: list[str] | None = None) -> None:
        env = dict(os.environ, TERM="xterm-256color", DESK_CONFIG_DIR=str(config_dir),
                   COLUMNS=str(cols), LINES=str(rows))
        # As installed: the bytecode cache is used (a pip install compiles it).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.pop("TEXTUAL", None)
        if app_root is not None:  # another checkout of desk (to try a change outside the repo)
            env["PYTHONPATH"] = str(app_root)
        where = ["--store", store_url] if store_url else ["--data-dir", str(data_dir)]
        # `args`: what follows the interpreter instead of `-m tui --data-dir DIR`
        argv = [python, *python_args, *(args if args is not None else ["-m", "tui", *where])]
        winsize = struct.pack("HHHH", rows, cols, 0, 0)
        self.t_spawn = time.perf_counter()
        pid, fd = pty.fork()
        if pid == 0:  # the child: set the window size on its tty, then exec
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, winsize)
                if app_root is not None:
                    os.chdir(app_root)
                os.execve(python, argv, env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.chunks: list[Chunk] = []
        self.closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    # -- output --------------------------------------------------------------
    def _read(self) -> None:
        carry = b""
        while True:
            try:
                ready, _, _ = select.select([self.fd], [], [], 0.5)
                if not ready:
                    if self.closed:
                        return
                    continue
                data = os.read(self.fd, 65536)
            except OSError:
                data = b""
            if not data:
                self.closed = True
                return
            now = time.perf_counter()
            whole = carry + data  # a sequence cut by the previous read, completed
            carry = _open_tail(whole)
            self.chunks.append(Chunk(now, data, is_noise(whole[:len(whole) - len(carry)])))

    def real_since(self, t: float) -> list[Chunk]:
        return [c for c in self.chunks[self._first_after(t):] if not c.noise]

    def _first_after(self, t: float) -> int:
        chunks, n = self.chunks, len(self.chunks)
        lo, hi = 0, n
        while lo < hi:
            mid = (lo + hi) // 2
            if chunks[mid].t < t:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def text_since(self, t: float) -> str:
        return visible(b"".join(c.data for c in self.chunks[self._first_after(t):]))

    def wait_quiet(self, since: float, quiet: float, timeout: float,
                   until: "callable | None" = None) -> list[Chunk]:
        """Wait until `until(real chunks)` holds (if given) and then no real output came for
        `quiet` seconds; return the real chunks since `since`."""
        deadline = time.perf_counter() + timeout
        while True:
            now = time.perf_counter()
            real = self.real_since(since)
            ok = until is None or until(real)
            last = real[-1].t if real else since
            if ok and now - last >= quiet:
                return real
            if now > deadline or self.closed:
                return real
            time.sleep(0.005)

    # -- input ---------------------------------------------------------------
    def press(self, key: bytes) -> float:
        t = time.perf_counter()
        os.write(self.fd, key)
        return t

    # -- the process -----------------------------------------------------------
    def proc_stat_ticks(self) -> int:
        """utime + stime of the app (all its threads), in clock ticks."""
        raw = Path(f"/proc/{self.pid}/stat").read_text()
        fields = raw[raw.rindex(")") + 2:].split()
        return int(fields[11]) + int(fields[12])

    def rss_mb(self) -> dict[str, float]:
        out = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                out[key] = int(value.split()[0]) / 1024
        return out

    def quit(self, timeout: float = 15.0) -> int | None:
        if not self.closed:
            try:
                self.press(CTRL_Q)
            except OSError:
                pass
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self.closed = True
                self._close_fd()
                return os.waitstatus_to_exitcode(status)
            time.sleep(0.02)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        self.closed = True
        self._close_fd()
        return None

    def _close_fd(self) -> None:
        self._reader.join(timeout=2)
        try:
            os.close(self.fd)
        except OSError:
            pass


def bursts(chunks: list[Chunk], since: float, gap: float) -> list[tuple[float, float]]:
    """(start, end) of each run of real chunks whose gaps are shorter than `gap`."""
    out: list[tuple[float, float]] = []
    for c in chunks:
        if c.noise or c.t < since:
            continue
        if out and c.t - out[-1][1] < gap:
            out[-1] = (out[-1][0], c.t)
        else:
            out.append((c.t, c.t))
    return out


def first_burst_end(chunks: list[Chunk], since: float, gap: float) -> float | None:
    found = bursts(chunks, since, gap)
    return found[0][1] if found else None
