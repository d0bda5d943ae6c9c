"""`/api/session`: sign in (form or token), who am I, sign out, and bearer tokens.

As Traccar: `POST /api/session` takes form-encoded `email` and `password` and
answers the user with a `JSESSIONID` cookie; `GET /api/session` answers the
signed-in user (404 when nobody is signed in), and with `?token=` signs in with a
bearer token and sets the cookie; `DELETE /api/session` signs out;
`POST /api/session/token` issues a bearer token (text) for the caller, with an
optional form field `expiration` (ISO 8601).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from trackguard.clock import as_utc
from trackguard.runtime import Runtime
from trackguard.web.auth.accounts import InvalidCredentials, TooManyAttempts
from trackguard.web.auth.password_sign_in import end_cookie_session, open_password_session
from trackguard.web.auth.principal import (
    Auth,
    CurrentCustomer,
    MaybePrincipal,
    WebAuth,
    clear_session_cookie,
    set_session_cookie,
    too_many,
    unauthorized,
)
from trackguard.web.auth.sessions import find_session, open_session
from trackguard.web.csrf import read_urlencoded
from trackguard.web.deps import CurrentRuntime
from trackguard.web.traccar import schemas
from trackguard.web.traccar.access import CustomerData
from trackguard.web.traccar.serialize import user_json

router = APIRouter(prefix="/api/session", tags=["session"])
MAX_FORM_BYTES = 8192
NO_STORE = {"Cache-Control": "no-store"}
FORM_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "email": {"type": "string", "maxLength": 320},
                        "password": {"type": "string", "maxLength": 1024},
                    },
                    "required": ["email", "password"],
                }
            }
        },
    }
}
TOKEN_BODY: dict[str, Any] = {
    "requestBody": {
        "required": False,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": {"expiration": {"type": "string", "format": "date-time"}},
                }
            }
        },
    }
}


def _user(runtime: Runtime, customer_id: str) -> dict[str, Any]:
    with runtime.db.session() as session:
        data = CustomerData(session, runtime.vault, customer_id)
        number, name, email = data.profile()
        data.audit(runtime.policy, runtime.clock, "traccar.session.read")
    return user_json(number, name, email)


def _open_cookie_session(runtime: Runtime, auth: WebAuth, customer_id: str) -> str:
    with runtime.db.session() as session:
        token, _ = open_session(
            session, kind="cookie", customer_id=customer_id, now=auth.clock(), terms=auth.terms
        )
    return token


@router.post("", response_model=schemas.User, openapi_extra=FORM_BODY)
async def sign_in(request: Request, runtime: CurrentRuntime, auth: Auth) -> JSONResponse:
    """Sign in with e-mail and password (form-encoded); sets the `JSESSIONID` cookie."""
    form = await read_urlencoded(request, MAX_FORM_BYTES)
    email, password = form.get("email", ""), form.get("password", "")
    if not email or not password:
        raise HTTPException(400, "Give 'email' and 'password'.")
    try:
        token, customer_id = await open_password_session(
            request, runtime, auth, email, password, account="customer"
        )
    except TooManyAttempts as exc:
        raise too_many(exc) from None
    except InvalidCredentials:
        raise unauthorized("The e-mail address or password is wrong.") from None
    user = await run_in_threadpool(_user, runtime, customer_id)
    response = JSONResponse(user, headers=NO_STORE)
    set_session_cookie(response, token, request)
    return response


@router.get("", response_model=schemas.User)
def current_user(
    request: Request,
    runtime: CurrentRuntime,
    auth: Auth,
    principal: MaybePrincipal,
    token: Annotated[str | None, Query(max_length=200, description="Sign in with it.")] = None,
) -> JSONResponse:
    """The signed-in user; with `token`, sign in with a bearer token and get the cookie."""
    if token is not None:
        with runtime.db.session() as session:
            row = find_session(session, token, now=auth.clock(), kind="token")
            customer_id = row.customer_id if row is not None else None
        if customer_id is None:
            raise unauthorized("The token is not valid.")
        cookie = _open_cookie_session(runtime, auth, customer_id)
        response = JSONResponse(_user(runtime, customer_id), headers=NO_STORE)
        set_session_cookie(response, cookie, request)
        return response
    if principal is None or principal.kind != "customer":
        raise HTTPException(404, "Nobody is signed in.")
    return JSONResponse(_user(runtime, principal.id), headers=NO_STORE)


@router.delete("", status_code=204)
def sign_out(request: Request, runtime: CurrentRuntime, auth: Auth) -> Response:
    """End the cookie session (the cookie is cleared too)."""
    end_cookie_session(request, runtime, auth)
    response = Response(status_code=204)
    clear_session_cookie(response, request)
    return response


@router.post(
    "/token",
    response_class=PlainTextResponse,
    openapi_extra=TOKEN_BODY,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def issue_token(
    request: Request, runtime: CurrentRuntime, auth: Auth, principal: CurrentCustomer
) -> PlainTextResponse:
    """A bearer token for the signed-in customer (`Authorization: Bearer <token>`)."""
    form = await read_urlencoded(request, MAX_FORM_BYTES)
    expires_at = None
    if form.get("expiration"):
        try:
            expires_at = as_utc(datetime.fromisoformat(form["expiration"].replace("Z", "+00:00")))
        except ValueError:
            raise HTTPException(400, "'expiration' is not an ISO 8601 time.") from None
        if expires_at <= as_utc(auth.clock()):
            raise HTTPException(400, "'expiration' must lie in the future.")

    def issue() -> str:
        with runtime.db.session() as session:
            token, _ = open_session(
                session,
                kind="token",
                customer_id=principal.id,
                now=auth.clock(),
                expires_at=expires_at,
                terms=auth.terms,
            )
        return token

    return PlainTextResponse(await run_in_threadpool(issue), headers=NO_STORE)
