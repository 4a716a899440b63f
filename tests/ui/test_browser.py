"""`desk serve` in a real browser: headless Chromium loads the page, the queue arrives, keys
typed into the page move the cursor and open a ticket. Also: the access token is required.
Needs Debian's `chromium` (.ci/chromium.sh installs it); under CI (DESK_CI=1) it never skips."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pytest

from tests.ui.cdp import Browser, chromium
from tui.core.demo import copy_demo
from tui.core.paths import demo_store

pytestmark = pytest.mark.skipif(not chromium() and os.environ.get("DESK_CI") != "1",
                                reason="needs Debian's chromium (apt-get install chromium)")
URL = re.compile(r"open (http://\S+)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture
def store_dir(tmp_path) -> Path:
    target = tmp_path / "store"
    copy_demo(demo_store(), target, datetime.now(timezone.utc))
    return target


@pytest.fixture
def served(tmp_path, store_dir):
    """`desk serve` on a free port of 127.0.0.1; yields the URL it printed."""
    with desk_serve(["--data-dir", str(store_dir)], tmp_path) as url:
        yield url


@contextmanager
def desk_serve(store: list[str], tmp_path: Path, **more_env: str) -> Iterator[str]:
    """`desk STORE serve` on a free port of 127.0.0.1; the URL it printed, then it stops."""
    env = {**os.environ, "DESK_CONFIG_DIR": str(tmp_path / "config"), **more_env}
    env.pop("TEXTUAL_DRIVER", None)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", *store, "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = process.stdout.readline()  # type: ignore[union-attr]
        found = URL.search(line)
        assert found, f"desk serve printed {line!r}; stderr: {process.stderr.read()[-500:]}"
        wait_for_port(port)  # the URL is printed just before the server listens
        yield found.group(1)
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def listed(store_dir: Path) -> list[dict]:
    out = subprocess.run([sys.executable, "-m", "tui", "--data-dir", str(store_dir), "ticket",
                          "list", "--format", "json"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def first_words(store_dir: Path, ticket_id: str) -> list[str]:
    out = subprocess.run([sys.executable, "-m", "tui", "--data-dir", str(store_dir), "ticket",
                          "show", ticket_id, "--format", "json"], capture_output=True, text=True,
                         check=True)
    body = json.loads(out.stdout)["messages"][0]["body"]
    return [w for w in re.findall(r"\w{6,}", body)][:6]


async def until(page: Browser, test, what: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = await page.received()
        if test(text):
            return text
        await asyncio.sleep(0.25)
    raise AssertionError(f"the page never showed {what}; it had: {text[-1500:]!r}")


async def test_the_queue_in_a_browser_opens_a_ticket(served, store_dir, tmp_path):
    rows = listed(store_dir)
    second = rows[1]["id"]
    words = first_words(store_dir, second)
    async with Browser() as page:
        await page.navigate(served)
        screen = await until(page, lambda t: rows[0]["id"] in t and second in t, "the queue")
        assert "All open" in screen or "open" in screen
        unseen = [w for w in words if w not in screen]
        assert unseen, "the ticket's text is on screen before it is opened"
        await page.evaluate("document.querySelector('.xterm-helper-textarea').focus()")
        mark = len(screen)
        await page.press("j")
        await page.press("enter")
        await until(page, lambda t: any(w in t[mark:] for w in unseen), f"{second} opened")
        # screenshots/make_screenshots.py sets DESK_SCREENSHOTS to keep this one for the README
        keep = os.environ.get("DESK_SCREENSHOTS")
        await page.screenshot(Path(keep) / "browser.png" if keep else tmp_path / "browser.png")
        # The composer offers no $EDITOR here: it would run on the server, out of sight.
        mark = len(await page.received())
        await page.press("r")
        await until(page, lambda t: "Public reply" in t[mark:] and "Send" in t[mark:], "the composer")
        await asyncio.sleep(1)
        composing = (await page.received())[mark:]
        assert "Editor" not in composing and "Send" in composing


def test_requests_without_the_token_are_refused(served):
    bare = served.split("?")[0]
    for url in (bare, bare + "static/js/textual.js", bare + "ws", bare + "?token=wrong"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=30)
        assert refused.value.code == 403
    with urllib.request.urlopen(served, timeout=30) as page:
        assert page.status == 200 and "desk_token=" in page.headers["Set-Cookie"]
