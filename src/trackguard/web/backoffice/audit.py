"""One audit entry per back-office page that shows personal data, under the purpose the
role matrix picks for what the page showed (`roles.audit_purpose`).

A HEAD request runs the same page but sends no body: nobody saw anything, so it
writes no entry (a link checker or monitor must not fill the log with "views").
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from trackguard.privacy.audit import AuditLog
from trackguard.web.backoffice.access import StaffMember
from trackguard.web.backoffice.roles import audit_purpose
from trackguard.web.portal.pages import Visit
from trackguard.web.viewing import shows_content


def audit_view(
    session: Session,
    visit: Visit,
    staff: StaffMember,
    *,
    action: str,
    categories: Iterable[str],
    subject_id: str | None = None,
    purpose: str | None = None,
) -> str | None:
    """Append the view's entry and return its purpose; nothing when nothing personal showed
    (or nothing at all: a HEAD request).

    `purpose`: the one the view was gated under, when it was; else the matrix picks it.
    """
    runtime = visit.runtime
    shown = sorted(set(categories))
    if not shown:
        return None
    purpose = purpose or audit_purpose(runtime.policy, staff.role, shown)
    if not shows_content(visit.request.method):
        return purpose
    AuditLog(runtime.clock).append(
        session,
        actor=staff.actor.name,
        role=staff.role,
        purpose=purpose,
        subject_id=subject_id,
        categories=shown,
        action=action,
    )
    return purpose
