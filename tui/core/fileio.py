"""Durable file primitives: atomic replace, O_APPEND lines, CRC-framed lines."""

from __future__ import annotations

import os
import zlib
from pathlib import Path

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


def open_append(path: Path, *, readable: bool = False) -> int:
    old = os.umask(0o007)
    try:
        access = os.O_RDWR if readable else os.O_WRONLY
        return os.open(path, access | os.O_APPEND | os.O_CREAT, FILE_MODE)
    finally:
        os.umask(old)


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temp file, fsync, rename over `path`, fsync the directory."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}{TEMP_SUFFIX}")
    old = os.umask(0o007)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    finally:
        os.umask(old)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    os.replace(tmp, path)
    fsync_dir(path.parent)


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
