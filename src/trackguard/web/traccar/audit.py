"""One audit entry per API request that read personal data: whose, which categories, why.

The purpose is the policy's: the API shows customers their own trackers, which
is `service_delivery`. Before writing, the categories read are checked against
what the policy lets that purpose process, so the API cannot quietly read more
than the statement says.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from trackguard.clock import Clock
from trackguard.errors import PolicyError
from trackguard.policy import Policy
from trackguard.policy.taxonomy import covered_by
from trackguard.privacy.audit import AuditLog
from trackguard.web.viewing import response_shows_content

API_PURPOSE = "service_delivery"
ACTOR, ROLE = "subject", "customer"  # customers reading their own data


def audit_read(
    session: Session,
    policy: Policy,
    clock: Clock,
    *,
    customer_id: str,
    action: str,
    categories: Iterable[str],
) -> None:
    """Append the request's audit entry (nothing when no personal data was read, or for
    a HEAD request: the portal's pages answer it but show nothing)."""
    read = sorted(set(categories))
    if not read or not response_shows_content():
        return
    allowed = policy.purpose(API_PURPOSE).categories
    outside = [c for c in read if not covered_by(c, allowed)]
    if outside:
        raise PolicyError(
            f"purpose '{API_PURPOSE}' does not process {', '.join(outside)}", field="purposes"
        )
    AuditLog(clock).record(
        session,
        actor=ACTOR,
        role=ROLE,
        purpose=API_PURPOSE,
        subject_id=customer_id,
        categories=read,
        action=action,
    )
