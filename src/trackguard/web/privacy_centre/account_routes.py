"""A complaint, and a compromised account: the centre's two calls for help."""

from __future__ import annotations

import math

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from trackguard.web.auth.accounts import InvalidCredentials, TooManyAttempts
from trackguard.web.auth.principal import Principal, WebAuth, clear_session_cookie, client_address
from trackguard.web.csrf import CsrfForm
from trackguard.web.portal.pages import CurrentVisit, PortalCustomer, Visit, render, see_other
from trackguard.web.privacy_centre.audit import audit_view
from trackguard.web.privacy_centre.complaints import (
    COMPLAINT_CATEGORY,
    MAX_COMPLAINT_CHARS,
    file_complaint,
    own_complaints,
)
from trackguard.web.privacy_centre.compromised import lock_account
from trackguard.web.privacy_centre.pages import CENTRE, centre_page
from trackguard.web.privacy_centre.texts import text, texts
from trackguard.web.routes import READ

router = APIRouter()
COMPLAINT = CENTRE + "/complaint"
COMPROMISED = CENTRE + "/compromised"
PORTAL_CHANNEL = "portal"


def _complaint_page(
    portal: Visit,
    principal: Principal,
    *,
    status: int = 200,
    error: str | None = None,
    body: str = "",
) -> HTMLResponse:
    runtime = portal.runtime
    with runtime.db.session() as session:
        complaints = own_complaints(session, principal.id)
        audit_view(
            session,
            runtime.clock,
            customer_id=principal.id,
            action="privacy_centre.complaints.read",
            categories=[COMPLAINT_CATEGORY] if complaints else [],
        )
    return centre_page(
        portal,
        "complaint.html",
        principal,
        title_key="complaint",
        status=status,
        error=error,
        body=body,
        limit=MAX_COMPLAINT_CHARS,
        complaints=complaints,
        authority=runtime.policy.controller.supervisory_authority,
    )


@router.api_route(COMPLAINT, methods=READ, response_class=HTMLResponse)
def complaint_page(portal: CurrentVisit, principal: PortalCustomer) -> HTMLResponse:
    return _complaint_page(portal, principal)


@router.post(COMPLAINT, response_class=HTMLResponse)
def complain(portal: CurrentVisit, principal: PortalCustomer, form: CsrfForm) -> Response:
    body = form.get("body", "").strip()
    if not body:
        error = text("complaint_empty", portal.lang)
        return _complaint_page(portal, principal, status=400, error=error)
    if len(body) > MAX_COMPLAINT_CHARS:
        error = text("complaint_too_long", portal.lang).format(limit=MAX_COMPLAINT_CHARS)
        return _complaint_page(portal, principal, status=400, error=error, body=body)
    file_complaint(portal.runtime, principal.id, body, channel=PORTAL_CHANNEL)
    return see_other(portal.url(COMPLAINT, done="complaint_filed"))


@router.api_route(COMPROMISED, methods=READ, response_class=HTMLResponse)
def compromised_page(portal: CurrentVisit, principal: PortalCustomer) -> HTMLResponse:
    return centre_page(portal, "compromised.html", principal, title_key="compromised")


@router.post(COMPROMISED, response_class=HTMLResponse)
def report_compromised(
    request: Request, portal: CurrentVisit, principal: PortalCustomer, form: CsrfForm
) -> Response:
    auth: WebAuth = request.app.state.auth
    try:
        locked = lock_account(
            portal.runtime,
            auth,
            principal.id,
            password=form.get("password", ""),
            address=client_address(request),
        )
    except TooManyAttempts as exc:
        minutes = max(1, math.ceil(exc.retry_after / 60))
        error = text("too_many", portal.lang).format(minutes=minutes)
        return centre_page(
            portal,
            "compromised.html",
            principal,
            title_key="compromised",
            status=429,
            error=error,
            headers={"Retry-After": str(exc.retry_after)},
        )
    except InvalidCredentials:
        error = text("wrong_password", portal.lang)
        return centre_page(
            portal, "compromised.html", principal, title_key="compromised", status=400, error=error
        )
    # Signed out everywhere, this browser too: the page is shown without a session.
    response = render(
        portal,
        "privacy_centre/locked.html",
        title=text("locked_title", portal.lang),
        pc=texts(portal.lang),
        policy=portal.runtime.policy,
        ended=locked.sessions_ended,
    )
    clear_session_cookie(response, request)
    return response
