"""`/cookies`: which cookies the site sets and why, and the visitor's choice (no JS needed)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from trackguard.errors import TrackguardError
from trackguard.web.auth.principal import resolve_principal
from trackguard.web.cookies import (
    CHOICES,
    SITE_COOKIES,
    Choice,
    banner_question,
    read_choice,
    record_choice,
    remember_choice,
)
from trackguard.web.csrf import CsrfForm
from trackguard.web.language import LANGUAGES
from trackguard.web.portal.pages import CurrentVisit, render, safe_next, see_other, web_auth
from trackguard.web.portal.texts import text
from trackguard.web.routes import READ

router = APIRouter()
COOKIES = "/cookies"


@router.api_route(COOKIES, methods=READ, response_class=HTMLResponse)
def cookies_page(portal: CurrentVisit) -> HTMLResponse:
    policy = portal.runtime.policy
    return render(
        portal,
        "portal/cookies.html",
        banner=False,  # this page is the banner's long form
        title=text("cookies", portal.lang),
        choice=read_choice(portal.request),
        question=banner_question(policy, portal.lang),
        cookies=SITE_COOKIES,
        website=policy.website,
    )


@router.post(COOKIES)
def choose(request: Request, portal: CurrentVisit, form: CsrfForm) -> Response:
    """Store the choice in the (strictly necessary) choice cookie; a signed-in customer's
    choice also goes into the consent ledger, with the question they answered."""
    choice = form.get("choice")
    if choice not in CHOICES:
        raise TrackguardError("'choice' is 'accepted' or 'refused'")
    chosen: Choice = "accepted" if choice == "accepted" else "refused"
    asked = form.get("lang")
    lang = asked if asked in LANGUAGES else portal.lang
    runtime = portal.runtime
    principal = resolve_principal(request, runtime, web_auth(request))
    if principal is not None and principal.kind == "customer":
        with runtime.db.session() as session:
            record_choice(
                session,
                runtime.policy,
                customer_id=principal.id,
                choice=chosen,
                lang=lang,
                at=runtime.clock(),
            )
    response = see_other(safe_next(form.get("next"), portal.url(COOKIES)))
    remember_choice(response, chosen, request)
    return response
