"""The rights-request queue and one request with its actions (the privacy officer's desk).

The queue is sorted by due date with overdue requests flagged. A request's page shows
its history and the subject as the viewer's role may see them, and offers the steps
the workflow allows: e-mail a verification token, start, extend, refuse, complete.
Each step is the workflow's own function (`privacy.requests`), recorded under the
staff account that took it; a refused step shows the reason, which names no values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from trackguard.errors import TrackguardError, VaultError
from trackguard.privacy import requests as rights
from trackguard.privacy.requests.kinds import Status
from trackguard.privacy.requests.records import EMAIL_CATEGORY, REQUEST_CATEGORY
from trackguard.runtime import Runtime
from trackguard.store.models import Customer, IdentityDocument
from trackguard.web.backoffice import masking
from trackguard.web.backoffice.access import PREFIX, CurrentStaff, StaffMember, page
from trackguard.web.backoffice.audit import audit_view
from trackguard.web.backoffice.customer_view import customer_view
from trackguard.web.backoffice.pages import render
from trackguard.web.backoffice.roles import Area, may_enter
from trackguard.web.csrf import CsrfForm
from trackguard.web.portal.pages import CurrentVisit, Visit, see_other
from trackguard.web.routes import READ

router = APIRouter()
REQUESTS = f"{PREFIX}/requests"
DETAIL = REQUESTS + "/{request_id}"
MAX_REASON_CHARS = 2000


@page(router, REQUESTS, Area.REQUESTS, methods=READ)
def queue(
    visit: CurrentVisit, staff: CurrentStaff, status: str | None = None, overdue: bool = False
) -> HTMLResponse:
    runtime = visit.runtime
    chosen = status if status in {s.value for s in Status} else None
    found = rights.list_requests(runtime, status=chosen, overdue=overdue)
    with runtime.db.session() as session:
        contacts = _masked_emails(session, runtime, {r.customer_id for r in found})
        shown = [REQUEST_CATEGORY] if found else []
        if any(contacts.values()):
            shown.append(EMAIL_CATEGORY)
        audit_view(session, visit, staff, action="backoffice.requests.list", categories=shown)
    return render(
        visit,
        "requests.html",
        staff=staff,
        title_key="nav_requests",
        requests=found,
        contacts=contacts,
        statuses=[s.value for s in Status],
        chosen_status=chosen,
        overdue=overdue,
    )


def _masked_emails(
    session: Session, runtime: Runtime, customer_ids: set[str | None]
) -> dict[str | None, str | None]:
    ids = [c for c in customer_ids if c]
    found: dict[str | None, str | None] = {}
    for customer in session.scalars(select(Customer).where(Customer.id.in_(ids))):
        try:
            address = runtime.vault.unseal(session, customer, "email")
        except VaultError:
            address = None
        found[customer.id] = masking.email(address) if address else None
    return found


def _pending_copy(session: Session, request_id: str) -> IdentityDocument | None:
    return session.scalar(
        select(IdentityDocument).where(
            IdentityDocument.request_id == request_id,
            IdentityDocument.verification_ended_at.is_(None),
        )
    )


def detail_page(
    visit: Visit,
    staff: StaffMember,
    request_id: str,
    *,
    status: int = 200,
    error: str | None = None,
) -> HTMLResponse:
    runtime = visit.runtime
    request, events = rights.get_request(runtime, request_id)
    with runtime.db.session() as session:
        customer = session.get(Customer, request.customer_id) if request.customer_id else None
        subject = customer_view(session, runtime, customer, staff.role) if customer else None
        pending = _pending_copy(session, request.id) is not None
        categories = [REQUEST_CATEGORY, *(subject.categories if subject else [])]
        linked = subject is not None and not subject.erased  # erased: no link back to them
        audit_view(
            session,
            visit,
            staff,
            action="backoffice.request.read",
            categories=categories,
            subject_id=request.customer_id if linked else None,
        )
    done = visit.request.query_params.get("done")
    return render(
        visit,
        "request.html",
        staff=staff,
        title_key="request",
        status=status,
        request=request,
        events=events,
        subject=subject,
        pending_copy=pending,
        may_review=may_enter(staff.role, Area.ID_COPIES),
        error=error,
        done=done,
        max_reason=MAX_REASON_CHARS,
    )


@page(router, DETAIL, Area.REQUESTS, methods=READ)
def detail(visit: CurrentVisit, staff: CurrentStaff, request_id: str) -> HTMLResponse:
    return detail_page(visit, staff, request_id)


def _step(
    visit: Visit, staff: StaffMember, request_id: str, done: str, action: Callable[[], Any]
) -> Response:
    """Run one workflow step; back to the request, with the outcome or the refusal."""
    rights.get_request(visit.runtime, request_id)  # NotFound (404) before anything else
    try:
        action()
    except TrackguardError as exc:
        # Workflow errors name steps and records, never values (errors.py).
        return detail_page(visit, staff, request_id, status=400, error=str(exc))
    return see_other(visit.url(DETAIL.format(request_id=request_id), done=done))


@page(router, DETAIL + "/send-token", Area.REQUESTS, methods=["POST"])
def send_token(
    visit: CurrentVisit, staff: CurrentStaff, request_id: str, form: CsrfForm
) -> Response:
    runtime = visit.runtime
    return _step(
        visit,
        staff,
        request_id,
        "token_sent",
        lambda: rights.send_token(runtime, request_id, actor=staff.actor),
    )


@page(router, DETAIL + "/start", Area.REQUESTS, methods=["POST"])
def start(visit: CurrentVisit, staff: CurrentStaff, request_id: str, form: CsrfForm) -> Response:
    runtime = visit.runtime
    return _step(
        visit,
        staff,
        request_id,
        "started",
        lambda: rights.start(runtime, request_id, actor=staff.actor),
    )


@page(router, DETAIL + "/extend", Area.REQUESTS, methods=["POST"])
def extend(visit: CurrentVisit, staff: CurrentStaff, request_id: str, form: CsrfForm) -> Response:
    runtime = visit.runtime
    reason = form.get("reason", "")[: MAX_REASON_CHARS + 1]
    try:
        months = int(form.get("months", "1"))
    except ValueError:
        months = 0  # refused by the workflow with its own message

    return _step(
        visit,
        staff,
        request_id,
        "extended",
        lambda: rights.extend(runtime, request_id, reason, months, actor=staff.actor),
    )


@page(router, DETAIL + "/refuse", Area.REQUESTS, methods=["POST"])
def refuse(visit: CurrentVisit, staff: CurrentStaff, request_id: str, form: CsrfForm) -> Response:
    runtime = visit.runtime
    reason = form.get("reason", "")[: MAX_REASON_CHARS + 1]
    return _step(
        visit,
        staff,
        request_id,
        "refused",
        lambda: rights.refuse(runtime, request_id, reason, actor=staff.actor),
    )


@page(router, DETAIL + "/complete", Area.REQUESTS, methods=["POST"])
def complete(visit: CurrentVisit, staff: CurrentStaff, request_id: str, form: CsrfForm) -> Response:
    runtime = visit.runtime
    return _step(
        visit,
        staff,
        request_id,
        "completed",
        lambda: rights.complete_request(runtime, request_id, actor=staff.actor),
    )
