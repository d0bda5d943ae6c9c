"""The admin's page of staff accounts: who has which role, add one, disable one."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from trackguard.errors import NotFound, TrackguardError
from trackguard.store.models.web import STAFF_ROLES, StaffUser
from trackguard.web.auth.principal import WebAuth
from trackguard.web.backoffice.access import PREFIX, CurrentStaff, StaffMember, page
from trackguard.web.backoffice.audit import audit_view
from trackguard.web.backoffice.pages import render
from trackguard.web.backoffice.roles import Area
from trackguard.web.backoffice.staff_accounts import (
    INDEX_CATEGORY,
    MIN_PASSWORD_LENGTH,
    add_staff,
    disable_staff,
    list_staff,
)
from trackguard.web.csrf import CsrfForm
from trackguard.web.portal.pages import CurrentVisit, Visit, see_other
from trackguard.web.routes import READ

router = APIRouter()
STAFF = f"{PREFIX}/staff"
LAST_LOGIN_CATEGORY = str(StaffUser.__table__.c.last_login_at.info["category"])


def _page(
    visit: Visit, staff: StaffMember, *, status: int = 200, error: str | None = None
) -> HTMLResponse:
    runtime = visit.runtime
    with runtime.db.session() as session:
        accounts = list_staff(session)
        audit_view(
            session,
            visit,
            staff,
            action="backoffice.staff.list",
            categories=[INDEX_CATEGORY, LAST_LOGIN_CATEGORY] if accounts else [],
        )
    return render(
        visit,
        "staff.html",
        staff=staff,
        title_key="nav_staff",
        status=status,
        error=error,
        accounts=accounts,
        roles=STAFF_ROLES,
        min_password=MIN_PASSWORD_LENGTH,
        done=visit.request.query_params.get("done"),
    )


@page(router, STAFF, Area.STAFF, methods=READ)
def staff_page(visit: CurrentVisit, staff: CurrentStaff) -> HTMLResponse:
    return _page(visit, staff)


@page(router, STAFF, Area.STAFF, methods=["POST"])
def add(visit: CurrentVisit, staff: CurrentStaff, form: CsrfForm) -> Response:
    runtime = visit.runtime
    auth: WebAuth = visit.request.app.state.auth
    try:
        with runtime.db.session() as session:
            add_staff(
                session,
                runtime.vault,
                auth.passwords,
                runtime.clock,
                email=form.get("email", "").strip(),
                password=form.get("password", ""),
                role=form.get("role", ""),
                actor=staff.actor,
            )
    except TrackguardError as exc:  # messages name rules, never the address
        return _page(visit, staff, status=400, error=str(exc))
    return see_other(visit.url(STAFF, done="added"))


@page(router, STAFF + "/{staff_id}/disable", Area.STAFF, methods=["POST"])
def disable(visit: CurrentVisit, staff: CurrentStaff, staff_id: str, form: CsrfForm) -> Response:
    runtime = visit.runtime
    try:
        with runtime.db.session() as session:
            account = session.get(StaffUser, staff_id[:32])
            if account is None:
                raise NotFound("no such staff account")
            disable_staff(session, account, runtime.clock, actor=staff.actor)
    except NotFound:
        raise
    except TrackguardError as exc:
        return _page(visit, staff, status=400, error=str(exc))
    return see_other(visit.url(STAFF, done="disabled"))
