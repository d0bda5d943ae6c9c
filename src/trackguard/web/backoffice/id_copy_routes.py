"""Reviewing an ID copy: only the privacy officer reads it, item by item against the
policy's blackout list, and decides; the copy is deleted either way (`review_id_copy`).

The copy is served decrypted by its own URL, for the review page to show inline
(an image) or open (a PDF): never cached, sandboxed, and each read audited under
the government-ID category, apart from the review page's own entry.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from trackguard.errors import NotFound
from trackguard.privacy import requests as rights
from trackguard.privacy.requests.id_copy import GOVERNMENT_ID
from trackguard.privacy.requests.records import REQUEST_CATEGORY
from trackguard.store.models import IdentityDocument
from trackguard.web.backoffice.access import NO_STORE, CurrentStaff, page
from trackguard.web.backoffice.audit import audit_view
from trackguard.web.backoffice.pages import render
from trackguard.web.backoffice.request_routes import DETAIL, detail_page
from trackguard.web.backoffice.roles import Area
from trackguard.web.csrf import CsrfForm
from trackguard.web.portal.pages import CurrentVisit, see_other
from trackguard.web.routes import READ

router = APIRouter()
ID_COPY = DETAIL + "/id-copy"
CONTENT = ID_COPY + "/content"
# The copy is shown by itself: no script, no plugin, no way out of its sandbox.
CONTENT_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def _pending(session: Session, request_id: str) -> IdentityDocument:
    found = session.scalar(
        select(IdentityDocument).where(
            IdentityDocument.request_id == request_id,
            IdentityDocument.verification_ended_at.is_(None),
        )
    )
    if found is None:
        raise NotFound("no ID copy of this request is waiting for review")
    return found


@page(router, ID_COPY, Area.ID_COPIES, methods=READ)
def review_page(visit: CurrentVisit, staff: CurrentStaff, request_id: str) -> HTMLResponse:
    runtime = visit.runtime
    request, _ = rights.get_request(runtime, request_id)
    with runtime.db.session() as session:
        document = _pending(session, request.id)
        content_type = document.content_type
        audit_view(
            session,
            visit,
            staff,
            action="backoffice.id_copy.review_page",
            categories=[REQUEST_CATEGORY],
            subject_id=request.customer_id,
        )
    return render(
        visit,
        "id_copy.html",
        staff=staff,
        title_key="id_copy",
        request=request,
        content_type=content_type,
        blackout=runtime.policy.rights.id_copy.blackout,
        guidance=runtime.policy.rights.id_copy.guidance,
        content_url=CONTENT.format(request_id=request.id),
    )


@page(router, CONTENT, Area.ID_COPIES, methods=READ)
def content(visit: CurrentVisit, staff: CurrentStaff, request_id: str) -> Response:
    runtime = visit.runtime
    with runtime.db.session() as session:
        document = _pending(session, request_id)
        data = runtime.vault.unseal_bytes(session, document, "content") or b""
        audit_view(
            session,
            visit,
            staff,
            action="backoffice.id_copy.read",
            categories=[GOVERNMENT_ID],
            subject_id=document.customer_id,
        )
        media_type = document.content_type
    headers = {
        **NO_STORE,
        "Content-Disposition": 'inline; filename="id-copy"',
        "Content-Security-Policy": CONTENT_POLICY,
    }
    return Response(data, media_type=media_type, headers=headers)


@page(router, ID_COPY, Area.ID_COPIES, methods=["POST"])
def review(visit: CurrentVisit, staff: CurrentStaff, request_id: str, form: CsrfForm) -> Response:
    runtime = visit.runtime
    keys = [b.key for b in runtime.policy.rights.id_copy.blackout]
    covered = {key: form.get(f"covered_{key}") == "on" for key in keys}
    matches = form.get("identity_matches") == "on"
    try:
        outcome = rights.review_id_copy(
            runtime, request_id, covered=covered, identity_matches=matches, reviewer=staff.actor
        )
    except rights.RequestError as exc:
        return detail_page(visit, staff, request_id, status=400, error=str(exc))
    done = "id_copy_accepted" if outcome.accepted else "id_copy_rejected"
    return see_other(visit.url(DETAIL.format(request_id=request_id), done=done))
