"""Whether the response being made will show anything: HEAD runs a page but sends no body.

Every view of personal data writes an audit entry; a HEAD request (a link checker,
a monitor) shows nobody anything, so it must not. The back office asks with the
request in hand (`shows_content`); deeper code (the privacy centre's and the
Traccar API's audit helpers) asks `response_shows_content`, which reads the
method a small ASGI middleware notes for the request being handled.
"""

from __future__ import annotations

from contextvars import ContextVar

from starlette.types import ASGIApp, Receive, Scope, Send

BODILESS_METHODS = frozenset({"HEAD"})
_method: ContextVar[str] = ContextVar("request_method", default="GET")


def shows_content(method: str) -> bool:
    """Whether a response to `method` carries the page, so that someone may see it."""
    return method.upper() not in BODILESS_METHODS


def response_shows_content() -> bool:
    """`shows_content` of the request being handled (True outside a request: the CLI)."""
    return shows_content(_method.get())


class NoteRequestMethod:
    """Notes each HTTP request's method for `response_shows_content` (context-local,
    so it reaches endpoints run in the thread pool too)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _method.set(scope["method"])
        try:
            await self.app(scope, receive, send)
        finally:
            _method.reset(token)
