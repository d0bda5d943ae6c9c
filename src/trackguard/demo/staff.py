"""Demo staff accounts, one per role, all with the password `demo`: enough to try the back
office with each role's view (`privacy@trackguard.example` is the privacy officer).

One more account was closed well over a year ago, so the retention rule for closed staff
accounts has something to act on, as every rule does in the demo data.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from trackguard.store.models.web import StaffUser
from trackguard.vault import Vault
from trackguard.web.auth.accounts import StaffRole, create_staff_user
from trackguard.web.auth.passwords import Passwords

DEMO_STAFF_PASSWORD = "demo"
DEMO_STAFF: dict[StaffRole, str] = {
    "support": "support@trackguard.example",
    "finance": "finance@trackguard.example",
    "privacy_officer": "privacy@trackguard.example",
    "admin": "admin@trackguard.example",
}
FORMER_STAFF = "former.support@trackguard.example"
FORMER_ROLE: StaffRole = "support"
FORMER_TENURE = (timedelta(days=3 * 365), timedelta(days=400))  # joined, left: ago


@cache
def published_password_hash(password: str) -> str:
    """A real argon2 hash of a demo login's published password, made once per process:
    sign-in verifies it like any other, and tests seed the demo hundreds of times."""
    return Passwords().hash(password)


class _DemoStaffPasswords(Passwords):
    def hash(self, password: str) -> str:
        return published_password_hash(password)


def add_demo_staff(
    session: Session, vault: Vault, now: datetime, passwords: Passwords | None = None
) -> Counter[str]:
    """One account per role (skipping any that exists already)."""
    hasher = passwords or _DemoStaffPasswords()
    counts: Counter[str] = Counter()
    for role, email in DEMO_STAFF.items():
        index = vault.blind_index("email", email)
        if session.scalar(select(StaffUser.id).where(StaffUser.email_index == index)):
            continue
        create_staff_user(session, vault, hasher, email, DEMO_STAFF_PASSWORD, role, now=now)
        counts["staff_users"] += 1
    index = vault.blind_index("email", FORMER_STAFF)
    if not session.scalar(select(StaffUser.id).where(StaffUser.email_index == index)):
        joined, left = FORMER_TENURE
        former = create_staff_user(
            session, vault, hasher, FORMER_STAFF, DEMO_STAFF_PASSWORD, FORMER_ROLE, now=now - joined
        )
        former.disabled_at = now - left
        counts["staff_users"] += 1
    return counts
