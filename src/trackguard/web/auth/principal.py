"""Who is calling: a session cookie, a bearer token or HTTP Basic, resolved once per request.

Traccar accepts all three and so do we, in this order: an `Authorization` header
(Bearer or Basic) decides when present, and a wrong one is refused rather than
falling back to a cookie; otherwise the `JSESSIONID` cookie. Basic credentials
are checked like a sign-in (throttled, argon2), with a short in-memory memory of
verified ones (`BasicCredentialCache`).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import Depends, Request
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection
from starlette.responses import Response

from trackguard.clock import Clock, as_utc, system_clock
from trackguard.runtime import Runtime
from trackguard.settings import Settings
from trackguard.store.models.accounts import Customer
from trackguard.store.models.web import StaffUser, WebSession
from trackguard.vault import Vault
from trackguard.web.auth.accounts import (
    ACTIVE,
    InvalidCredentials,
    SignIn,
    TooManyAttempts,
    sign_in_customer,
)
from trackguard.web.auth.basic_cache import BasicCredentialCache
from trackguard.web.auth.passwords import Passwords
from trackguard.web.auth.sessions import (
    DEFAULT_TERMS,
    MAX_TOKEN_LENGTH,
    SessionTerms,
    staff_terms,
    token_digest,
    touch_values,
    within_terms,
)
from trackguard.web.auth.throttle import LoginThrottle
from trackguard.web.deps import runtime_of

COOKIE_NAME = "JSESSIONID"  # Traccar's cookie name: its clients look for it
CHALLENGE = {"WWW-Authenticate": 'Basic realm="trackguard", charset="UTF-8"'}
# How often a customer's `last_app_use_at` (which retention counts from) is written.
APP_USE_RESOLUTION = timedelta(hours=1)

Via = Literal["cookie", "token", "basic"]


@dataclass(frozen=True)
class Principal:
    kind: Literal["customer", "staff"]
    id: str
    via: Via
    session_id: str | None = None


@dataclass
class WebAuth:
    """The sign-in machinery of one app: hashing, throttle, Basic cache, session terms.

    `terms` are customers'; staff's come from the settings (`staff_terms_from`).
    """

    clock: Clock = system_clock
    passwords: Passwords = field(default_factory=Passwords)
    throttle: LoginThrottle | None = None
    basic_cache: BasicCredentialCache | None = None
    terms: SessionTerms = DEFAULT_TERMS

    def __post_init__(self) -> None:
        if self.throttle is None:
            self.throttle = LoginThrottle(clock=self.clock)
        if self.basic_cache is None:
            self.basic_cache = BasicCredentialCache(clock=self.clock)

    @property
    def sign_in(self) -> SignIn:
        assert self.throttle is not None
        return SignIn(self.passwords, self.throttle)


def staff_terms_from(settings: Settings) -> SessionTerms:
    return staff_terms(hours=settings.staff_session_hours, idle_minutes=settings.staff_idle_minutes)


def client_address(connection: HTTPConnection) -> str:
    return connection.client.host if connection.client else "unknown"


def is_secure(connection: HTTPConnection) -> bool:
    """HTTPS (uvicorn honours X-Forwarded-Proto from a proxy it trusts): cookies get Secure."""
    return connection.url.scheme in ("https", "wss")


def set_session_cookie(response: Response, token: str, connection: HTTPConnection) -> None:
    # No Max-Age: a browser session cookie; the server side expires it anyway.
    response.set_cookie(
        COOKIE_NAME,
        token,
        httponly=True,
        samesite="lax",
        secure=is_secure(connection),
        path="/",
    )


def clear_session_cookie(response: Response, connection: HTTPConnection) -> None:
    response.delete_cookie(
        COOKIE_NAME, httponly=True, samesite="lax", secure=is_secure(connection), path="/"
    )


def unauthorized(
    detail: str = "Sign in with a session, a bearer token or HTTP Basic.",
) -> HTTPException:
    return HTTPException(401, detail, headers=CHALLENGE)


def too_many(exc: TooManyAttempts) -> HTTPException:
    return HTTPException(429, str(exc), headers={"Retry-After": str(exc.retry_after)})


def resolve_principal(
    connection: HTTPConnection, runtime: Runtime, auth: WebAuth
) -> Principal | None:
    """The caller, or None when no credentials came; HTTPException 401/429 for bad ones."""
    header = connection.headers.get("authorization")
    now = as_utc(auth.clock())
    with runtime.db.session() as session:
        if header:
            scheme, _, value = header.partition(" ")
            if scheme.lower() == "bearer":
                return _from_session(session, value.strip(), "token", now, auth, runtime.settings)
            if scheme.lower() == "basic":
                return _from_basic(session, runtime.vault, value.strip(), connection, now, auth)
            raise unauthorized("Unsupported authorization scheme.")
        token = connection.cookies.get(COOKIE_NAME)
        if token:
            try:
                return _from_session(session, token, "cookie", now, auth, runtime.settings)
            except HTTPException:
                return None  # a stale cookie is no credential at all
    return None


def _from_session(
    session: Session,
    token: str,
    kind: Literal["cookie", "token"],
    now: datetime,
    auth: WebAuth,
    settings: Settings,
) -> Principal:
    # One Core query for the session and its customer's standing: this runs on every
    # request, and `find_session`'s ORM object would cost more than the answer's reading.
    refused = unauthorized("The session has ended or the token is not valid.")
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise refused
    connection = session.connection()
    row = connection.execute(_LIVE_SESSION, {"token_hash": token_digest(token)}).first()
    if row is None or row.kind != kind or row.revoked_at is not None:
        raise refused
    if as_utc(row.expires_at) <= now:
        raise refused
    terms = auth.terms if row.customer_id is not None else staff_terms_from(settings)
    if not within_terms(row, now=now, terms=terms):
        raise refused
    touched = touch_values(row, now=now, terms=terms)
    if touched is not None:
        # At most once a minute per session: built here, it needs no cached form.
        connection.execute(update(WebSession).where(WebSession.id == row.id).values(**touched))
    if row.customer_id is None:
        assert row.staff_user_id is not None
        return Principal("staff", row.staff_user_id, kind, row.id)
    if row.customer_status != ACTIVE:
        raise refused
    if _app_use_due(row.last_app_use_at, now):
        connection.execute(_NOTE_APP_USE, {"customer": row.customer_id, "now": now})
    return Principal("customer", row.customer_id, kind, row.id)


def _from_basic(
    session: Session,
    vault: Vault,
    encoded: str,
    connection: HTTPConnection,
    now: datetime,
    auth: WebAuth,
) -> Principal:
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise unauthorized("The Basic credentials are not valid.") from None
    email, sep, password = decoded.partition(":")
    if not sep:
        raise unauthorized("The Basic credentials are not valid.")
    cache = auth.basic_cache
    assert cache is not None
    known = cache.get(email, password)
    if known is not None:
        customer = session.get(Customer, known.customer_id)
        if (
            customer is not None
            and customer.status == ACTIVE
            and customer.password_hash == known.password_hash
        ):
            _note_app_use(customer, now)
            return Principal("customer", customer.id, "basic")
        cache.forget(email, password)
    try:
        customer = sign_in_customer(
            session,
            vault,
            auth.sign_in,
            email,
            password,
            address=client_address(connection),
            now=now,
        )
    except TooManyAttempts as exc:
        raise too_many(exc) from None
    except InvalidCredentials:
        raise unauthorized("The e-mail address or password is wrong.") from None
    session.flush()
    if customer.password_hash is not None:
        cache.put(email, password, customer.id, customer.password_hash)
    _note_app_use(customer, now)
    return Principal("customer", customer.id, "basic")


def _note_app_use(customer: Customer, now: datetime) -> None:
    if _app_use_due(customer.last_app_use_at, now):
        customer.last_app_use_at = now


def _app_use_due(last: datetime | None, now: datetime) -> bool:
    return last is None or now - as_utc(last) >= APP_USE_RESOLUTION


# Built once: statements used again skip SQLAlchemy's construction and cache-key work.
_LIVE_SESSION = (
    select(
        WebSession.id,
        WebSession.kind,
        WebSession.customer_id,
        WebSession.staff_user_id,
        WebSession.revoked_at,
        WebSession.expires_at,
        WebSession.created_at,
        WebSession.last_seen_at,
        Customer.status.label("customer_status"),
        Customer.last_app_use_at.label("last_app_use_at"),
    )
    .outerjoin(Customer, Customer.id == WebSession.customer_id)
    .where(WebSession.token_hash == bindparam("token_hash"))
)
_NOTE_APP_USE = (
    update(Customer)
    .where(Customer.id == bindparam("customer"))
    .values(last_app_use_at=bindparam("now"))
)


# -- FastAPI dependencies ----------------------------------------------------------------


# The dependencies below are async so that FastAPI runs them inline: it sends each sync
# one through the threadpool, a hop apiece. Only the database work takes that trip.


async def get_auth(connection: HTTPConnection) -> WebAuth:
    auth: WebAuth = connection.app.state.auth
    return auth


Auth = Annotated[WebAuth, Depends(get_auth)]


async def optional_principal(request: Request, auth: Auth) -> Principal | None:
    return await run_in_threadpool(resolve_principal, request, runtime_of(request), auth)


async def current_customer(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    """A signed-in customer; 401 without credentials, 403 for a staff user."""
    if principal is None:
        raise unauthorized()
    if principal.kind != "customer":
        raise HTTPException(403, "This API is for customers.")
    return principal


MaybePrincipal = Annotated[Principal | None, Depends(optional_principal)]
CurrentCustomer = Annotated[Principal, Depends(current_customer)]


def still_signed_in(runtime: Runtime, principal: Principal, now: datetime) -> bool:
    """For long-lived connections: is the principal's session (or account) still good?"""
    with runtime.db.session() as session:
        if principal.session_id is not None:
            row = session.get(WebSession, principal.session_id)
            if row is None or row.revoked_at is not None or as_utc(row.expires_at) <= now:
                return False
        if principal.kind == "customer":
            customer = session.get(Customer, principal.id)
            return customer is not None and customer.status == ACTIVE
        staff = session.get(StaffUser, principal.id)
        return staff is not None and staff.disabled_at is None
