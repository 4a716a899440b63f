"""Reaching the team's store: REMOTE parsed (`user@host:/path`, `ssh://user@host[:port]/path`
or a local path), the far side started (the system `ssh` running `desk sync-serve PATH`, so the
agent's keys, agent and ~/.ssh/config apply; for a local path, this desk as a child process),
and requests exchanged in frames. `InProcess` answers in this process (tests)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from .wire import WireError, encode, read_frame, write_frame

SSH_URL = re.compile(r"^ssh://(?:(?P<user>[^@/]+)@)?(?P<host>[^:/]+)(?::(?P<port>\d+))?(?P<path>/.*)$")
SCP_LIKE = re.compile(r"^(?:(?P<user>[^@/:]+)@)?(?P<host>[^:/]+):(?P<path>.+)$")


class SyncError(Exception):
    """A clone or sync that could not be done: one line saying why; nothing was changed."""


@dataclass(frozen=True)
class Remote:
    text: str
    path: str
    host: str | None = None  # None: a local path
    user: str | None = None
    port: int | None = None

    def ssh_target(self) -> str:
        return f"{self.user}@{self.host}" if self.user else str(self.host)


def parse_remote(text: str) -> Remote:
    text = text.strip()
    if not text:
        raise SyncError("no remote given: use user@host:/path, ssh://user@host[:port]/path or a path")
    found = SSH_URL.match(text)
    if found and found["host"].startswith("-") or text.startswith("-"):
        raise SyncError(f"{text}: a remote never starts with '-'")
    if found:
        port = int(found["port"]) if found["port"] else None
        return Remote(text, found["path"], found["host"], found["user"], port)
    if text.startswith("ssh://"):
        raise SyncError(f"{text}: not an ssh remote (ssh://user@host[:port]/path)")
    found = SCP_LIKE.match(text)
    if found and not text.startswith(("/", ".")):
        return Remote(text, found["path"], found["host"], found["user"])
    path = str(Path(text).expanduser().resolve())
    return Remote(path, path)  # remembered absolute: a sync may run from another folder


def remote_command(remote: Remote, remote_desk: str | None = None) -> list[str]:
    """The argv that starts `desk sync-serve` for `remote`."""
    if remote.host is None:
        return [sys.executable, "-m", "tui", "sync-serve", remote.path]
    desk = remote_desk or os.environ.get("DESK_REMOTE_COMMAND") or "desk"
    argv = ["ssh", *shlex.split(os.environ.get("DESK_SSH_OPTIONS", ""))]
    if remote.port:
        argv += ["-p", str(remote.port)]
    return argv + ["--", remote.ssh_target(), f"{desk} sync-serve {shlex.quote(remote.path)}"]


class Connection:
    """Requests and their answers, in frames; `bytes_sent` counts what this side sent."""

    bytes_sent = 0

    def request(self, obj: dict[str, Any]) -> dict[str, Any]:
        return next(self.stream(obj))

    def stream(self, obj: dict[str, Any]) -> Iterator[dict[str, Any]]:
        raise NotImplementedError

    def close(self) -> None:
        pass


class _StderrTail:
    """The far side's stderr, read as it comes (a full pipe would stop the far side midway,
    ssh's warnings and banners included); its last `keep` bytes kept for an error message."""

    def __init__(self, pipe: Any, keep: int = 8192):
        self._tail, self._keep = b"", keep
        self._reader = threading.Thread(target=self._drain, args=(pipe,), daemon=True,
                                        name="desk-sync-stderr")
        self._reader.start()

    def _drain(self, pipe: Any) -> None:
        for chunk in iter(lambda: pipe.read1(65536), b""):
            self._tail = (self._tail + chunk)[-self._keep:]

    def text(self) -> str:
        self._reader.join(timeout=5)  # the far side has exited: its stderr is at its end
        return self._tail.decode("utf-8", "replace")


class ProcessConnection(Connection):
    def __init__(self, remote: Remote, remote_desk: str | None = None):
        self.remote = remote
        argv = remote_command(remote, remote_desk)
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE)
        except OSError as exc:
            raise SyncError(f"{remote.text}: could not start {argv[0]} ({exc.strerror or exc})") from None
        self.bytes_sent = 0
        self._said = _StderrTail(self.proc.stderr)

    def _failed(self, what: str) -> SyncError:
        try:
            self.proc.stdin.close()  # type: ignore[union-attr]
        except OSError:
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        lines = [line for line in self._said.text().splitlines() if line.strip()]
        said = f": {lines[-1].strip()}" if lines else ""
        unreachable = self.remote.host and self.proc.returncode == 255  # ssh's own failure
        where = f"could not reach {self.remote.host}" if unreachable else what
        return SyncError(f"{self.remote.text}: {where}{said}")

    def stream(self, obj: dict[str, Any]) -> Iterator[dict[str, Any]]:
        try:
            self.bytes_sent += write_frame(self.proc.stdin, obj)  # type: ignore[arg-type]
        except (BrokenPipeError, OSError):
            raise self._failed("the remote desk stopped") from None
        while True:
            try:
                frame = read_frame(self.proc.stdout)  # type: ignore[arg-type]
            except WireError as exc:
                raise self._failed(str(exc)) from None
            if not isinstance(frame, dict):
                raise SyncError(f"{self.remote.text}: the far side is not desk sync-serve")
            if "error" in frame:
                said = str(frame["error"])
                raise SyncError(said if said.startswith(self.remote.path)
                                else f"{self.remote.text}: {said}")
            yield frame
            if obj.get("request") != "clone" or frame.get("done"):
                return

    def close(self) -> None:
        try:
            self.proc.stdin.close()  # type: ignore[union-attr]
            self.proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


class InProcess(Connection):
    """The team store at `host_dir` answering in this process, through the same frames."""

    def __init__(self, host_dir: Path | str):
        from ..store import StoreError
        from .serve import Host

        self.text = str(host_dir)
        try:
            self.host = Host(Path(host_dir))
        except (StoreError, OSError) as exc:
            raise SyncError(f"{host_dir}: {str(exc).splitlines()[0]}") from None
        self.bytes_sent = 0

    def stream(self, obj: dict[str, Any]) -> Iterator[dict[str, Any]]:
        import orjson

        frame = encode(obj)
        self.bytes_sent += len(frame)
        for answer in self.host.answer(orjson.loads(frame[4:])):
            answer = orjson.loads(encode(answer)[4:])
            if "error" in answer:
                raise SyncError(f"{self.text}: {answer['error']}")
            yield answer

    def close(self) -> None:
        self.host.close()


def connect(text: str, remote_desk: str | None = None) -> Connection:
    return ProcessConnection(parse_remote(text), remote_desk)
