"""Staff accounts: add, list, disable; shared by `trackguard staff` and the admin's page.

Only the blind index of a staff e-mail is stored, so a list shows ids, roles and dates,
and an account is found again by its address. Disabling stops sign-in and ends every
session at once; the last open admin account cannot be disabled (nobody could manage
staff any more). Each change is audited under the security purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trackguard.clock import Clock, as_utc
from trackguard.errors import NotFound, TrackguardError
from trackguard.privacy.audit import AuditLog
from trackguard.privacy.requests.records import Actor
from trackguard.store.models.web import STAFF_ROLES, StaffUser
from trackguard.vault import Vault
from trackguard.web.auth.accounts import StaffRole, create_staff_user
from trackguard.web.auth.passwords import Passwords
from trackguard.web.auth.sessions import revoke_all

SECURITY_PURPOSE = "security"
INDEX_CATEGORY = str(StaffUser.__table__.c.email_index.info["category"])
MIN_PASSWORD_LENGTH = 10  # for new staff accounts (the demo's "demo" is made directly)


class StaffAccountError(TrackguardError):
    """A staff account change that cannot be made; nothing was changed."""


@dataclass(frozen=True)
class StaffSummary:
    id: str
    role: str
    created: datetime
    last_login: datetime | None
    disabled: datetime | None

    def to_json(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return as_utc(value).isoformat() if value is not None else None

        return {
            "id": self.id,
            "role": self.role,
            "created": iso(self.created),
            "last_login": iso(self.last_login),
            "disabled": iso(self.disabled),
        }


def summary(staff: StaffUser) -> StaffSummary:
    return StaffSummary(
        staff.id,
        staff.role,
        as_utc(staff.created_at),
        as_utc(staff.last_login_at) if staff.last_login_at else None,
        as_utc(staff.disabled_at) if staff.disabled_at else None,
    )


def _audit(session: Session, clock: Clock, actor: Actor, action: str) -> None:
    AuditLog(clock).append(
        session,
        actor=actor.name,
        role=actor.role,
        purpose=SECURITY_PURPOSE,
        subject_id=None,  # staff are not the customers the subject link is for
        categories=[INDEX_CATEGORY],
        action=action,
    )


def add_staff(
    session: Session,
    vault: Vault,
    passwords: Passwords,
    clock: Clock,
    *,
    email: str,
    password: str,
    role: str,
    actor: Actor,
) -> StaffSummary:
    if role not in STAFF_ROLES:
        raise StaffAccountError(f"a staff role is one of {', '.join(STAFF_ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffAccountError(f"a staff password has at least {MIN_PASSWORD_LENGTH} characters")
    checked = cast(StaffRole, role)
    staff = create_staff_user(
        session, vault, passwords, email, password, checked, now=as_utc(clock())
    )
    _audit(session, clock, actor, "staff.created")
    return summary(staff)


def list_staff(session: Session) -> list[StaffSummary]:
    rows = session.scalars(select(StaffUser).order_by(StaffUser.created_at, StaffUser.id))
    return [summary(s) for s in rows]


def find_staff(session: Session, vault: Vault, email: str) -> StaffUser:
    found = session.scalar(
        select(StaffUser).where(StaffUser.email_index == vault.blind_index("email", email))
    )
    if found is None:
        raise NotFound("no staff account with that e-mail address")
    return found


def disable_staff(
    session: Session, staff: StaffUser, clock: Clock, *, actor: Actor
) -> tuple[StaffSummary, int]:
    """Close the account and end its sessions; returns it and how many sessions ended."""
    if staff.disabled_at is not None:
        return summary(staff), 0
    if staff.role == "admin" and _open_admins(session) <= 1:
        raise StaffAccountError("the last open admin account cannot be disabled")
    now = as_utc(clock())
    staff.disabled_at = now
    ended = revoke_all(session, now=now, staff_user_id=staff.id)
    _audit(session, clock, actor, "staff.disabled")
    return summary(staff), ended


def _open_admins(session: Session) -> int:
    query = select(func.count()).where(StaffUser.role == "admin", StaffUser.disabled_at.is_(None))
    return int(session.scalar(query) or 0)
