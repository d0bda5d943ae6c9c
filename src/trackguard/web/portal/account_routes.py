"""Signing in to and out of the portal with an HTML form (CSRF-protected).

Sign-in is the same as the API's: argon2 behind the login throttle
(`sign_in_customer`), then a new cookie session (`JSESSIONID`). A refused or
throttled attempt gets the form back with a kind explanation, never which of
e-mail address or password was wrong.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from trackguard.web.auth.accounts import InvalidCredentials, TooManyAttempts
from trackguard.web.auth.password_sign_in import (
    end_cookie_session,
    open_password_session,
    retry_after,
    retry_minutes,
)
from trackguard.web.auth.principal import clear_session_cookie, set_session_cookie
from trackguard.web.csrf import CsrfForm, forget_cookie
from trackguard.web.portal.pages import (
    NO_STORE,
    PREFIX,
    SIGN_IN,
    CurrentVisit,
    Visit,
    render,
    safe_next,
    see_other,
    web_auth,
)
from trackguard.web.portal.texts import text
from trackguard.web.routes import READ

router = APIRouter()


def _form(
    portal: Visit,
    *,
    next_path: str,
    status: int = 200,
    error: str | None = None,
    notice: str | None = None,
    email: str = "",
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    return render(
        portal,
        "portal/sign_in.html",
        status=status,
        headers=headers,
        title=text("sign_in", portal.lang),
        next=next_path,
        email=email,
        error=error,
        notice=notice,
    )


@router.api_route(SIGN_IN, methods=READ, response_class=HTMLResponse)
def sign_in_page(portal: CurrentVisit, next: str | None = None) -> HTMLResponse:
    notice = text("signed_out", portal.lang) if portal.request.query_params.get("out") else None
    return _form(portal, next_path=safe_next(next, portal.url(PREFIX)), notice=notice)


@router.post(SIGN_IN, response_class=HTMLResponse)
async def sign_in(request: Request, portal: CurrentVisit, form: CsrfForm) -> Response:
    email, password = form.get("email", "").strip(), form.get("password", "")
    next_path = safe_next(form.get("next"), portal.url(PREFIX))
    try:
        token, _ = await open_password_session(
            request, portal.runtime, web_auth(request), email, password, account="customer"
        )
    except TooManyAttempts as exc:
        error = text("throttled", portal.lang).format(minutes=retry_minutes(exc))
        headers = retry_after(exc)
        return _form(portal, next_path=next_path, status=429, error=error, headers=headers)
    except InvalidCredentials:
        error = text("wrong_credentials", portal.lang)
        return _form(portal, next_path=next_path, status=400, error=error, email=email)
    response = see_other(next_path)
    set_session_cookie(response, token, request)
    forget_cookie(request, response)
    return response


@router.post(f"{PREFIX}/sign-out")
def sign_out(request: Request, portal: CurrentVisit, form: CsrfForm) -> Response:
    end_cookie_session(request, portal.runtime, web_auth(request))
    response = see_other(portal.url(SIGN_IN, out=1))
    response.headers.update(NO_STORE)
    clear_session_cookie(response, request)
    return response
