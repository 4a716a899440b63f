"""Records from an API export file, whatever shape it was saved in, streamed (ijson): a JSON
array (`[{...}, ...]`), JSON Lines (one record a line), a wrapped page
(`{"tickets": [...], "contacts": [...], "total": 2}`) or one object (a single ticket as
`GET /tickets/1?include=conversations` returns it). Each record comes with where it is in the
file, for problems: `[3]`, `tickets[3]`, a line number, or `(record)`."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Callable, Iterator

import ijson
import orjson

from .textfile import Counted

HEAD_BYTES = 1 << 16
# Keys of a page that are about the page, not records (search results carry a total).
PAGE_META = frozenset({"total", "count", "next_page", "previous_page", "page", "per_page", "meta",
                       "links", "end_of_stream", "after_cursor", "before_cursor"})
BAD = "__bad__"  # a record that is not one: {"__bad__": reason}


def _shape(head: bytes, wrappers: frozenset[str]) -> str:
    """array | lines | page | single, from the first bytes of the file."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"["):
        return "array"
    first, _, rest = text.partition(b"\n")
    try:
        obj = orjson.loads(first.strip())
    except orjson.JSONDecodeError:
        obj = None
    if isinstance(obj, dict) and (not _is_page(obj, wrappers) or rest.strip()):
        return "lines"  # a record a line (a ticket may hold "conversations"), or a page a line
    try:
        for prefix, event, value in ijson.parse(io.BytesIO(text)):
            if prefix == "" and event == "map_key":
                if value in wrappers:
                    return "page"
                if value not in PAGE_META:
                    return "single"
    except ijson.JSONError:
        pass
    return "single"


def _is_page(obj: dict, wrappers: frozenset[str]) -> bool:
    keys = set(obj)
    return bool(keys & wrappers) and keys <= wrappers | PAGE_META


def records(path: Path, wrappers: frozenset[str], on_open: Callable[[Counted], None] | None = None
            ) -> Iterator[tuple[str | int, str | None, dict]]:
    """(where, the page key it came under or None, record) for every record of the file.
    A line or item that is not a JSON object comes as {BAD: reason}."""
    raw = open(path, "rb")  # an export the user names: read as given
    with raw:
        head = raw.read(HEAD_BYTES)
        if not head.strip():
            yield "(file)", None, {BAD: "the file is empty"}
            return
        shape = _shape(head, wrappers)
        raw.seek(0)
        fh = Counted(raw)
        if on_open:
            on_open(fh)
        try:
            if shape == "lines":
                yield from _lines(fh, wrappers)
            elif shape == "array":
                for number, obj in enumerate(ijson.items(fh, "item", use_float=True)):
                    yield f"[{number}]", None, _record(obj)
            elif shape == "page":
                yield from _page(fh, wrappers)
            else:
                for obj in ijson.items(fh, "", use_float=True):
                    yield "(record)", None, _record(obj)
        except ijson.JSONError as exc:
            yield "(file)", None, {BAD: f"not valid JSON ({' '.join(str(exc).split())})"}


def _record(obj: object) -> dict:
    return obj if isinstance(obj, dict) else {BAD: f"not a JSON object but {type(obj).__name__}"}


def _lines(fh: Counted, wrappers: frozenset[str]) -> Iterator[tuple[int | str, str | None, dict]]:
    """A record a line, or a page a line (API responses saved one per line)."""
    for number, line in enumerate(io.BufferedReader(fh, 1 << 16), 1):
        if not line.strip():
            continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield number, None, {BAD: f"not valid JSON ({exc})"}
            continue
        if isinstance(obj, dict) and _is_page(obj, wrappers):
            for key in sorted(set(obj) & wrappers):
                items = obj[key] if isinstance(obj[key], list) else [obj[key]]
                for i, item in enumerate(items):
                    yield f"{number}:{key}[{i}]", key, _record(item)
        else:
            yield number, None, _record(obj)


def _page(fh: Counted, wrappers: frozenset[str]) -> Iterator[tuple[str, str, dict]]:
    """The items of every wrapper array of a page, one at a time, however many arrays it has."""
    starts = {f"{key}.item": key for key in wrappers}
    counts = dict.fromkeys(wrappers, 0)
    builder = None
    current = ""
    for prefix, event, value in ijson.parse(fh, use_float=True):
        if builder is not None:
            builder.event(event, value)
            if prefix == current and event in ("end_map", "end_array"):
                key = starts[current]
                yield f"{key}[{counts[key]}]", key, _record(builder.value)
                counts[key] += 1
                builder = None
            continue
        if prefix in starts:
            key = starts[prefix]
            if event in ("start_map", "start_array"):
                builder = ijson.ObjectBuilder()
                builder.event(event, value)
                current = prefix
            else:  # a scalar where a record should be
                yield f"{key}[{counts[key]}]", key, _record(value)
                counts[key] += 1
