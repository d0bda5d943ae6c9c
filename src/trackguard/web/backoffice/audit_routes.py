"""The audit log: the newest entries (optionally of one action) and the chain's verification,
naming the first entry that breaks it. Entries name subjects only by their random id."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from trackguard.privacy.audit import verify
from trackguard.store.models import AuditEntry
from trackguard.web.backoffice.access import PREFIX, CurrentStaff, page
from trackguard.web.backoffice.audit import audit_view
from trackguard.web.backoffice.pages import render
from trackguard.web.backoffice.roles import Area
from trackguard.web.portal.pages import CurrentVisit
from trackguard.web.routes import READ

router = APIRouter()
AUDIT = f"{PREFIX}/audit"
SUBJECT_CATEGORY = str(AuditEntry.__table__.c.subject_id.info["category"])
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000


@page(router, AUDIT, Area.AUDIT, methods=READ)
def audit_log(
    visit: CurrentVisit,
    staff: CurrentStaff,
    action: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> HTMLResponse:
    runtime = visit.runtime
    limit = max(1, min(limit, MAX_LIMIT))
    with runtime.db.session() as session:
        result = verify(session)
        actions = list(
            session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action))
        )
        chosen = action if action in actions else None
        query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
        if chosen is not None:
            query = query.where(AuditEntry.action == chosen)
        entries = [
            {
                "seq": e.seq,
                "at": e.at,
                "actor": e.actor,
                "role": e.role,
                "purpose": e.purpose,
                "subject": e.subject_id,
                "shredded": e.subject_id is None and e.subject_digest is not None,
                "categories": list(e.categories or []),
                "action": e.action,
            }
            for e in session.scalars(query)
        ]
        # Written after reading: this view's own entry is the next one, not on this page.
        audit_view(
            session,
            visit,
            staff,
            action="backoffice.audit.read",
            categories=[SUBJECT_CATEGORY] if any(e["subject"] for e in entries) else [],
        )
    return render(
        visit,
        "audit.html",
        staff=staff,
        title_key="nav_audit",
        entries=entries,
        actions=actions,
        action=chosen,
        limit=limit,
        verified=result,
    )
