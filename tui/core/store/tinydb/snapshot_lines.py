"""Parts of a snapshot read from its lines (the layout of snapshot.encode: one table header,
document or closing brace a line), without parsing the rest: where each table's lines are,
one whole table, or a few documents of one. A header is the only line that ends in `:{` (a
document line ends in `}` or `},`), so one pass over the file finds every table."""

from __future__ import annotations

import mmap
import os
from typing import Any

import orjson

from .snapshot import HEAD

Spans = dict[str, tuple[int, int]]  # table -> (first byte of its documents, its closing line)


def table_spans(fd: int) -> Spans | None:
    """Each table's span in the snapshot open at `fd`; None for another layout."""
    if os.fstat(fd).st_size == 0:
        return None
    spans: Spans = {}
    with mmap.mmap(fd, 0, access=mmap.ACCESS_READ) as data:
        if data[:len(HEAD)] != HEAD:
            return None
        pos = len(HEAD) - 1
        while True:
            at = data.find(b":{\n", pos)
            if at < 0:
                return spans
            line = data.rfind(b"\n", 0, at) + 1
            try:
                name = orjson.loads(data[line:at])
            except orjson.JSONDecodeError:
                return None
            start = at + 3
            close = start if data[start:start + 1] == b"}" else data.find(b"\n}", start) + 1
            if close <= 0 or not isinstance(name, str):
                return None
            spans[name] = (start, close)
            pos = close


def whole_table(fd: int, span: tuple[int, int] | None) -> dict[str, dict[str, Any]] | None:
    """The documents of the table at `span` ({} for no table); None if they do not parse."""
    if span is None or span[0] == span[1]:
        return {}
    with mmap.mmap(fd, 0, access=mmap.ACCESS_READ) as data:
        body = data[span[0]:span[1]].rstrip(b",\n")
    try:
        table = orjson.loads(b"{" + body + b"}")
    except orjson.JSONDecodeError:
        return None
    return table if isinstance(table, dict) else None


def some_docs(fd: int, span: tuple[int, int] | None, keys: set[str]
              ) -> dict[str, dict[str, Any]] | None:
    """The documents of `keys` in the table at `span` (those it holds), each parsed from its
    own line; None if one does not parse."""
    if span is None or not keys or span[0] == span[1]:
        return {}
    wanted = {b'"' + k.encode() + b'":' for k in keys}
    found: dict[str, dict[str, Any]] = {}
    with mmap.mmap(fd, 0, access=mmap.ACCESS_READ) as data:
        lines = data[span[0]:span[1]].split(b"\n")
    for line in lines:
        cut = line.find(b":")
        if line[:cut + 1] in wanted:
            try:
                found[orjson.loads(line[:cut])] = orjson.loads(line[cut + 1:].rstrip(b","))
            except orjson.JSONDecodeError:
                return None
    return found
