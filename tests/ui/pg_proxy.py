"""A PostgreSQL server that can be cut off: a Unix-socket relay in front of the test
server's socket, for the lost-connection tests. `cut()` ends every relayed connection and
refuses new ones (the server is down, as far as desk can tell); `restore()` lets them in."""

from __future__ import annotations

import os
import re
import socket
import threading
from pathlib import Path

SOCKET = ".s.PGSQL.5432"


class CutOffServer:
    def __init__(self, url: str, directory: Path):
        host = re.search(r"host=([^&]+)", url)
        assert host, f"the test server's URL names no socket directory: {url}"
        self.target = os.path.join(host.group(1), SOCKET)
        self.directory = directory
        self.url = url.replace(f"host={host.group(1)}", f"host={directory}")
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._mutex = threading.Lock()
        directory.mkdir(parents=True, exist_ok=True)
        self.restore()

    def restore(self) -> None:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(self.directory / SOCKET))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            server.connect(self.target)
            with self._mutex:
                self._open |= {client, server}
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
            (self.directory / SOCKET).unlink(missing_ok=True)
        with self._mutex:
            ends, self._open = self._open, set()
        for end in ends:
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            end.close()

    def close(self) -> None:
        self.cut()
