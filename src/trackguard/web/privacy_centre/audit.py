"""One audit entry per view of the customer's own data in the privacy centre or API.

The purpose is the rights purpose of the request workflow (`privacy_rights`): the
customer exercises their right of access by looking. Actor and role say it was the
subject themselves.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from trackguard.clock import Clock
from trackguard.privacy.audit import AuditLog
from trackguard.privacy.requests.records import RIGHTS_PURPOSE
from trackguard.web.viewing import response_shows_content

ACTOR, ROLE = "subject", "customer"


def audit_view(
    session: Session,
    clock: Clock,
    *,
    customer_id: str,
    action: str,
    categories: Iterable[str],
) -> None:
    """Append the view's entry (nothing when no personal data was shown, or for HEAD)."""
    shown = sorted(set(categories))
    if not shown or not response_shows_content():
        return
    AuditLog(clock).append(
        session,
        actor=ACTOR,
        role=ROLE,
        purpose=RIGHTS_PURPOSE,
        subject_id=customer_id,
        categories=shown,
        action=action,
    )
