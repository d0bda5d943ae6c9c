"""Who may see the visitor statistics: staff whose work needs management information.

The privacy officer (who answers for what the statistics keep) and the admin
(management). Support and finance do not need them; customers never reach the
back office. No session: 401; a signed-in customer or another staff role: 403.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.exceptions import HTTPException

from trackguard.store.models.web import StaffUser
from trackguard.web.auth import MaybePrincipal
from trackguard.web.deps import CurrentRuntime

DASHBOARD_ROLES = frozenset({"privacy_officer", "admin"})
# Staff sign in with a session cookie or a bearer token; Basic is for customers' apps.
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="trackguard back office"'}


def analytics_viewer(principal: MaybePrincipal, runtime: CurrentRuntime) -> str:
    """The role of the staff user asking; HTTPException 401/403 otherwise."""
    if principal is None:
        raise HTTPException(401, "Sign in as a member of staff.", headers=CHALLENGE)
    if principal.kind != "staff":
        raise HTTPException(403, "The back office is for staff.")
    with runtime.db.session() as session:
        staff = session.get(StaffUser, principal.id)
        role = staff.role if staff is not None and staff.disabled_at is None else None
    if role not in DASHBOARD_ROLES:
        raise HTTPException(403, "Your role does not include the visitor statistics.")
    return role


AnalyticsViewer = Annotated[str, Depends(analytics_viewer)]
