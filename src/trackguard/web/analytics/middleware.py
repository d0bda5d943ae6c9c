"""The counting middleware: watches responses and counts page views once they are sent.

A pure ASGI middleware, outermost, so it sees the final status and content type
of every response. Counting runs after the response is complete, in a worker
thread (the database calls block), so a visitor never waits for it; a failure is
logged by its kind only (never an address, agent or path) and costs the page nothing.
"""

from __future__ import annotations

import functools
import logging

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trackguard.runtime import Runtime
from trackguard.web.analytics.counting import count_page_view
from trackguard.web.analytics.salts import salt_lifetime
from trackguard.web.analytics.visit import is_page, may_count, page_view

log = logging.getLogger(__name__)


class VisitorCounter:
    """Counts the page views of `app` into the runtime's database."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime
        self.lifetime = salt_lifetime(runtime.policy)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in scope.get("headers", [])
        }
        if not may_count(scope["method"], scope["path"], headers):
            await self.app(scope, receive, send)
            return
        response: dict[str, object] = {}

        async def watching_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() == b"content-type":
                        response["content_type"] = value.decode("latin-1")
            await send(message)

        await self.app(scope, receive, watching_send)
        status = response.get("status")
        content_type = response.get("content_type")
        if isinstance(status, int) and is_page(status, str(content_type or "")):
            await self._count(scope, headers)

    async def _count(self, scope: Scope, headers: dict[str, str]) -> None:
        now = self.runtime.clock()
        view = page_view(
            path=scope["path"], path_params=scope.get("path_params", {}), headers=headers, now=now
        )
        if view is None:
            return
        client = scope.get("client")
        count = functools.partial(
            count_page_view,
            self.runtime.db,
            view,
            address=client[0] if client else "",
            user_agent=headers.get("user-agent", ""),
            now=now,
            lifetime=self.lifetime,
        )
        try:
            await anyio.to_thread.run_sync(count)
        except Exception as exc:  # statistics must never break a page
            log.warning("visitor statistics: a page view was not counted (%s)", type(exc).__name__)
