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
document or a closing brace. `decode` parses such a file a slice (~1 MB) at a time: orjson
holds the interpreter for the whole of one call, so one call over 114 MB (70k tickets) froze
every other thread, the UI's among them, for a second; between slices they run. Any other
layout (an older desk, stock TinyDB) is parsed in one call.
"""

from __future__ import annotations

import gc
import os
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Iterator

import orjson

Tables = dict[str, dict[str, dict[str, Any]]]
Stamp = list[int]  # [st_mtime_ns, st_size, crc32 of its first and last 64 KiB]
HEAD = b"{\n"
SLICE_BYTES = 1 << 20
EDGE = 64 * 1024


@contextmanager
def bulk_objects() -> Iterator[None]:
    """Parse a snapshot without the cyclic GC, then move what was built out of its reach.

    A parse creates millions of dicts and lists; every time the heap grows by a quarter the
    GC walks all of it, which made up a third of the parse at 100k tickets. Parsed JSON holds
    no reference cycles (refcounting frees it), so after the parse `gc.freeze()` moves it to
    the permanent generation, where later full collections (0.2-0.7 s at 100k, a visible
    stall in the app) no longer walk it. Objects alive at that moment that later become
    cyclic garbage stay allocated: a few widgets per reload at most.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.freeze()


def file_stamp(path: Path) -> Stamp | None:
    """The identity of a snapshot file by its content, for the files derived from it (the
    archive index, the queue summary): a compaction or an edit changes it, a copy that keeps
    the modification time (`cp -p`, a backup restored) does not."""
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            edges = f.read(EDGE)
            if st.st_size > EDGE:
                f.seek(max(EDGE, st.st_size - EDGE))
                edges += f.read(EDGE)
    except FileNotFoundError:
        return None
    return [st.st_mtime_ns, st.st_size, zlib.crc32(edges)]


def fd_stamp(fd: int, st: os.stat_result) -> Stamp:
    """`file_stamp` of an open file (`st` is its fstat)."""
    edges = os.pread(fd, EDGE, 0)
    if st.st_size > EDGE:
        start = max(EDGE, st.st_size - EDGE)
        edges += os.pread(fd, st.st_size - start, start)
    return [st.st_mtime_ns, st.st_size, zlib.crc32(edges)]


def bytes_stamp(raw: bytes, st: os.stat_result) -> Stamp:
    """`file_stamp` of a file whose bytes (`raw`) and stat were read together."""
    edges = raw[:EDGE] + (raw[max(EDGE, len(raw) - EDGE):] if len(raw) > EDGE else b"")
    return [st.st_mtime_ns, st.st_size, zlib.crc32(edges)]


def encode(tables: Tables) -> bytes:
    parts = [HEAD]
    last_table = len(tables) - 1
    for t, (name, docs) in enumerate(tables.items()):
        parts.append(orjson.dumps(str(name)) + b":{\n")
        last_doc = len(docs) - 1
        for d, (doc_id, doc) in enumerate(docs.items()):
            parts.append(orjson.dumps(str(doc_id)) + b":" + orjson.dumps(doc)
                         + (b",\n" if d < last_doc else b"\n"))
        parts.append(b"},\n" if t < last_table else b"}\n")
    parts.append(b"}\n")
    return b"".join(parts)


def decode(raw: bytes) -> Any:
    """The parsed JSON of `raw` (raises orjson.JSONDecodeError if it is not valid JSON)."""
    if raw.startswith(HEAD):
        try:
            tables = _decode_lines(raw)
        except orjson.JSONDecodeError:
            tables = None  # parsed whole below, for an error that says where in the file
        if tables is not None:
            return tables
    return orjson.loads(raw)


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


def _decode_lines(raw: bytes) -> Tables | None:
    """`raw` in the layout of `encode`, parsed a slice at a time; None if it is not."""
    tables: Tables = {}
    pos, end = len(HEAD), len(raw.rstrip())
    if raw[end - 1:end] != b"}":
        return None
    end -= 1  # the closing brace of the whole
    while pos < end:
        header_end = raw.find(b"\n", pos)
        if header_end < 0 or not raw.startswith(b'"', pos):
            return None
        header = raw[pos:header_end]
        if not header.endswith(b":{"):
            return None
        docs: dict[str, Any] = {}
        tables[orjson.loads(header[:-2])] = docs
        body = header_end + 1
        close = raw.find(b"\n}", header_end)  # a document line starts with a quote, never }
        if raw.startswith(b"}", body):
            close = body - 1
        if close < 0:
            return None
        while body < close:
            cut = raw.find(b"\n", min(body + SLICE_BYTES, close))
            cut = close if cut < 0 or cut > close else cut
            docs.update(orjson.loads(b"{" + raw[body:cut].rstrip(b",\n") + b"}"))
            body = cut + 1
        pos = raw.find(b"\n", close + 1) + 1
        if pos == 0:
            return None
    return tables
