"""Finding a customer by e-mail address (through the blind index: the address is never
compared in the clear, and it is posted, so it stays out of URLs and access logs) and
the customer as the viewer's role may see them (`customer_view`)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from trackguard.errors import NotFound
from trackguard.store.models import Customer
from trackguard.web.auth.accounts import MAX_EMAIL_LENGTH
from trackguard.web.backoffice.access import PREFIX, CurrentStaff, StaffMember, page
from trackguard.web.backoffice.audit import audit_view
from trackguard.web.backoffice.customer_view import customer_view
from trackguard.web.backoffice.pages import render
from trackguard.web.backoffice.roles import Area
from trackguard.web.backoffice.texts import text
from trackguard.web.csrf import CsrfForm
from trackguard.web.portal.pages import CurrentVisit, Visit, see_other
from trackguard.web.routes import READ

router = APIRouter()
CUSTOMERS = f"{PREFIX}/customers"
CUSTOMER = CUSTOMERS + "/{customer_id}"


def _search_page(
    visit: Visit, staff: StaffMember, *, status: int = 200, error: str | None = None
) -> HTMLResponse:
    return render(
        visit, "customers.html", staff=staff, title_key="nav_customers", status=status, error=error
    )


@page(router, CUSTOMERS, Area.CUSTOMERS, methods=READ)
def search_page(visit: CurrentVisit, staff: CurrentStaff) -> HTMLResponse:
    return _search_page(visit, staff)


@page(router, CUSTOMERS, Area.CUSTOMERS, methods=["POST"])
def search(visit: CurrentVisit, staff: CurrentStaff, form: CsrfForm) -> Response:
    email = form.get("email", "").strip()
    runtime = visit.runtime
    found = None
    if 0 < len(email) <= MAX_EMAIL_LENGTH:
        index = runtime.vault.blind_index("email", email)
        with runtime.db.session() as session:
            found = session.scalar(select(Customer.id).where(Customer.email_index == index))
    if found is None:
        error = text("customer_not_found", visit.lang)
        return _search_page(visit, staff, status=404, error=error)
    return see_other(visit.url(CUSTOMER.format(customer_id=found)))


@page(router, CUSTOMER, Area.CUSTOMERS, methods=READ)
def customer(visit: CurrentVisit, staff: CurrentStaff, customer_id: str) -> HTMLResponse:
    runtime = visit.runtime
    with runtime.db.session() as session:
        found = session.get(Customer, customer_id[:32])
        if found is None:
            raise NotFound("no such customer")
        view = customer_view(session, runtime, found, staff.role)
        audit_view(
            session,
            visit,
            staff,
            action="backoffice.customer.read",
            categories=view.categories,
            subject_id=None if view.erased else found.id,
            purpose=view.purpose,
        )
    return render(visit, "customer.html", staff=staff, title_key="customer", view=view)
