"""Retention reports (what each run or dry run did, per rule and record) and a dry run on
demand. Reports hold counts only, never data, so viewing them is not audited; the dry
run keeps its report like every plan does."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from trackguard.privacy import retention
from trackguard.web.backoffice.access import PREFIX, CurrentStaff, page
from trackguard.web.backoffice.pages import render
from trackguard.web.backoffice.roles import Area
from trackguard.web.csrf import CsrfForm
from trackguard.web.portal.pages import CurrentVisit, see_other
from trackguard.web.routes import READ

router = APIRouter()
RETENTION = f"{PREFIX}/retention"
REPORT = RETENTION + "/{report_id}"
MAX_LISTED = 100


@page(router, RETENTION, Area.RETENTION, methods=READ)
def reports(visit: CurrentVisit, staff: CurrentStaff) -> HTMLResponse:
    with visit.runtime.db.session() as session:
        found = retention.list_reports(session, limit=MAX_LISTED)
    return render(visit, "retention.html", staff=staff, title_key="nav_retention", reports=found)


@page(router, RETENTION + "/plan", Area.RETENTION, methods=["POST"])
def plan_now(visit: CurrentVisit, staff: CurrentStaff, form: CsrfForm) -> Response:
    report = retention.plan(visit.runtime)
    return see_other(visit.url(REPORT.format(report_id=report.id)))


@page(router, REPORT, Area.RETENTION, methods=READ)
def report(visit: CurrentVisit, staff: CurrentStaff, report_id: str) -> HTMLResponse:
    runtime = visit.runtime
    with runtime.db.session() as session:
        found = retention.load_report(session, report_id[:64])
    rules = {r.key: r for r in runtime.policy.retention.rules}
    return render(
        visit,
        "retention_report.html",
        staff=staff,
        title_key="retention_report",
        report=found,
        rules=rules,
    )
