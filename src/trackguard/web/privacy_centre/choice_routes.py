"""Consents on and off, and rights requests: filing them and following each one."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from trackguard.privacy.requests import RequestError
from trackguard.web.auth.principal import Principal
from trackguard.web.csrf import CsrfForm
from trackguard.web.language import LANGUAGES
from trackguard.web.portal.pages import CurrentVisit, PortalCustomer, Visit, see_other
from trackguard.web.privacy_centre.audit import audit_view
from trackguard.web.privacy_centre.consents import (
    CONSENT_CATEGORY,
    consent_choices,
    switch_consent,
)
from trackguard.web.privacy_centre.pages import CENTRE, centre_page
from trackguard.web.privacy_centre.rights import (
    REQUEST_CATEGORIES,
    file_request,
    own_request,
    own_requests,
    request_options,
)
from trackguard.web.privacy_centre.texts import text
from trackguard.web.routes import READ

router = APIRouter()
CONSENTS = CENTRE + "/consents"
REQUESTS = CENTRE + "/requests"
PORTAL_CHANNEL = "portal"
CORRECTION_PREFIX = "set_"


@router.api_route(CONSENTS, methods=READ, response_class=HTMLResponse)
def consents_page(portal: CurrentVisit, principal: PortalCustomer) -> HTMLResponse:
    runtime = portal.runtime
    with runtime.db.session() as session:
        choices = consent_choices(session, runtime.policy, principal.id, portal.lang)
        audit_view(
            session,
            runtime.clock,
            customer_id=principal.id,
            action="privacy_centre.consents.read",
            categories=[CONSENT_CATEGORY],
        )
    return centre_page(portal, "consents.html", principal, title_key="consents", choices=choices)


@router.post(CONSENTS)
def switch(portal: CurrentVisit, principal: PortalCustomer, form: CsrfForm) -> Response:
    given = form.get("given")
    if given not in ("yes", "no"):
        raise RequestError("a consent switch is 'yes' or 'no'")
    # The proof is the prompt in the language the page showed it in.
    shown = form.get("shown_lang")
    lang = shown if shown in LANGUAGES else portal.lang
    switch_consent(
        portal.runtime,
        principal.id,
        form.get("purpose", "")[:60],
        given=given == "yes",
        lang=lang,
        channel=PORTAL_CHANNEL,
    )
    return see_other(portal.url(CONSENTS, done="consent_saved"))


def _requests_page(
    portal: Visit,
    principal: Principal,
    *,
    status: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    runtime = portal.runtime
    requests = own_requests(runtime, principal.id)
    with runtime.db.session() as session:
        audit_view(
            session,
            runtime.clock,
            customer_id=principal.id,
            action="privacy_centre.requests.read",
            categories=REQUEST_CATEGORIES if requests else (),
        )
    return centre_page(
        portal,
        "requests.html",
        principal,
        title_key="requests",
        status=status,
        requests=requests,
        options=request_options(runtime.policy, portal.lang),
        error=error,
        form=form or {},
    )


@router.api_route(REQUESTS, methods=READ, response_class=HTMLResponse)
def requests_page(portal: CurrentVisit, principal: PortalCustomer) -> HTMLResponse:
    return _requests_page(portal, principal)


def _form_problem(portal: Visit, form: dict[str, str]) -> str | None:
    """A plain-language reason the form cannot be filed, before the workflow is asked."""
    kinds = {k.key: k for k in request_options(portal.runtime.policy, portal.lang).kinds}
    kind = kinds.get(form.get("type", ""))
    if kind is None:
        return text("unknown_kind", portal.lang)
    if kind.needs_ground and not form.get("ground"):
        return text("choose_ground", portal.lang)
    if kind.needs_purpose and not form.get("purpose"):
        return text("choose_purpose", portal.lang)
    if kind.needs_corrections and not _corrections(form):
        return text("give_correction", portal.lang)
    return None


def _corrections(form: dict[str, str]) -> dict[str, str]:
    return {
        name[len(CORRECTION_PREFIX) :]: value
        for name, value in form.items()
        if name.startswith(CORRECTION_PREFIX) and value.strip()
    }


@router.post(REQUESTS, response_class=HTMLResponse)
def file(portal: CurrentVisit, principal: PortalCustomer, form: CsrfForm) -> Response:
    kept = {k: v[:500] for k, v in form.items() if k != "csrf_token"}
    problem = _form_problem(portal, form)
    if problem is not None:
        return _requests_page(portal, principal, status=400, error=problem, form=kept)
    kind = form["type"]
    try:
        done = file_request(
            portal.runtime,
            principal.id,
            type=kind,
            ground=form.get("ground") or None,
            purpose=form.get("purpose") or None,
            corrections=_corrections(form) or None,
            verify=True,  # the signed-in session proves who is asking
        )
    except RequestError as exc:
        # Workflow refusals name fields and keys, never the values sent.
        error = text("request_not_filed", portal.lang).format(why=str(exc))
        return _requests_page(portal, principal, status=400, error=error, form=kept)
    notice = "request_filed" if done.created else "request_existed"
    return see_other(portal.url(f"{REQUESTS}/{done.request.id}", done=notice))


@router.api_route(REQUESTS + "/{request_id}", methods=READ, response_class=HTMLResponse)
def request_page(request_id: str, portal: CurrentVisit, principal: PortalCustomer) -> HTMLResponse:
    runtime = portal.runtime
    detail = own_request(runtime, principal.id, request_id)  # NotFound: not theirs
    with runtime.db.session() as session:
        audit_view(
            session,
            runtime.clock,
            customer_id=principal.id,
            action="privacy_centre.request.read",
            categories=REQUEST_CATEGORIES,
        )
    return centre_page(
        portal,
        "request.html",
        principal,
        title_key="request",
        r=detail.request,
        events=detail.events,
        exports=detail.exports,
    )
