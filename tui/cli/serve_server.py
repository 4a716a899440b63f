"""textual-serve's Server, with every request checked for desk's access token."""

from __future__ import annotations

import hmac
import sys
from typing import Any

from aiohttp import web
from textual_serve.server import Server

COOKIE = "desk_token"


def token_matches(given: str | None, token: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


class DeskServer(Server):
    def __init__(self, command: str, *, token: str, url: str, **kwargs: Any) -> None:
        super().__init__(command, **kwargs)
        self.token = token
        self.url = url

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self._require_token)
        return app

    @web.middleware
    async def _require_token(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """The token in the query (the printed URL) or the cookie it sets; else 403."""
        in_query = request.query.get("token")
        if not (token_matches(in_query, self.token)
                or token_matches(request.cookies.get(COOKIE), self.token)):
            return web.Response(status=403, text="desk serve: open the URL that desk serve "
                                "printed; it carries the access token.\n")
        response = await handler(request)
        if in_query is not None and isinstance(response, web.Response | web.StreamResponse) \
                and not response.prepared:
            response.set_cookie(COOKIE, self.token, httponly=True, samesite="Strict")
        return response

    async def on_startup(self, app: web.Application) -> None:
        print(f"desk serve: open {self.url}", flush=True)
        print("desk serve: ctrl+c stops it", file=sys.stderr, flush=True)
