"""User text is data: the one safe-text path for anything that reaches a terminal (or a
spreadsheet).

Control characters are shown as visible symbols (ESC as ␛, BEL as ␇, NUL as ␀, a lone CR
as ␍), bidi overrides and C1 controls as �, and tabs are expanded. No Textual here: the CLI
and the app both use it (`tui.ui.text` builds Textual `Content` from it).
"""

from __future__ import annotations

TAB_SIZE = 4
_CONTROL = {code: chr(0x2400 + code) for code in range(0x20) if code not in (0x09, 0x0A)}
_CONTROL[0x7F] = "\u2421"  # ␡
_CONTROL.update({code: "\ufffd" for code in range(0x80, 0xA0)})
_CONTROL.update({code: "\ufffd" for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))})
_ONE_LINE = {**_CONTROL, 0x0A: " ", 0x09: " "}


def clean(text: object) -> str:
    """Multi-line text, safe to show: controls visible, CRLF to LF, tabs expanded."""
    value = "" if text is None else str(text)
    value = value.replace("\r\n", "\n")
    if "\t" in value:
        value = "\n".join(line.expandtabs(TAB_SIZE) for line in value.split("\n"))
    return value.translate(_CONTROL)


def one_line(text: object) -> str:
    """Like `clean`, for a single row: newlines and tabs become spaces."""
    value = "" if text is None else str(text)
    return value.replace("\r\n", "\n").translate(_ONE_LINE)


# OWASP's CSV injection rule: a cell starting with one of these is a formula to a spreadsheet.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> object:
    """A CSV cell: a string on one line with every control shown (`one_line`, in a file or a
    pipe too) and, if a spreadsheet would run it as a formula (also after leading blanks,
    which some spreadsheets strip), a leading `'`. Anything but a string (a number, even a
    negative one) is returned as it is."""
    if not isinstance(value, str):
        return value
    shown = one_line(value)
    formula = value.startswith(FORMULA_START) or shown.lstrip().startswith(FORMULA_START) \
        or value.lstrip().startswith(FORMULA_START)
    return f"'{shown}" if formula else shown
