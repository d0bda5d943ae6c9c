"""`/password-reset`: ask for a link; `/password-reset/new`: set a new password with it.

Both forms are CSRF-protected and rendered like the portal's pages (nl/en). The answer
to "send me a link" is the same page, status and time for every address; the work
happens in a background task after the response. Links point at the public URL when the
settings name (`TRACKGUARD_PUBLIC_URL`), else at the configured host and web port —
never at the Host header of the request, which a visitor chooses (link poisoning).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import HTMLResponse, Response
from starlette.requests import HTTPConnection

from trackguard.web.auth.passwords import MAX_PASSWORD_LENGTH
from trackguard.web.auth.principal import WebAuth, client_address
from trackguard.web.auth.throttle import LoginThrottle
from trackguard.web.csrf import CsrfForm
from trackguard.web.password_reset.flow import (
    MAX_LINKS_PER_HOUR,
    MIN_PASSWORD_LENGTH,
    InvalidResetLink,
    UnacceptablePassword,
    check_link,
    reset_password,
    send_reset_link,
)
from trackguard.web.password_reset.texts import texts
from trackguard.web.password_reset.tokens import ResetTokens
from trackguard.web.portal.pages import CurrentVisit, Visit, render
from trackguard.web.routes import READ

router = APIRouter(tags=["password-reset"], include_in_schema=False)
FORGOT = "/password-reset"
NEW = FORGOT + "/new"
MAX_ASKS_PER_ADDRESS_HOUR = 20  # one client address asking for many accounts' links


@dataclass
class ResetGuard:
    """The app's reset machinery: the token key, and limits on links per account and
    per client address (in memory, like the login throttle)."""

    tokens: ResetTokens
    per_account: LoginThrottle
    per_address: LoginThrottle


def reset_guard(connection: HTTPConnection) -> ResetGuard:
    state = connection.app.state
    guard: ResetGuard | None = getattr(state, "password_reset", None)
    if guard is None:
        auth: WebAuth = state.auth
        hour = timedelta(hours=1)
        guard = state.password_reset = ResetGuard(
            ResetTokens.from_vault(state.runtime.vault),
            LoginThrottle(max_failures=MAX_LINKS_PER_HOUR, window=hour, clock=auth.clock),
            LoginThrottle(max_failures=MAX_ASKS_PER_ADDRESS_HOUR, window=hour, clock=auth.clock),
        )
    return guard


def link_base(visit: Visit) -> str:
    settings = visit.runtime.settings
    base = settings.public_url or f"http://{settings.host}:{settings.web_port}"
    return base.rstrip("/") + NEW


def _page(
    visit: Visit, template: str, title_key: str, *, status: int = 200, **context: Any
) -> HTMLResponse:
    t = texts(visit.lang)
    return render(
        visit,
        f"password_reset/{template}",
        status=status,
        title=t[title_key],
        pr=t,
        minimum=MIN_PASSWORD_LENGTH,
        maximum=MAX_PASSWORD_LENGTH,
        **context,
    )


@router.api_route(FORGOT, methods=READ, response_class=HTMLResponse)
def forgot_page(visit: CurrentVisit) -> HTMLResponse:
    return _page(visit, "forgot.html", "forgot_title")


@router.post(FORGOT, response_class=HTMLResponse)
def forgot(
    request: Request, visit: CurrentVisit, form: CsrfForm, background: BackgroundTasks
) -> HTMLResponse:
    guard = reset_guard(request)
    address = client_address(request)
    if guard.per_address.retry_after("*", address) is None:
        guard.per_address.failed("*", address)
        background.add_task(
            send_reset_link,
            visit.runtime,
            guard.tokens,
            guard.per_account,
            form.get("email", ""),
            link_base=link_base(visit),
        )
    minutes = int(guard.tokens.lifetime.total_seconds() // 60)
    return _page(visit, "sent.html", "sent_title", minutes=minutes)


def _invalid(visit: Visit) -> HTMLResponse:
    return _page(visit, "invalid.html", "invalid_title", status=400)


@router.api_route(NEW, methods=READ, response_class=HTMLResponse)
def new_password_page(request: Request, visit: CurrentVisit, token: str = "") -> HTMLResponse:
    try:
        check_link(visit.runtime, reset_guard(request).tokens, token)
    except InvalidResetLink:
        return _invalid(visit)
    return _page(visit, "new.html", "new_title", token=token)


@router.post(NEW, response_class=HTMLResponse)
def set_new_password(request: Request, visit: CurrentVisit, form: CsrfForm) -> Response:
    token = form.get("token", "")
    auth: WebAuth = request.app.state.auth
    try:
        done = reset_password(
            visit.runtime,
            reset_guard(request).tokens,
            auth.passwords,
            token,
            form.get("password", ""),
            form.get("repeat", ""),
        )
    except InvalidResetLink:
        return _invalid(visit)
    except UnacceptablePassword:
        t = texts(visit.lang)
        same = form.get("password", "") == form.get("repeat", "")
        error = t["length"] if same else t["mismatch"]
        error = error.format(minimum=MIN_PASSWORD_LENGTH, maximum=MAX_PASSWORD_LENGTH)
        return _page(visit, "new.html", "new_title", status=400, token=token, error=error)
    return _page(visit, "done.html", "done_title", ended=done.sessions_ended)
