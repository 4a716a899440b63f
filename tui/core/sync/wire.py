"""The sync's frames: a 4-byte big-endian length, then one orjson object. A version handshake
opens every exchange: the client names the wire version and the store schema it expects, the
far side answers with its own and the team store's id (or an `error`)."""

from __future__ import annotations

import struct
from typing import Any, BinaryIO

import orjson

WIRE_VERSION = 1
MAX_FRAME = 1 << 31  # a length above this is not ours: the far side is not desk


class WireError(Exception):
    """The other side closed the stream, or sent something that is not a frame."""


def encode(obj: Any) -> bytes:
    body = orjson.dumps(obj)
    return struct.pack(">I", len(body)) + body


def write_frame(out: BinaryIO, obj: Any) -> int:
    """Send one frame; the number of bytes sent."""
    frame = encode(obj)
    out.write(frame)
    out.flush()
    return len(frame)


def _read_exactly(src: BinaryIO, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = src.read(left)
        if not chunk:
            raise WireError("the other side closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(src: BinaryIO) -> Any:
    (size,) = struct.unpack(">I", _read_exactly(src, 4))
    if size > MAX_FRAME:
        raise WireError("the other side sent something that is not a desk sync frame")
    try:
        return orjson.loads(_read_exactly(src, size))
    except orjson.JSONDecodeError:
        raise WireError("the other side sent a damaged frame") from None
