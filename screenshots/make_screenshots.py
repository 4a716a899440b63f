"""Regenerate screenshots/*.svg and *.png from the current code and the demo store.

    python screenshots/make_screenshots.py

Each shot runs DeskApp headless (App.run_test) on a private copy of data/demo
(times moved to now), drives it with Pilot and saves App.export_screenshot();
rsvg-convert (apt-get install librsvg2-bin) turns the SVGs into PNGs.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Awaitable, Callable

from textual.pilot import Pilot

from tui.app import DeskApp
from tui.core.demo import copy_demo
from tui.core.paths import demo_store
from tui.core.store import TinyDBStore

HERE = Path(__file__).resolve().parent
AGENT = "aino"  # an agent of the demo store, so that "My open" has tickets
Steps = Callable[[Pilot], Awaitable[None]]


async def settle(pilot: Pilot) -> None:
    """Wait until the queue is shown and the detail pane has its ticket and thread."""
    screen = pilot.app.screen
    for _ in range(300):
        ticket = getattr(screen, "ticket", None)
        if screen.queue_panel.shown and ticket and \
                screen.detail.shown_messages() == [m.id for m in ticket.messages]:
            break
        await pilot.pause(0.02)
    await pilot.pause(0.3)


async def main_screen(pilot: Pilot) -> None:
    await pilot.press("j", "j", "j")


async def filtered(pilot: Pilot) -> None:
    await pilot.press("slash", *"lang:fi priority:urgent", "enter")
    await pilot.pause(0.5)


async def composer(pilot: Pilot) -> None:
    await pilot.press("slash", *"lang:fi priority:urgent", "enter")
    await pilot.pause(0.5)
    await settle(pilot)
    await pilot.press("m")
    await pilot.pause(0.3)
    await pilot.press("enter")  # the first macro: "Thanks, solved"


async def help_screen(pilot: Pilot) -> None:
    await pilot.press("question_mark")


async def palette(pilot: Pilot) -> None:
    await pilot.press("ctrl+p")
    await pilot.pause(0.3)
    await pilot.press(*"takuu")
    await pilot.pause(0.8)


async def new_ticket(pilot: Pilot) -> None:
    await pilot.press("N")
    await pilot.pause(0.3)
    await pilot.press(*"jyr")
    await pilot.pause(0.3)
    await pilot.press("enter")
    await pilot.pause(0.2)
    form = pilot.app.screen
    form.query_one("#subject").value = "Router loses Wi-Fi after the update"
    form.query_one("#body").text = "Calling: the router drops Wi-Fi every hour since Tuesday."


async def bulk(pilot: Pilot) -> None:
    await pilot.press("space", "j", "space", "j", "space")
    await pilot.pause(0.2)
    await pilot.press("s")
    await pilot.pause(0.3)
    await pilot.press("down", "down", "down", "down", "enter")  # solved


async def merge(pilot: Pilot) -> None:
    await pilot.press("slash", *"customer:C-46", "enter")
    await pilot.pause(0.5)
    await settle(pilot)
    await pilot.press("M")
    await pilot.pause(0.3)


async def search_everywhere(pilot: Pilot) -> None:
    await pilot.press("F")
    await pilot.pause(0.3)
    await pilot.press(*"zaruka")  # záruka, typed without its accent
    await pilot.pause(1.5)


async def sync_conflicts(pilot: Pilot) -> None:
    await pilot.press("C")
    await pilot.pause(0.5)


def replica_with_conflicts(data: Path) -> Path:
    """A laptop replica of the demo store where two fields changed on both sides since."""
    from tui.core.sync import clone, sync

    team = data.with_name(f"{data.name}-team")
    data.rename(team)
    clone(str(team), data)
    changes = [(0, {"priority": "urgent"}, {"priority": "low"}),
               (1, {"status": "pending"}, {"status": "on_hold"})]
    laptop, host = TinyDBStore(data, agent=AGENT), TinyDBStore(team, agent="ola")
    try:
        docs = laptop.ticket_docs()
        for index, mine, theirs in changes:
            ticket_id = docs[index]["id"]
            laptop.update_ticket(ticket_id, mine, laptop.get_ticket(ticket_id).rev)
            host.update_ticket(ticket_id, theirs, host.get_ticket(ticket_id).rev)
        sync(laptop)
    finally:
        laptop.close()
        host.close()
    return data


SHOTS: list[tuple[str, tuple[int, int], Steps]] = [
    ("main-120x40", (120, 40), main_screen),
    ("main-80x24", (80, 24), main_screen),
    ("filter", (120, 40), filtered),
    ("composer", (120, 40), composer),
    ("help", (120, 40), help_screen),
    ("palette", (120, 40), palette),
    ("new-ticket", (120, 40), new_ticket),
    ("new-ticket-80x24", (80, 24), new_ticket),
    ("bulk", (120, 40), bulk),
    ("merge", (120, 40), merge),
    ("search", (120, 40), search_everywhere),
    ("sync-conflicts", (120, 40), sync_conflicts),
]
PREPARE: dict[str, Callable[[Path], Path]] = {"sync-conflicts": replica_with_conflicts}


async def shoot(name: str, size: tuple[int, int], steps: Steps, workdir: Path) -> Path:
    data = workdir / name
    copy_demo(demo_store(), data, datetime.now(timezone.utc))
    if name in PREPARE:
        data = PREPARE[name](data)
    config = workdir / f"{name}-config" / "config.toml"
    config.parent.mkdir()
    config.write_text('theme = "textual-dark"\n')
    store = TinyDBStore(data, agent=AGENT)
    try:
        app = DeskApp(store, agent=AGENT, config_path=config)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await steps(pilot)
            await pilot.pause(0.5)
            svg = HERE / f"{name}.svg"
            svg.write_text(app.export_screenshot(title=f"desk · {name}"), encoding="utf-8")
    finally:
        store.close()
    return svg


def to_png(svg: Path) -> None:
    # Rich writes spaces as &#160;; without xml:space="preserve" librsvg drops leading ones.
    text = svg.read_text(encoding="utf-8").replace("<svg ", '<svg xml:space="preserve" ', 1)
    subprocess.run(["rsvg-convert", "-o", str(svg.with_suffix(".png"))],
                   input=text.encode("utf-8"), check=True)


async def main() -> int:
    if shutil.which("rsvg-convert") is None:
        sys.stderr.write("rsvg-convert is missing: apt-get install -y librsvg2-bin\n")
        return 1
    with tempfile.TemporaryDirectory(prefix="desk-shots-") as tmp:
        only = set(sys.argv[1:])  # names of the shots to make again; none: all of them
        for name, size, steps in [shot for shot in SHOTS if not only or shot[0] in only]:
            svg = await shoot(name, size, steps, Path(tmp))
            to_png(svg)
            print(f"{svg.relative_to(HERE.parent)} and .png")
    if not only or "browser" in only:
        browser_shot()
    return 0


def browser_shot() -> None:
    """screenshots/browser.png: the browser test (desk serve + headless Chromium) takes it."""
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        print("chromium is missing (apt-get install -y chromium): browser.png left as it is")
        return
    env = {**os.environ, "DESK_SCREENSHOTS": str(HERE)}
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    str(HERE.parent / "tests" / "ui" / "test_browser.py")], env=env, check=True,
                   cwd=HERE.parent)
    print("screenshots/browser.png")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
