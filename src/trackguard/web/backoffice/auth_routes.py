"""Staff sign-in and sign-out, the start page, and the page that explains the roles.

Sign-in is the customers' mechanism with the staff table: argon2 behind the login
throttle (`sign_in_staff`), then a cookie session for the staff account. A refused
attempt never says whether the address or the password was wrong.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from trackguard.privacy.requests import overdue_requests
from trackguard.web.auth.accounts import InvalidCredentials, TooManyAttempts
from trackguard.web.auth.password_sign_in import (
    end_cookie_session,
    open_password_session,
    retry_after,
    retry_minutes,
)
from trackguard.web.auth.principal import WebAuth, clear_session_cookie, set_session_cookie
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
    email, password = form.get("email", "").strip(), form.get("password", "")
    next_path = _next(form.get("next"), visit)
    try:
        token, _ = await open_password_session(
            request, visit.runtime, auth, email, password, account="staff"
        )
    except TooManyAttempts as exc:
        error = text("throttled", visit.lang).format(minutes=retry_minutes(exc))
        return _form(visit, next_path=next_path, status=429, error=error, headers=retry_after(exc))
    except InvalidCredentials:
        error = text("wrong_credentials", visit.lang)
        return _form(visit, next_path=next_path, status=400, error=error)
    response = see_other(next_path)
    set_session_cookie(response, token, request)
    forget_cookie(request, response)
    return response


@page(router, f"{PREFIX}/sign-out", Area.PUBLIC, methods=["POST"])
def sign_out(request: Request, visit: CurrentVisit, form: CsrfForm) -> Response:
    # Only a staff session ends here; a customer's is the portal's to end.
    end_cookie_session(request, visit.runtime, request.app.state.auth, staff_only=True)
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
