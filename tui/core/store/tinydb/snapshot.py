"""Snapshot bytes: TinyDB JSON, one document per line, read in slices.

`encode` writes plain TinyDB JSON (stock TinyDB reads it) laid out as

    {
    "tickets":{
    "1":{...},
    "2":{...}
    },
    ...
    }

orjson never writes a newline inside a document, so every line is one table header, one
document or a closing brace. `read` parses such a file a slice (~1 MB) at a time: orjson
holds the interpreter for the whole of one call, so one call over 114 MB (70k tickets) froze
every other thread, the UI's among them, for a second; between slices they run. Any other
layout (an older desk, stock TinyDB) is parsed in one call.
"""

from __future__ import annotations

import io
import os
import zlib
from pathlib import Path
from typing import Any, BinaryIO, Iterator

import orjson

from ...fileio import FILE_MODE, AtomicStream, open_read

Tables = dict[str, dict[str, dict[str, Any]]]
Stamp = list[int]  # [st_mtime_ns, st_size, crc32 of its first and last 64 KiB]
HEAD = b"{\n"
SLICE_BYTES = 1 << 20
EDGE = 64 * 1024


def file_stamp(path: Path) -> Stamp | None:
    """The identity of a snapshot file by its content, for the files derived from it (the
    archive index, the queue summary): a compaction or an edit changes it, a copy that keeps
    the modification time (`cp -p`, a backup restored) does not."""
    try:
        with open_read(path) as f:
            return fd_stamp(f.fileno(), os.fstat(f.fileno()))
    except FileNotFoundError:
        return None


def fd_stamp(fd: int, st: os.stat_result) -> Stamp:
    """`file_stamp` of an open file (`st` is its fstat)."""
    edges = os.pread(fd, EDGE, 0)
    if st.st_size > EDGE:
        start = max(EDGE, st.st_size - EDGE)
        edges += os.pread(fd, st.st_size - start, start)
    return [st.st_mtime_ns, st.st_size, zlib.crc32(edges)]


def encode(tables: Tables) -> bytes:
    return b"".join(_pieces(tables))


# table -> [(doc id, offset of its JSON in the file, its length)], in the file's order
Spans = dict[str, list[tuple[str, int, int]]]


def write(path: Path, tables: Tables, mode: int = FILE_MODE) -> Spans:
    """`atomic_write(path, encode(tables))` a megabyte at a time: the snapshot's bytes are
    never all in memory beside the tables (at 67k active tickets, twice 70 MB less at the
    peak of a compaction: the pieces and their join). Returns where each document went."""
    spans: Spans = {}
    write_pieces(path, _pieces(tables, spans), mode)
    return spans


def write_pieces(path: Path, pieces: Iterator[bytes], mode: int = FILE_MODE) -> None:
    """Write a snapshot from its bytes in pieces, a megabyte at a time, atomically."""
    with AtomicStream(path, mode) as out:
        chunk: list[bytes] = []
        size = 0
        for piece in pieces:
            chunk.append(piece)
            size += len(piece)
            if size >= WRITE_BYTES:
                out.write(b"".join(chunk))
                chunk, size = [], 0
        out.write(b"".join(chunk))
        out.commit()


WRITE_BYTES = 1 << 20


def _pieces(tables: Tables, spans: Spans | None = None) -> Iterator[bytes]:
    """The snapshot's bytes; `spans`, if given, is filled with where each document goes."""
    at = len(HEAD)
    yield HEAD
    last_table = len(tables) - 1
    for t, (name, docs) in enumerate(tables.items()):
        header = orjson.dumps(str(name)) + b":{\n"
        at += len(header)
        yield header
        placed = spans.setdefault(str(name), []) if spans is not None else None
        last_doc = len(docs) - 1
        raw = getattr(docs, "raw", None)  # an on-demand table: its unchanged JSON as it is
        for d, doc_id in enumerate(docs):
            body = raw(doc_id) if raw is not None else None
            if body is None:
                body = orjson.dumps(docs[doc_id])
            key = orjson.dumps(str(doc_id)) + b":"
            if placed is not None:
                placed.append((str(doc_id), at + len(key), len(body)))
            piece = key + body + (b",\n" if d < last_doc else b"\n")
            at += len(piece)
            yield piece
        closing = b"},\n" if t < last_table else b"}\n"
        at += len(closing)
        yield closing
    yield b"}\n"


def decode(raw: bytes) -> Any:
    """`read` of bytes already in memory."""
    return read(io.BytesIO(raw))


def read(fh: BinaryIO) -> Any:
    """The parsed JSON of the file `fh` (raises orjson.JSONDecodeError if it is not valid
    JSON). In the layout of `encode` it is read a slice at a time, so that the whole file
    is never in memory beside what it parses to (74 MB less at the peak with 25k active
    tickets); any other layout is read and parsed whole."""
    head = fh.read(len(HEAD))
    if head == HEAD:
        reader = _LineReader()
        try:
            pending = b""
            while True:
                block = fh.read(SLICE_BYTES)
                data = pending + block
                cut = data.rfind(b"\n") + 1 if block else len(data)
                data, pending = data[:cut], data[cut:]
                reader.feed(data)
                if not block:
                    break
            if reader.done:
                return reader.tables
        except (orjson.JSONDecodeError, ValueError):
            pass  # parsed whole below, for an error that says where in the file
        fh.seek(0)
        head = b""
    rest = head + fh.read()
    return orjson.loads(rest) if rest.strip() else {}


class _LineReader:
    """The tables of `encode`'s layout from its lines, fed in chunks of whole lines."""

    def __init__(self) -> None:
        self.tables: Tables = {}
        self.done = False
        self._docs: dict[str, Any] | None = None  # the table being read

    def feed(self, data: bytes) -> None:
        pos, size = 0, len(data)
        while pos < size:
            if self.done:
                if data[pos:].strip():
                    raise ValueError("text after the closing brace")
                return
            if self._docs is None:  # a table's header, or the closing brace of the whole
                end = data.find(b"\n", pos)
                end = size if end < 0 else end
                line = data[pos:end]
                if line == b"}":
                    self.done = True
                elif line.startswith(b'"') and line.endswith(b":{"):
                    self._docs = self.tables.setdefault(orjson.loads(line[:-2]), {})
                else:
                    raise ValueError("not a table header")
                pos = end + 1
                continue
            # documents up to the table's closing line (a document line starts with a quote)
            close = pos if data.startswith(b"}", pos) else data.find(b"\n}", pos) + 1 or -1
            body_end = size if close < 0 else close
            if body_end > pos:
                self._docs.update(orjson.loads(b"{" + data[pos:body_end].rstrip(b",\n") + b"}"))
            if close < 0:
                return
            end = data.find(b"\n", close)
            if data[close:size if end < 0 else end] not in (b"}", b"},"):
                raise ValueError("not a table's closing line")
            pos, self._docs = (size if end < 0 else end + 1), None
