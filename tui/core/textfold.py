"""Case- and accent-insensitive matching: `vanzari` finds `vânzări`."""

from __future__ import annotations

import re
import unicodedata

# Letters that NFKD does not decompose into a base letter plus a mark.
_SPECIAL = str.maketrans({"ø": "o", "æ": "ae", "å": "a", "ß": "ss", "đ": "d", "ł": "l", "ı": "i", "œ": "oe", "þ": "th", "ð": "d"})
# The combining diacritical marks that Latin letters decompose into (U+034F, the grapheme
# joiner, has combining class 0 and is kept, as unicodedata.combining says).
_LATIN_MARKS = re.compile("[\u0300-\u034e\u0350-\u036f]+")


class _Table(dict):
    """A str.translate table filled on first sight of each character: drops every combining
    mark and maps the _SPECIAL letters; other characters map to themselves."""

    def __missing__(self, code: int) -> int | str | None:
        char = chr(code)
        out: int | str | None
        if unicodedata.combining(char):
            out = None
        else:
            mapped = char.translate(_SPECIAL)
            out = mapped if mapped != char else code
        self[code] = out
        return out


_TABLE = _Table()


def fold(text: str) -> str:
    """Lower-case, strip diacritics and map ø/æ/ß-like letters to ASCII."""
    text = text.casefold()
    if text.isascii():
        return text
    text = _LATIN_MARKS.sub("", unicodedata.normalize("NFKD", text))
    if text.isascii():  # most accented Latin text ends here, without a per-character loop
        return text
    return text.translate(_TABLE)
