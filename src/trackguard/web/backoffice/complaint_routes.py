"""Complaints for customer service: the list (no text, no names) and one complaint with its
text and the customer as support may see them (masked)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from trackguard.errors import NotFound, VaultError
from trackguard.store.models import Complaint, Customer
from trackguard.web.backoffice.access import PREFIX, CurrentStaff, page
from trackguard.web.backoffice.audit import audit_view
from trackguard.web.backoffice.customer_view import customer_view
from trackguard.web.backoffice.pages import render
from trackguard.web.backoffice.roles import Area
from trackguard.web.portal.pages import CurrentVisit
from trackguard.web.routes import READ

router = APIRouter()
COMPLAINTS = f"{PREFIX}/complaints"
MAX_LISTED = 200
FILED_CATEGORY = str(Complaint.__table__.c.filed_at.info["category"])
BODY_CATEGORY = str(Complaint.__table__.c.body.info["category"])


@page(router, COMPLAINTS, Area.COMPLAINTS, methods=READ)
def complaints(visit: CurrentVisit, staff: CurrentStaff, status: str | None = None) -> HTMLResponse:
    runtime = visit.runtime
    query = select(Complaint).order_by(Complaint.filed_at.desc(), Complaint.id).limit(MAX_LISTED)
    if status:
        query = query.where(Complaint.status == status[:20])
    with runtime.db.session() as session:
        rows = [
            {
                "id": c.id,
                "filed": c.filed_at,
                "channel": c.channel,
                "topic": c.topic,
                "status": c.status,
            }
            for c in session.scalars(query)
        ]
        audit_view(
            session,
            visit,
            staff,
            action="backoffice.complaints.list",
            categories=[FILED_CATEGORY] if rows else [],
        )
    return render(
        visit, "complaints.html", staff=staff, title_key="nav_complaints", complaints=rows
    )


@page(router, COMPLAINTS + "/{complaint_id}", Area.COMPLAINTS, methods=READ)
def complaint(visit: CurrentVisit, staff: CurrentStaff, complaint_id: str) -> HTMLResponse:
    runtime = visit.runtime
    with runtime.db.session() as session:
        found = session.get(Complaint, complaint_id)
        if found is None:
            raise NotFound("no such complaint")
        customer = session.get(Customer, found.customer_id) if found.customer_id else None
        subject = customer_view(session, runtime, customer, staff.role) if customer else None
        body: str | None = None
        if subject is None or subject.refused is None:
            try:
                body = runtime.vault.unseal(session, found, "body")
            except VaultError:  # erased: the text is gone for good
                body = None
        categories = [FILED_CATEGORY, *(subject.categories if subject else [])]
        if body is not None:
            categories.append(BODY_CATEGORY)
        linked = subject is not None and not subject.erased
        audit_view(
            session,
            visit,
            staff,
            action="backoffice.complaint.read",
            categories=categories,
            subject_id=found.customer_id if linked else None,
        )
        shown = {
            "id": found.id,
            "filed": found.filed_at,
            "channel": found.channel,
            "topic": found.topic,
            "status": found.status,
            "resolved": found.resolved_at,
        }
    return render(
        visit,
        "complaint.html",
        staff=staff,
        title_key="complaint",
        complaint=shown,
        body=body,
        subject=subject,
    )
