"""Textual's Linux driver, with an input thread that sleeps while no key comes.

Textual's input thread wakes ten times a second to see whether a lone Escape has waited
long enough to be a key: about 0.1 % of a core for every idle desk, which on a shared host
with a dozen agents is a core's worth of wake-ups a minute. This one waits for input, for
the parser's own deadline when it holds part of a key sequence, or for a byte on a pipe
that `disable_input` writes before it joins the thread. Keys are parsed and passed on
exactly as Textual does (its XTermParser, `process_message`).

Built on private parts of Textual (the parser's deadline, the driver's `exit_event` and
`fileno`), all of them through tui/ui/textual_private.py. tests/ui/test_signals.py and the pty
tests drive it.
"""

from __future__ import annotations

import ctypes
import os
import selectors
from codecs import getincrementaldecoder

from textual.drivers.linux_driver import LinuxDriver

from ..ui.textual_private import ParseError, XTermParser, get_time, parser_deadline


def _name_this_thread(name: bytes) -> None:
    """Name the thread for the system (`top -H`, /proc/PID/task/*/comm)."""
    try:
        ctypes.CDLL(None).prctl(15, name, 0, 0, 0)  # PR_SET_NAME
    except (OSError, AttributeError):
        pass


class QuietLinuxDriver(LinuxDriver):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._wake_read: int | None = None
        self._wake_write: int | None = None

    def start_application_mode(self) -> None:
        # A new pipe each time: a suspend (handing the terminal to $EDITOR) closes the driver.
        if self._wake_read is None:
            self._wake_read, self._wake_write = os.pipe()
        super().start_application_mode()

    def disable_input(self) -> None:
        if self._wake_write is not None:
            try:
                os.write(self._wake_write, b"x")  # the input thread ends now, not at a key
            except OSError:
                pass
        super().disable_input()

    def close(self) -> None:
        super().close()
        for fd in (self._wake_read, self._wake_write):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._wake_read = self._wake_write = None

    def run_input_thread(self) -> None:
        _name_this_thread(b"desk-input")
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode
        selector = selectors.DefaultSelector()
        selector.register(self.fileno, selectors.EVENT_READ, "keys")
        selector.register(self._wake_read, selectors.EVENT_READ, "wake")

        def timeout() -> float | None:
            deadline = parser_deadline(parser)  # part of a sequence (a lone Escape) is pending
            return None if deadline is None else max(0.0, deadline - get_time())

        def keys(final: bool = False) -> None:
            data = decode(os.read(self.fileno, 4096), final=final)
            if not data:  # end of input (a pipe): nothing more will come
                selector.unregister(self.fileno)
                return
            for event in parser.feed(data):
                self.process_message(event)

        try:
            stopping = False
            while not stopping and not self.exit_event.is_set():
                for key, _ in selector.select(timeout()):
                    if key.data == "keys":
                        keys()
                    else:  # written by disable_input just before it sets exit_event
                        os.read(self._wake_read, 64)
                        stopping = True
                for event in parser.tick():
                    self.process_message(event)
            for key, _ in selector.select(0):
                if key.data == "keys":
                    keys(final=True)
        finally:
            selector.close()
            try:
                for _ in parser.feed(""):
                    pass
            except (EOFError, ParseError):
                pass
