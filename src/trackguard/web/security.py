"""Security headers on every response, set by one ASGI middleware.

A pure ASGI middleware (not BaseHTTPMiddleware) so it also covers streamed and
static responses and the problem responses for unhandled errors.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_STYLE_ELEMENT = re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.DOTALL | re.IGNORECASE)


def content_security_policy(style_sources: Iterable[str] = ()) -> str:
    """Only our own origin: no third-party scripts, fonts or trackers, no inline code;
    `style_sources` admits exactly the inline style blocks a page was rendered with."""
    styles = " ".join(("'self'", *style_sources))
    return (
        f"default-src 'self'; style-src {styles}; base-uri 'self'; form-action 'self'; "
        "object-src 'none'; frame-ancestors 'none'"
    )


def inline_style_hashes(html: str) -> list[str]:
    """CSP hash sources for the page's own `<style>` blocks (CSP level 2)."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"
        for css in _STYLE_ELEMENT.findall(html)
    ]


SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": content_security_policy(),
    "X-Content-Type-Options": "nosniff",
    # A visitor's path (which may name a device or request) is nobody else's business.
    # Not "no-referrer": under it browsers send `Origin: null` on same-origin form posts,
    # which the CSRF check must refuse; "same-origin" keeps our own Origin and still
    # sends other sites nothing.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class SecurityHeaders:
    """Adds `SECURITY_HEADERS` to each response that does not set them itself."""

    def __init__(self, app: ASGIApp, headers: dict[str, str] | None = None) -> None:
        self.app = app
        self.headers = SECURITY_HEADERS if headers is None else headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
