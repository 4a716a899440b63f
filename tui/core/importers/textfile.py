"""Opening an export as text, whatever wrote it: a BOM, UTF-16 from Excel, Latin-1 or cp1252
(charset-normalizer guesses from the head of the file), streamed, with the bytes read so
far counted for the progress bar."""

from __future__ import annotations

import codecs
import io
from pathlib import Path
from typing import BinaryIO

from charset_normalizer import from_bytes

SAMPLE_BYTES = 1 << 18
SPREADSHEET_PAGES = ("cp1252", "latin_1", "iso8859_15", "cp1250", "cp1251", "cp1253", "cp1254")
# DOS's pages: Excel's "CSV (MS-DOS)" writes them, but far less often than the ANSI pages,
# and a short ANSI export often reads a little "cleaner" in one of them (cp775 for "Zoë Müller;
# Akku lädt nicht": 0.0 against cp1252's 0.04). When one is the cleanest reading, a
# spreadsheet's page that is nearly as clean is preferred.
DOS_PAGES = ("cp437", "cp720", "cp737", "cp775", "cp850", "cp852", "cp855", "cp857", "cp858",
             "cp860", "cp861", "cp862", "cp863", "cp864", "cp865", "cp866", "cp869", "cp1125")
CLEAN_ENOUGH, NEARLY_AS_CLEAN_AS_DOS = 0.005, 0.05


class Counted(io.RawIOBase):
    """A binary file that counts what was read from it."""

    def __init__(self, raw: BinaryIO):
        self._raw = raw
        self.done = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._raw.readinto(buffer)
        self.done += n or 0
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


def detect_encoding(head: bytes) -> str:
    """The file's encoding from its first bytes: a BOM, else UTF-8 if they decode as such,
    else charset-normalizer's best guess (cp1252 when it has none)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3 and len(head) >= SAMPLE_BYTES:  # a character cut at the end
            return "utf-8"
    matches = list(from_bytes(head))
    if not matches:
        return "cp1252"
    # Short exports decode cleanly in several code pages; among the clean ones, prefer what
    # spreadsheet programs write (Excel's ANSI page for Western Europe, then Latin-1; Mac
    # Roman first for a file with an old Mac's line ends, as Excel for Mac writes CSV).
    mac = b"\r" in head and b"\n" not in head
    wanted = (("mac_roman",) if mac else ()) + SPREADSHEET_PAGES
    cleanest = min(matches, key=lambda m: m.chaos)
    margin = NEARLY_AS_CLEAN_AS_DOS if cleanest.encoding.startswith(DOS_PAGES) else CLEAN_ENOUGH
    clean = [m for m in matches if m.chaos <= cleanest.chaos + margin]
    for name in wanted:
        for match in clean:
            if name in match.could_be_from_charset:
                return name
    return [m for m in clean if m.chaos <= cleanest.chaos + CLEAN_ENOUGH][0].encoding


def open_text(path: Path) -> tuple[io.TextIOWrapper, Counted, str]:
    """The file as text (universal newlines left to the CSV reader), its byte counter and
    encoding. Undecodable bytes become U+FFFD, never an error."""
    raw = open(path, "rb")  # an export the user names: read as given
    head = raw.read(SAMPLE_BYTES)
    raw.seek(0)
    encoding = detect_encoding(head)
    counted = Counted(raw)
    text = io.TextIOWrapper(io.BufferedReader(counted, 1 << 16), encoding=encoding,
                            errors="replace", newline="")
    return text, counted, encoding
