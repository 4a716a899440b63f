"""The private Textual/Rich API desk relies on (tui/ui/textual_private.py) is all there.

A Textual or Rich upgrade that renames or drops one of these fails here first, naming the
installed versions, instead of breaking the quiet driver or the one-frame Down somewhere else.
"""

from __future__ import annotations

from textual.app import App
from textual.drivers.linux_driver import LinuxDriver
from textual.widgets import Static

from tui.ui import textual_private


async def test_every_private_attribute_desk_uses_is_there():
    app = App()
    async with app.run_test(size=(40, 10)) as pilot:
        widget = Static("x")
        await app.mount(widget)
        await pilot.pause()
        parser = textual_private.XTermParser()
        driver = LinuxDriver.__new__(LinuxDriver)
        LinuxDriver.__init__(driver, app)
        gone = textual_private.missing({"App": app, "Screen": app.screen, "Widget": widget,
                                        "XTermParser": parser, "LinuxDriver": driver})
    assert gone == [], (f"{textual_private.versions()}: desk's private API use is broken: "
                        f"{', '.join(gone)} gone; see tui/ui/textual_private.py")


def test_the_check_names_what_is_gone():
    class Bare:
        pass

    gone = textual_private.missing({"App": Bare(), "XTermParser": Bare()})
    assert "App._batch_count" in gone and "XTermParser._timeout_time" in gone


def test_divide_line_wraps_as_the_panes_expect():
    assert textual_private.divide_line("aaa bbb", 4, fold=True) == [4]
    assert textual_private.parser_deadline(textual_private.XTermParser()) is None
