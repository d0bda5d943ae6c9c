"""CSRF protection for every state-changing HTML form (portal, privacy centre, back office).

A token is an HMAC, under a key only the server knows, of a random nonce and what
the browser holds that another site cannot read or set:

* a signed-in visitor's session cookie (session-bound tokens), or
* for a visitor without a session (the sign-in form, the cookie banner), a random
  `tg_csrf` cookie set with the form: the signed double-submit pattern.

A forged cross-site form can carry neither the cookie's value nor a token that
matches it, so `checked_form` refuses it with a 403 problem. Each rendering gets
a fresh nonce, so the token on a page never repeats (no fixed secret in
compressed responses). When the browser says where a form came from (`Origin`),
another origin is refused as well, before any token is looked at.

Use it in a route:

    token = csrf_token(request, response)          # render: put it in `csrf_token`
    form: CsrfForm                                 # a POST handler's parameter
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Annotated
from urllib.parse import parse_qs, urlsplit

from fastapi import Depends, Request
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection
from starlette.responses import Response

from trackguard.errors import Forbidden
from trackguard.vault import Vault
from trackguard.web.auth.principal import COOKIE_NAME as SESSION_COOKIE
from trackguard.web.auth.principal import is_secure

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
ANONYMOUS_COOKIE = "tg_csrf"
MAX_FORM_BYTES = 16_384
_NONCE_BYTES = 16
_MAX_TOKEN = 200


class CsrfFailed(Forbidden):
    """The form carried no valid CSRF token: reload the page and send it again."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class CsrfGuard:
    """Issues and checks tokens; one per app, its key from the vault (stable across workers)."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("a CSRF key has at least 128 bits")
        self._key = key

    @classmethod
    def from_vault(cls, vault: Vault) -> CsrfGuard:
        # A keyed hash of a fixed label under the vault's index key: every worker of
        # one installation derives the same key, and no other installation can.
        return cls(bytes.fromhex(vault.blind_index("csrf_key", "trackguard-csrf-v1")))

    def _mac(self, binding: str, nonce: str) -> str:
        message = binding.encode() + b"\x00" + nonce.encode()
        return _b64(hmac.new(self._key, message, hashlib.sha256).digest())

    def issue(self, binding: str) -> str:
        nonce = _b64(secrets.token_bytes(_NONCE_BYTES))
        return f"{nonce}.{self._mac(binding, nonce)}"

    def valid(self, token: str | None, binding: str | None) -> bool:
        if not token or not binding or len(token) > _MAX_TOKEN:
            return False
        nonce, sep, mac = token.partition(".")
        if not sep or not nonce:
            return False
        return hmac.compare_digest(mac, self._mac(binding, nonce))


def binding_of(connection: HTTPConnection) -> str | None:
    """What a token is bound to: the session cookie, else the anonymous CSRF cookie."""
    session = connection.cookies.get(SESSION_COOKIE)
    if session:
        return "session:" + hashlib.sha256(session.encode()).hexdigest()
    anonymous = connection.cookies.get(ANONYMOUS_COOKIE)
    if anonymous:
        return "anonymous:" + anonymous
    return None


def get_guard(connection: HTTPConnection) -> CsrfGuard:
    state = connection.app.state
    guard: CsrfGuard | None = getattr(state, "csrf", None)
    if guard is None:
        guard = state.csrf = CsrfGuard.from_vault(state.runtime.vault)
    return guard


def csrf_token(request: Request, response: Response | None = None) -> str:
    """A token for one rendered form. A visitor with neither cookie gets the anonymous
    one on `response` (strictly necessary: it only protects the forms they send)."""
    guard = get_guard(request)
    binding = binding_of(request)
    if binding is None:
        anonymous = getattr(request.state, "csrf_cookie", None)
        if anonymous is None:
            anonymous = request.state.csrf_cookie = _b64(secrets.token_bytes(32))
        binding = "anonymous:" + anonymous
    return guard.issue(binding)


def attach_cookie(request: Request, response: Response) -> None:
    """Set the anonymous cookie `csrf_token` created for this request, if it created one."""
    anonymous = getattr(request.state, "csrf_cookie", None)
    if anonymous is not None:
        # No Max-Age: it lives as long as the browser session, like the form it guards.
        response.set_cookie(
            ANONYMOUS_COOKIE,
            anonymous,
            httponly=True,
            samesite="strict",
            secure=is_secure(request),
            path="/",
        )


def forget_cookie(request: Request, response: Response) -> None:
    """Drop the anonymous cookie (after sign-in, the session binds the tokens)."""
    if request.cookies.get(ANONYMOUS_COOKIE):
        response.delete_cookie(
            ANONYMOUS_COOKIE, httponly=True, samesite="strict", secure=is_secure(request), path="/"
        )


def same_origin(request: Request) -> bool:
    """False when the browser names another origin as the form's source."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        # No Origin (older browsers, some same-origin requests): the token decides.
        # "null" (sandboxed frames, privacy redirects) is no origin of ours.
        return origin is None
    parts = urlsplit(origin)
    return (parts.scheme, parts.netloc) == (request.url.scheme, request.url.netloc)


async def read_urlencoded(request: Request, limit: int = MAX_FORM_BYTES) -> dict[str, str]:
    """A small `application/x-www-form-urlencoded` body; the last of repeated fields wins."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if len(body) > limit:
        raise HTTPException(413, "The form is too large.")
    if not body:
        return {}
    if kind != "application/x-www-form-urlencoded":
        raise HTTPException(415, "Send the form as application/x-www-form-urlencoded.")
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        raise HTTPException(400, "The form is not valid.") from None
    return {name: values[-1] for name, values in fields.items()}


async def checked_form(request: Request) -> dict[str, str]:
    """The posted form, after its CSRF token (field or header) passed; else 403."""
    if not same_origin(request):
        raise CsrfFailed("the form was sent from another site")
    form = await read_urlencoded(request)
    token = form.pop(FIELD, None) or request.headers.get(HEADER)
    if not get_guard(request).valid(token, binding_of(request)):
        raise CsrfFailed("the form's security token is missing or not valid; reload the page")
    return form


CsrfForm = Annotated[dict[str, str], Depends(checked_form)]
