"""Staff sign-in and sign-out, the start page, and the page that explains the roles.

Sign-in is the customers' mechanism with the staff table: argon2 behind the login
throttle (`sign_in_staff`), then a cookie session for the staff account. A refused
attempt never says whether the address or the password was wrong.
"""

from __future__ import annotations

import math

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from trackguard.clock import as_utc
from trackguard.privacy.requests import overdue_requests
from trackguard.web.auth.accounts import InvalidCredentials, TooManyAttempts, sign_in_staff
from trackguard.web.auth.principal import (
    COOKIE_NAME,
    WebAuth,
    clear_session_cookie,
    client_address,
    set_session_cookie,
)
from trackguard.web.auth.sessions import find_session, open_session, revoke
from trackguard.web.backoffice.access import PREFIX, SIGN_IN, CurrentStaff, page
from trackguard.web.backoffice.pages import render
from trackguard.web.backoffice.roles import (
    ROLE_MATRIX,
    Area,
    customer_access,
    may_enter,
)
from trackguard.web.backoffice.texts import text
from trackguard.web.csrf import CsrfForm, forget_cookie
from trackguard.web.portal.pages import CurrentVisit, Visit, safe_next, see_other
from trackguard.web.routes import READ

router = APIRouter()


def _form(
    visit: Visit,
    *,
    next_path: str,
    status: int = 200,
    error: str | None = None,
    notice: str | None = None,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    return render(
        visit,
        "sign_in.html",
        staff=None,
        title_key="sign_in",
        status=status,
        headers=headers,
        next=next_path,
        error=error,
        notice=notice,
    )


def _next(target: str | None, visit: Visit) -> str:
    chosen = safe_next(target, visit.url(PREFIX))
    return chosen if chosen.startswith(PREFIX) else visit.url(PREFIX)


@page(router, SIGN_IN, Area.PUBLIC, methods=READ)
def sign_in_page(visit: CurrentVisit, next: str | None = None) -> HTMLResponse:
    notice = text("signed_out", visit.lang) if visit.request.query_params.get("out") else None
    return _form(visit, next_path=_next(next, visit), notice=notice)


@page(router, SIGN_IN, Area.PUBLIC, methods=["POST"])
async def sign_in(request: Request, visit: CurrentVisit, form: CsrfForm) -> Response:
    auth: WebAuth = request.app.state.auth
    runtime = visit.runtime
    email, password = form.get("email", "").strip(), form.get("password", "")
    next_path = _next(form.get("next"), visit)
    address = client_address(request)

    def check() -> str:
        with runtime.db.session() as session:
            staff = sign_in_staff(
                session,
                runtime.vault,
                auth.sign_in,
                email,
                password,
                address=address,
                now=as_utc(auth.clock()),
            )
            token, _ = open_session(
                session, kind="cookie", staff_user_id=staff.id, now=auth.clock(), terms=auth.terms
            )
            return token

    try:
        token = await run_in_threadpool(check)
    except TooManyAttempts as exc:
        minutes = max(1, math.ceil(exc.retry_after / 60))
        error = text("throttled", visit.lang).format(minutes=minutes)
        headers = {"Retry-After": str(exc.retry_after)}
        return _form(visit, next_path=next_path, status=429, error=error, headers=headers)
    except InvalidCredentials:
        error = text("wrong_credentials", visit.lang)
        return _form(visit, next_path=next_path, status=400, error=error)
    response = see_other(next_path)
    set_session_cookie(response, token, request)
    forget_cookie(request, response)
    return response


@page(router, f"{PREFIX}/sign-out", Area.PUBLIC, methods=["POST"])
def sign_out(request: Request, visit: CurrentVisit, form: CsrfForm) -> Response:
    auth: WebAuth = request.app.state.auth
    cookie = request.cookies.get(COOKIE_NAME)
    if cookie:
        with visit.runtime.db.session() as session:
            row = find_session(session, cookie, now=auth.clock(), kind="cookie")
            # Only a staff session ends here; a customer's is the portal's to end.
            if row is not None and row.staff_user_id is not None:
                revoke(row, now=auth.clock())
    response = see_other(visit.url(SIGN_IN, out=1))
    clear_session_cookie(response, request)
    return response


@page(router, PREFIX, Area.HOME, methods=READ)
def home(visit: CurrentVisit, staff: CurrentStaff) -> HTMLResponse:
    overdue = None
    if may_enter(staff.role, Area.REQUESTS):
        overdue = len(overdue_requests(visit.runtime))  # counts only: nothing personal
    return render(visit, "home.html", staff=staff, title_key="home", overdue=overdue)


@page(router, f"{PREFIX}/roles", Area.HOME, methods=READ)
def roles_page(visit: CurrentVisit, staff: CurrentStaff) -> HTMLResponse:
    policy = visit.runtime.policy
    matrix = [
        {
            "role": duty.role,
            "purposes": [policy.purpose(p) for p in duty.purposes],
            "viewing_purpose": policy.purpose(duty.viewing_purpose),
            "areas": [area for area in Area if area is not Area.PUBLIC and area in duty.areas],
            "fields": customer_access(policy, duty.role),
            "masked_without_request": duty.full_only_with_open_request,
        }
        for duty in ROLE_MATRIX.values()
    ]
    return render(
        visit,
        "roles.html",
        staff=staff,
        title_key="nav_roles",
        matrix=matrix,
    )
