"""Case- and accent-insensitive matching: `vanzari` finds `vânzări`."""

from __future__ import annotations

import unicodedata

# Letters that NFKD does not decompose into a base letter plus a mark.
_SPECIAL = str.maketrans({"ø": "o", "æ": "ae", "å": "a", "ß": "ss", "đ": "d", "ł": "l", "ı": "i", "œ": "oe", "þ": "th", "ð": "d"})


def fold(text: str) -> str:
    """Lower-case, strip diacritics and map ø/æ/ß-like letters to ASCII."""
    text = text.casefold()
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.translate(_SPECIAL)
