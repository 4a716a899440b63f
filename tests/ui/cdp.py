"""A small DevTools-protocol client for headless Chromium (Debian's `chromium`), over
aiohttp's websocket client: start the browser, load a page, run JS, type keys, screenshot."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

LISTENING = re.compile(rb"DevTools listening on (ws://[^\s]+)")
# What a page receives on its websockets, kept as text (textual-serve sends the terminal's
# bytes there): read back with `received()`.
CAPTURE = """
(() => {
  const Original = window.WebSocket;
  window.__received = [];
  window.WebSocket = function (...args) {
    const socket = new Original(...args);
    const decoder = new TextDecoder();
    socket.addEventListener("message", (event) => {
      if (event.data instanceof ArrayBuffer) {
        window.__received.push(decoder.decode(new Uint8Array(event.data), {stream: true}));
      }
    });
    return socket;
  };
  window.WebSocket.prototype = Original.prototype;
  Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
})();
"""
ANSI = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b.")
KEYS = {"enter": ("Enter", "Enter", 13, "\r"), "escape": ("Escape", "Escape", 27, "")}


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    """One headless Chromium with one page; `async with Browser() as page:`."""

    def __init__(self, width: int = 1280, height: int = 800) -> None:
        self.width, self.height = width, height
        self._ids = itertools.count(1)

    async def __aenter__(self) -> "Browser":
        self._profile = tempfile.mkdtemp(prefix="desk-chromium-")
        self._process = subprocess.Popen(
            [chromium() or "chromium", "--headless=new", "--no-sandbox", "--disable-gpu",
             "--no-first-run", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
             f"--user-data-dir={self._profile}", f"--window-size={self.width},{self.height}",
             "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        browser_ws = await asyncio.to_thread(self._listening)
        port = browser_ws.split(":")[2].split("/")[0]
        self._http = aiohttp.ClientSession()
        async with self._http.get(f"http://127.0.0.1:{port}/json/list") as reply:
            pages = [t for t in await reply.json(content_type=None) if t["type"] == "page"]
        self._ws = await self._http.ws_connect(pages[0]["webSocketDebuggerUrl"], max_msg_size=0)
        await self.call("Page.enable")
        await self.call("Runtime.enable")
        await self.call("Page.addScriptToEvaluateOnNewDocument", source=CAPTURE)
        return self

    def _listening(self) -> str:
        deadline = time.monotonic() + 60
        seen = b""
        while time.monotonic() < deadline:
            line = self._process.stderr.readline()  # type: ignore[union-attr]
            if not line and self._process.poll() is not None:
                break
            seen += line
            found = LISTENING.search(line)
            if found:
                return found.group(1).decode()
        raise RuntimeError(f"chromium did not start: {seen.decode(errors='replace')[-800:]}")

    async def __aexit__(self, *exc: Any) -> None:
        try:
            await self._ws.close()
            await self._http.close()
        finally:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
            shutil.rmtree(self._profile, ignore_errors=True)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        number = next(self._ids)
        await self._ws.send_str(json.dumps({"id": number, "method": method, "params": params}))
        while True:
            message = await asyncio.wait_for(self._ws.receive(), 60)
            if message.type != aiohttp.WSMsgType.TEXT:
                raise RuntimeError(f"the DevTools connection closed: {message}")
            data = json.loads(message.data)
            if data.get("id") == number:
                if "error" in data:
                    raise RuntimeError(f"{method}: {data['error']}")
                return data.get("result", {})

    async def evaluate(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    async def navigate(self, url: str) -> None:
        await self.call("Page.navigate", url=url)

    async def received(self) -> str:
        """Everything the page's websockets brought, with the terminal's escapes taken out."""
        return ANSI.sub("", await self.evaluate("(window.__received || []).join('')") or "")

    async def press(self, key: str) -> None:
        """A key as the browser gets it from a keyboard (into the focused terminal)."""
        if key in KEYS:
            name, code, vk, text = KEYS[key]
        else:
            name, code, vk, text = key, f"Key{key.upper()}", ord(key.upper()), key
        down = {"key": name, "code": code, "windowsVirtualKeyCode": vk}
        await self.call("Input.dispatchKeyEvent", type="keyDown", text=text, **down)
        await self.call("Input.dispatchKeyEvent", type="keyUp", **down)

    async def screenshot(self, path: Path) -> None:
        shot = await self.call("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(shot["data"]))
